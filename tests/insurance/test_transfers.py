"""Cross-province transfers (issue 14): the workflow, its preconditions, the money to the fen, the fund
ledger and its reconciliation, deadlines, the overdue job, offered transfers, the medical transfer and
the benefit province."""

import datetime
import logging
from decimal import Decimal

import chinese_calendar
import pytest
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from accounts.scope import Scope
from core.exceptions import ApplicationError
from core.models import CalendarDay, CalendarYear, StateEvent
from core.money import money
from core.services import calendar_year_enter
from insurance.hooks import PENSIONER_LOOKUPS
from insurance.models import (
    AccountEntry,
    AccountEntryKind,
    ContributionRate,
    ContributionRecord,
    FundEntry,
    FundLedgerEntry,
    InboxMessage,
    InsuranceRelationship,
    LedgerEntry,
    PersonStatus,
    ProvinceYearConfig,
    ReconciliationAlert,
    RelationshipStatus,
    Scheme,
    Transfer,
    TransferEscalation,
    TransferStatus,
)
from insurance.periods import period_of
from insurance.selectors import contribution_months_of, transfer_shown
from insurance.services.benefit_province import benefit_province_decide
from insurance.services.contributions import ContributionMonth, ContributionRecorder
from insurance.services.relationships import relationship_resume, relationship_suspend
from insurance.services.tariffs import province_year_config_create
from insurance.services.transfers import (
    transfer_accept,
    transfer_apply,
    transfer_complete,
    transfer_confirm,
    transfer_decline,
    transfer_funds_send,
    transfer_offers_make,
    transfer_reject,
    transfer_withdraw,
    transfers_flag_overdue,
    transfers_reconcile,
    transfers_unbalanced,
)
from insurance.states import PERSON_STATES
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    make_id_number,
    open_relationship,
    record_contributions,
    register_death,
    register_person,
)
from tests.insurance.interest import year_end_interest

pytestmark = pytest.mark.django_db

EP, EM = Scheme.EMPLOYEE_PENSION, Scheme.EMPLOYEE_MEDICAL
RATE = Decimal("0.0262")  # conftest's configured_years: the latest published rate


def _months(periods, base="12000.00"):
    return [
        ContributionMonth(period=p, declared_base=Decimal(base), employer_code=EMPLOYER_CODE) for p in periods
    ]


def _interest_to_date(balance: Decimal) -> Decimal:
    """Interest of this year up to this month on a balance all from earlier years (accounts.py's rule)."""
    month = timezone.localdate().month
    return money(balance * month * RATE / 12)


def _relationship(person, scheme, province):
    return InsuranceRelationship.objects.get(
        person=person, scheme=scheme, province_id=province, status__in=["paying", "suspended"]
    )


@pytest.fixture
def mover(paying_person, employer):
    """paying_person (Beijing EP 2024-01..03 at 12000) suspended in 2024-04, now paying in Guangdong."""
    relationship_suspend(relationship=_relationship(paying_person, EP, "11"), period=202404, actor=TEST_ACTOR)
    open_relationship(person=paying_person, scheme=EP, province_id="44", opened_period=202405)
    record_contributions(
        person=paying_person, scheme=EP, province_id="44", months=_months([202405], "8000.00")
    )
    return paying_person


def _counts():
    return (Transfer.objects.count(), StateEvent.objects.count(), InboxMessage.objects.count())


# --- the workflow, end to end -------------------------------------------------------------------------------


def test_enrolment_in_a_new_province_offers_the_transfer_and_applying_confirms_it(mover):
    offer = Transfer.objects.get(person=mover, scheme=EP)
    assert (offer.status, offer.from_province_id, offer.to_province_id) == ("offered", "11", "44")
    assert InboxMessage.objects.filter(person=mover, kind="transfer_step", subject_id=offer.pk).count() == 1

    applied = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)

    assert applied.pk == offer.pk and applied.status == TransferStatus.APPLIED
    assert applied.due_date is not None


def test_a_pension_transfer_moves_the_money_to_the_fen_and_the_history_stays(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=transfer, actor=TEST_ACTOR)
    sent = transfer_funds_send(transfer=transfer, actor=TEST_ACTOR)

    interest = _interest_to_date(Decimal("2880.00"))  # 3 months x 8 % of 12000
    assert sent.status == TransferStatus.FUNDS_SENT
    assert sent.interest_up_to_period == period_of(timezone.localdate())
    assert sent.account_amount == Decimal("2880.00") + interest
    assert sent.pooled_amount == Decimal("4320.00")  # 12 % of 3 x 12000
    assert sent.refund_amount == Decimal("0.00")
    assert sent.statement["years"] == [
        {
            "year": 2024,
            "months": 3,
            "bases": "36000.00",
            "account_amount": "2880.00",
            "pooled_amount": "4320.00",
        }
    ]
    assert _relationship_status(mover, "11") == RelationshipStatus.TRANSFERRED_OUT
    # The interest to date was credited by the ledger's interest service, naming the transfer.
    assert AccountEntry.objects.get(person=mover, kind=AccountEntryKind.INTEREST).amount == interest

    done = transfer_complete(transfer=sent, actor=TEST_ACTOR)

    assert done.status == TransferStatus.COMPLETED
    balances = dict(
        LedgerEntry.objects.filter(person=mover, scheme=EP).values_list("province_id").annotate(Sum("amount"))
    )
    assert balances == {"11": Decimal("0.00"), "44": Decimal("2880.00") + interest + Decimal("640.00")}
    legs = AccountEntry.objects.filter(transfer_id=done.pk).values_list("province_id", "kind", "amount")
    assert set(legs) == {
        ("11", "transfer_out", -(Decimal("2880.00") + interest)),
        ("44", "transfer_in", Decimal("2880.00") + interest),
    }
    funds = FundEntry.objects.filter(transfer=done).values_list("province_id", "kind", "amount")
    assert set(funds) == {
        ("11", "transfer_out", Decimal("-4320.00")),
        ("44", "transfer_in", Decimal("4320.00")),
    }
    # Each province's fund: its pooled contributions (16 % of each base) with the transfer's legs.
    fund = dict(
        FundLedgerEntry.objects.filter(person=mover).values_list("province_id").annotate(Sum("amount"))
    )
    assert fund == {
        "11": Decimal("5760.00") - Decimal("4320.00"),
        "44": Decimal("1280.00") + Decimal("4320.00"),
    }
    # The history stays as it was: the old records, each month once.
    assert ContributionRecord.objects.filter(person=mover, province_id="11").count() == 3
    assert contribution_months_of(person=mover, scheme=EP).total.total_months == 4
    assert transfers_unbalanced() == []
    steps = [event["step"] for event in transfer_shown(transfer=done).timeline]
    assert steps == ["offered", "applied", "accepted", "funds_sent", "completed"]
    titles = InboxMessage.objects.filter(person=mover, kind="transfer_step").count()
    assert titles == 5
    assert [d["kind"] for d in transfer_shown(transfer=done).documents] == [
        "contact_letter",
        "transfer_certificate",
        "information_table",
    ]


def _relationship_status(person, province):
    return InsuranceRelationship.objects.filter(person=person, scheme=EP, province_id=province).get().status


def test_money_with_history_before_1998_duplicate_months_and_interest_to_date(configured_years, employer):
    for province in ("11", "44"):
        for year in (1997, 1998):
            province_year_config_create(
                province_id=province, year=year, average_monthly_wage=Decimal("1000.00")
            )
    person = register_person(id_number=make_id_number(province="11", sequence=3), name="李四")
    open_relationship(person=person, scheme=EP, province_id="11", opened_period=199711)
    record_contributions(
        person=person,
        scheme=EP,
        province_id="11",
        months=_months([199711, 199712, 199801, 199802, 199803], "1000"),
    )
    relationship_suspend(relationship=_relationship(person, EP, "11"), period=199804, actor=TEST_ACTOR)
    open_relationship(person=person, scheme=EP, province_id="44", opened_period=202401)
    # March 1998 was paid in Guangdong too, recorded before the duplicate check existed.
    ContributionRecord.objects.create(
        person=person, scheme=EP, province_id="44", period=199803, declared_base=Decimal("1000.00"),
        base=Decimal("1000.00"), base_adjustment="none", employer_rate=Decimal("0.16"),
        individual_rate=Decimal("0.08"), employer_amount=Decimal("160.00"),
        individual_amount=Decimal("80.00"), account_credit=Decimal("110.00"),
    )  # fmt: skip
    transfer = transfer_apply(person=person, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=transfer, actor=TEST_ACTOR)

    sent = transfer_funds_send(transfer=transfer, actor=TEST_ACTOR)

    interest = _interest_to_date(Decimal("330.00"))  # 3 months of 1998 at 11 %
    assert sent.statement["years"] == [
        {"year": 1997, "months": 2, "bases": "2000.00", "account_amount": "0.00", "pooled_amount": "0.00"},
        {
            "year": 1998,
            "months": 2,
            "bases": "2000.00",
            "account_amount": "220.00",
            "pooled_amount": "240.00",
        },
    ]
    assert sent.statement["duplicate_periods"] == [199803]
    assert sent.refund_amount == Decimal("110.00")
    assert sent.pooled_amount == Decimal("240.00")  # nothing for 1997, nor for the duplicate month
    assert sent.account_amount == Decimal("330.00") + interest - Decimal("110.00")

    transfer_complete(transfer=sent, actor=TEST_ACTOR)

    assert AccountEntry.objects.get(transfer_id=sent.pk, kind=AccountEntryKind.REFUND).amount == Decimal(
        "-110.00"
    )
    assert LedgerEntry.objects.filter(person=person, province_id="11").aggregate(b=Sum("amount"))["b"] == 0
    assert contribution_months_of(person=person, scheme=EP).total.total_months == 5  # March 1998 once
    assert transfers_unbalanced() == []


def test_history_that_arrived_by_an_earlier_transfer_moves_on_with_the_next(mover, employer):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=transfer, actor=TEST_ACTOR)
    transfer_complete(transfer=transfer_funds_send(transfer=transfer, actor=TEST_ACTOR), actor=TEST_ACTOR)
    province_year_config_create(province_id="31", year=2024, average_monthly_wage=Decimal("10000.00"))
    relationship_suspend(relationship=_relationship(mover, EP, "44"), period=202406, actor=TEST_ACTOR)
    open_relationship(person=mover, scheme=EP, province_id="31", opened_period=202407)

    onward = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=onward, actor=TEST_ACTOR)
    sent = transfer_funds_send(transfer=onward, actor=TEST_ACTOR)

    assert sent.statement["months"] == 4  # Beijing's three months with Guangdong's one
    assert sent.pooled_amount == money(Decimal("44000.00") * Decimal("0.12"))


# --- preconditions: each its own code, nothing written --------------------------------------------------


def _refused_with(code, **kwargs):
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        transfer_apply(actor=TEST_ACTOR, **kwargs)
    assert refused.value.code == code
    assert _counts() == before


def test_not_enrolled_in_the_transfer_in_province_is_refused(paying_person):
    relationship_suspend(relationship=_relationship(paying_person, EP, "11"), period=202404, actor=TEST_ACTOR)
    _refused_with("transfer_not_enrolled_in_new_province", person=paying_person, scheme=EP)


def test_no_suspended_relationship_elsewhere_is_refused(paying_person):
    _refused_with("transfer_old_relationship_not_suspended", person=paying_person, scheme=EP)


def test_arrears_before_the_suspension_are_refused_naming_the_months(paying_person):
    relationship_suspend(relationship=_relationship(paying_person, EP, "11"), period=202406, actor=TEST_ACTOR)
    open_relationship(person=paying_person, scheme=EP, province_id="44", opened_period=202406)
    before = _counts()
    with pytest.raises(ApplicationError) as refused:
        transfer_apply(person=paying_person, scheme=EP, actor=TEST_ACTOR)
    assert refused.value.code == "transfer_old_relationship_in_arrears"
    assert refused.value.fields["periods"] == ["202404", "202405"]
    assert _counts() == before
    assert not Transfer.objects.filter(person=paying_person).exists()  # no offer either


def test_a_retired_person_is_refused(mover):
    PERSON_STATES.move(mover.pk, to=PersonStatus.RETIRED, actor=TEST_ACTOR)
    mover.refresh_from_db()
    _refused_with("transfer_person_receives_pension", person=mover, scheme=EP)


def test_a_person_with_a_pension_award_is_refused(mover):
    PENSIONER_LOOKUPS.append(lambda person_ids: set(person_ids))
    try:
        _refused_with("transfer_person_receives_pension", person=mover, scheme=EP)
    finally:
        PENSIONER_LOOKUPS.pop()


def test_a_deceased_person_is_refused(mover):
    register_death(person=mover, date_of_death=datetime.date(2024, 6, 1))
    mover.refresh_from_db()
    _refused_with("transfer_person_deceased", person=mover, scheme=EP)


def test_the_same_province_is_refused(mover):
    _refused_with("transfer_same_province", person=mover, scheme=EP, from_province_id="44")


def test_a_scheme_that_does_not_transfer_is_refused(mover):
    _refused_with("transfer_scheme_not_transferable", person=mover, scheme=Scheme.RESIDENT_PENSION)


def test_second_open_transfer_is_refused_and_the_database_holds_it_too(mover):
    first = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    _refused_with("transfer_already_open", person=mover, scheme=EP)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            person=mover, scheme=EP, status=TransferStatus.APPLIED, from_province_id="11",
            to_province_id="44",
            from_relationship_id=first.from_relationship_id, to_relationship_id=first.to_relationship_id,
            step_started_on=timezone.localdate(),
        )  # fmt: skip


# --- withdrawal and rejection ------------------------------------------------------------------------------


def test_the_applicant_withdraws_before_the_contact_letter_but_not_after(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    assert transfer_withdraw(transfer=transfer, actor=TEST_ACTOR).status == TransferStatus.WITHDRAWN

    again = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=again, actor=TEST_ACTOR)
    with pytest.raises(ApplicationError) as refused:
        transfer_withdraw(transfer=again, actor=TEST_ACTOR)
    assert refused.value.code == "transfer_not_in_step"
    again.refresh_from_db()
    assert again.status == TransferStatus.ACCEPTED


def test_a_rejection_needs_its_written_reason(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    with pytest.raises(ApplicationError) as refused:
        transfer_reject(transfer=transfer, actor=TEST_ACTOR, reason="  ")
    assert refused.value.code == "transfer_rejection_reason_required"

    rejected = transfer_reject(transfer=transfer, actor=TEST_ACTOR, reason="Employer not confirmed")

    assert (rejected.status, rejected.rejection_reason, rejected.due_date) == (
        "rejected",
        "Employer not confirmed",
        None,
    )
    assert InboxMessage.objects.filter(person=mover, body="Employer not confirmed").exists()


# --- offered transfers -------------------------------------------------------------------------------------


def test_a_declined_offer_moves_nothing_and_is_not_offered_again(mover):
    offer = Transfer.objects.get(person=mover, scheme=EP)

    transfer_decline(transfer=offer, actor=TEST_ACTOR)

    assert transfer_offers_make(actor=TEST_ACTOR) == 0
    assert _relationship_status(mover, "11") == RelationshipStatus.SUSPENDED
    assert not AccountEntry.objects.filter(person=mover).exists()


def test_a_confirmed_offer_becomes_the_application(mover):
    offer = Transfer.objects.get(person=mover, scheme=EP)
    assert transfer_confirm(transfer=offer, actor=TEST_ACTOR).status == TransferStatus.APPLIED


def test_the_nightly_job_offers_to_people_already_in_that_state_once(paying_person):
    """Resuming a relationship (not a new enrolment) leaves the person paying in 44 while suspended in
    11, with no offer: the nightly job finds them, and a second run finds nobody new."""
    relationship_suspend(relationship=_relationship(paying_person, EP, "11"), period=202404, actor=TEST_ACTOR)
    old_44 = open_relationship(person=paying_person, scheme=EP, province_id="44", opened_period=202405)
    Transfer.objects.filter(person=paying_person).delete()  # as if enrolled before offers existed
    relationship_suspend(relationship=old_44, period=202406, actor=TEST_ACTOR)
    relationship_resume(relationship=old_44, period=202407, actor=TEST_ACTOR)
    assert not Transfer.objects.filter(person=paying_person).exists()

    assert transfer_offers_make(actor=TEST_ACTOR) == 1
    assert transfer_offers_make(actor=TEST_ACTOR) == 0
    assert Transfer.objects.get(person=paying_person).status == TransferStatus.OFFERED


def test_a_first_contribution_in_a_new_province_offers_the_transfer_once(paying_person):
    """Paying again in 44 by a resumption (no enrolment, so no offer) while suspended in 11: the first
    month recorded in 44 makes the offer the enrolment makes; a later month makes none."""
    relationship_suspend(relationship=_relationship(paying_person, EP, "11"), period=202404, actor=TEST_ACTOR)
    old_44 = open_relationship(person=paying_person, scheme=EP, province_id="44", opened_period=202405)
    Transfer.objects.filter(person=paying_person).delete()  # as if enrolled before offers existed
    relationship_suspend(relationship=old_44, period=202406, actor=TEST_ACTOR)
    relationship_resume(relationship=old_44, period=202407, actor=TEST_ACTOR)
    assert not Transfer.objects.filter(person=paying_person).exists()

    record_contributions(person=paying_person, scheme=EP, province_id="44", months=_months([202407]))

    offer = Transfer.objects.get(person=paying_person, scheme=EP)
    assert (offer.status, offer.from_province_id, offer.to_province_id) == ("offered", "11", "44")
    assert InboxMessage.objects.filter(
        person=paying_person, kind="transfer_step", subject_id=offer.pk
    ).exists()
    # Declined, and a later month in 44: not a first contribution, and not offered again.
    transfer_decline(transfer=offer, actor=TEST_ACTOR)
    Transfer.objects.filter(person=paying_person).delete()
    record_contributions(person=paying_person, scheme=EP, province_id="44", months=_months([202408]))
    assert not Transfer.objects.filter(person=paying_person).exists()


def test_an_import_chunk_offers_the_transfer_to_each_person_whose_first_month_it_is(paying_person, employer):
    """The import's path (a recorder with the province's scope, people by ID number): one chunk with the
    mover's first month in 44 and a person new to 44 with nothing suspended. Only the mover is offered."""
    relationship_suspend(relationship=_relationship(paying_person, EP, "11"), period=202404, actor=TEST_ACTOR)
    old_44 = open_relationship(person=paying_person, scheme=EP, province_id="44", opened_period=202405)
    Transfer.objects.filter(person=paying_person).delete()
    relationship_suspend(relationship=old_44, period=202406, actor=TEST_ACTOR)
    relationship_resume(relationship=old_44, period=202407, actor=TEST_ACTOR)
    local = register_person(id_number=make_id_number(province="44"), name="李四")
    open_relationship(person=local, scheme=EP, province_id="44", opened_period=202407)
    lines = [
        (row, person.id_number, EP, 202407, Decimal("9000.00"), "normal", EMPLOYER_CODE, None)
        for row, person in enumerate([paying_person, local], start=2)
    ]

    recorded, refusals = ContributionRecorder("44", scope=Scope.of_province("44")).record(lines)

    assert (recorded, refusals) == (2, [])
    assert list(Transfer.objects.values_list("person_id", "status")) == [(paying_person.pk, "offered")]


def test_a_first_contribution_of_a_person_with_nothing_suspended_offers_nothing(paying_person):
    record_contributions(person=paying_person, scheme=EP, province_id="11", months=_months([202404]))
    assert not Transfer.objects.filter(person=paying_person).exists()


# --- the medical transfer ----------------------------------------------------------------------------------


def test_a_medical_transfer_moves_the_account_without_pooled_fund_with_its_own_deadlines(mover):
    ContributionRate.objects.filter(config__province_id="11", scheme=EM).update(account_rate=Decimal("0.02"))
    open_relationship(person=mover, scheme=EM, province_id="11", opened_period=202401)
    record_contributions(person=mover, scheme=EM, province_id="11", months=_months([202401, 202402, 202403]))
    relationship_suspend(relationship=_relationship(mover, EM, "11"), period=202404, actor=TEST_ACTOR)
    open_relationship(person=mover, scheme=EM, province_id="44", opened_period=202406)
    pension = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)  # both may run at once
    start = datetime.date(2024, 3, 4)  # a Monday, no holiday for three weeks

    medical = transfer_apply(person=mover, scheme=EM, actor=TEST_ACTOR, today=start)
    assert medical.due_date == datetime.date(2024, 3, 11)  # 5 WD
    medical = transfer_accept(transfer=medical, actor=TEST_ACTOR, today=start)
    assert medical.due_date == datetime.date(2024, 3, 18)  # 10 WD
    sent = transfer_funds_send(transfer=medical, actor=TEST_ACTOR)

    assert (sent.account_amount, sent.pooled_amount) == (Decimal("720.00"), Decimal("0.00"))
    assert sent.statement["back_payable_periods"] == [202404, 202405]
    assert sent.due_date == _chinese_add(timezone.localdate(), 5)
    transfer_complete(transfer=sent, actor=TEST_ACTOR)
    assert not FundEntry.objects.filter(transfer=sent).exists()
    balance = LedgerEntry.objects.filter(person=mover, scheme=EM, province_id="44").aggregate(b=Sum("amount"))
    assert balance["b"] == Decimal("720.00")
    pension.refresh_from_db()
    assert pension.status == TransferStatus.APPLIED
    assert transfers_unbalanced() == []


# --- deadlines -----------------------------------------------------------------------------------------


def _chinese_add(start, days):
    day, counted = start, 0
    while counted < days:
        day += datetime.timedelta(days=1)
        counted += chinese_calendar.is_workday(day)
    return day


def test_deadlines_count_working_days_across_a_holiday_with_a_make_up_day(mover):
    start = datetime.date(2025, 9, 26)  # before National Day; Sunday 28 September is a make-up working day
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR, today=start)

    assert transfer.due_date == _chinese_add(start, 15) == datetime.date(2025, 10, 23)
    assert transfer.due_provisional is False


def test_a_deadline_into_a_year_not_entered_is_provisional_until_it_is(
    mover, django_capture_on_commit_callbacks
):
    start = datetime.date(2026, 12, 24)
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR, today=start)
    assert transfer.due_provisional is True
    assert transfer.due_date == datetime.date(2027, 1, 14)  # Monday to Friday only

    year = CalendarYear.objects.create(year=2027, source="")
    CalendarDay.objects.create(
        year=year, date=datetime.date(2027, 1, 1), is_working_day=False, name="New Year"
    )
    CalendarDay.objects.create(
        year=year, date=datetime.date(2027, 1, 4), is_working_day=False, name="New Year"
    )
    with django_capture_on_commit_callbacks(execute=True):
        calendar_year_enter(year=2027, source="State Council notice")

    transfer.refresh_from_db()
    assert (transfer.due_date, transfer.due_provisional) == (datetime.date(2027, 1, 18), False)


# --- overdue ---------------------------------------------------------------------------------------------


def test_the_overdue_job_escalates_each_late_step_once_and_writes_it_to_the_timeline(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR, today=datetime.date(2025, 3, 3))
    late = transfer.due_date + datetime.timedelta(days=1)

    assert transfers_flag_overdue(today=transfer.due_date) == 0
    assert transfers_flag_overdue(today=late) == 1
    assert transfers_flag_overdue(today=late) == 0
    assert transfers_flag_overdue(today=late + datetime.timedelta(days=9)) == 0

    escalation = TransferEscalation.objects.get(transfer=transfer)
    assert (escalation.step, escalation.province_id) == ("applied", "44")
    assert InboxMessage.objects.filter(person=mover, kind="transfer_overdue").count() == 1
    assert transfer_shown(transfer=transfer).timeline[-1]["step"] == "overdue"
    transfer.refresh_from_db()
    assert transfer.overdue_since == late


# --- reconciliation ----------------------------------------------------------------------------------------


def test_reconciliation_finds_a_transfer_whose_legs_do_not_sum_to_zero_and_alerts_once(mover, caplog):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=transfer, actor=TEST_ACTOR)
    done = transfer_complete(
        transfer=transfer_funds_send(transfer=transfer, actor=TEST_ACTOR), actor=TEST_ACTOR
    )
    assert transfers_reconcile() == []
    AccountEntry.objects.create(
        person=mover, province_id="44", scheme=EP, kind=AccountEntryKind.TRANSFER_IN, amount=Decimal("0.01"),
        period=done.interest_up_to_period, transfer_id=done.pk,
    )  # fmt: skip

    with caplog.at_level(logging.ERROR, logger="insurance.services.transfers"):
        found = transfers_reconcile()
        transfers_reconcile()

    assert [(u.transfer_id, u.imbalance) for u in found] == [(done.pk, Decimal("0.01"))]
    assert any("does not reconcile" in record.message for record in caplog.records)
    assert ReconciliationAlert.objects.filter(transfer=done, resolved_at__isnull=True).count() == 1


# --- temporary accounts and the benefit province --------------------------------------------------------


@pytest.fixture
def older_mover(configured_years, employer):
    """A man born 1970 (54 in 2024), hukou Beijing, who paid in Beijing and moves to Guangdong."""
    person = register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1970, 1, 1)), name="王五"
    )
    open_relationship(person=person, scheme=EP, province_id="11", opened_period=202301)
    record_contributions(person=person, scheme=EP, province_id="11", months=_months([202301]))
    relationship_suspend(relationship=_relationship(person, EP, "11"), period=202302, actor=TEST_ACTOR)
    return person


def test_a_man_of_50_moving_away_from_hukou_pays_into_a_temporary_account_that_is_not_transferred(
    older_mover,
):
    open_relationship(person=older_mover, scheme=EP, province_id="44", opened_period=202401)

    assert _relationship(older_mover, EP, "44").is_temporary_account is True
    assert not Transfer.objects.filter(person=older_mover).exists()  # nothing offered
    with pytest.raises(ApplicationError) as refused:
        transfer_apply(person=older_mover, scheme=EP, actor=TEST_ACTOR)
    assert refused.value.code == "transfer_into_temporary_account"
    decision = benefit_province_decide(person=older_mover)
    # The basic relationship stays in the hukou province; the temporary-account province is never counted.
    assert (decision.province, decision.branch) == ("11", 1)
    assert "44" not in {branch.province for branch in decision.branches}


def test_an_approved_transfer_opens_a_basic_relationship_that_transfers(older_mover):
    open_relationship(
        person=older_mover, scheme=EP, province_id="44", opened_period=202401, approved_transfer=True
    )

    assert _relationship(older_mover, EP, "44").is_temporary_account is False
    assert transfer_apply(person=older_mover, scheme=EP, actor=TEST_ACTOR).status == TransferStatus.APPLIED


def _years_in(person, province, first_year, years):
    for year in range(first_year, first_year + years):
        if not ProvinceYearConfig.objects.filter(province_id=province, year=year).exists():
            province_year_config_create(
                province_id=province, year=year, average_monthly_wage=Decimal("10000.00")
            )
    record_contributions(
        person=person,
        scheme=EP,
        province_id=province,
        months=_months(
            [year * 100 + month for year in range(first_year, first_year + years) for month in range(1, 13)]
        ),
    )


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        # (province, years) oldest first; the last is the current relationship. Hukou is Beijing (11).
        ([("44", 3), ("11", 2)], ("11", 1)),  # 1: current relationship in the hukou province
        ([("31", 3), ("44", 10)], ("44", 2)),  # 2: ten years in the current province
        ([("31", 10), ("44", 3)], ("31", 3)),  # 3: the most recent earlier province with ten years
        ([("31", 4), ("44", 3)], ("11", 4)),  # 4: everything gathers in the hukou province
    ],
)
def test_the_benefit_province_follows_each_branch_with_the_years_it_counted(history, expected, employer):
    person = register_person(id_number=make_id_number(province="11", sequence=9), name="赵六")
    year = 2000
    for province, years in history:
        open_relationship(person=person, scheme=EP, province_id=province, opened_period=year * 100 + 1)
        _years_in(person, province, year, years)
        year += years
        if (province, years) != history[-1]:
            relationship_suspend(
                relationship=_relationship(person, EP, province), period=year * 100 + 1, actor=TEST_ACTOR
            )

    decision = benefit_province_decide(person=person)

    assert (decision.province, decision.branch) == expected
    counted = {branch.province: branch.months for branch in decision.branches if branch.province}
    for province, years in history:
        if province in counted and counted[province] is not None:
            assert counted[province] == years * 12


def test_money_on_its_way_earns_no_interest_in_the_old_province(mover):
    transfer = transfer_apply(person=mover, scheme=EP, actor=TEST_ACTOR)
    transfer_accept(transfer=transfer, actor=TEST_ACTOR)
    year = timezone.localdate().year - 1
    sent = transfer_funds_send(transfer=transfer, actor=TEST_ACTOR, today=datetime.date(year, 6, 1))
    assert sent.interest_up_to_period == year * 100 + 6

    # The year-end run would otherwise credit June to December on the balance that has left.
    run = year_end_interest(year=year, province_id="11")

    assert not run.credited.filter(person=mover).exists()
    transfer_complete(transfer=sent, actor=TEST_ACTOR)
    old = LedgerEntry.objects.filter(person=mover, province_id="11", scheme=EP).aggregate(b=Sum("amount"))
    assert old["b"] == Decimal("0.00")
