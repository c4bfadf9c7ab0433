"""The personal-account ledger that can move money: schemes, causes, corrections, interest up to a month,
opaque ids (issue 10, requirement 4)."""

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import StateEvent
from core.money import money
from core.states import Actor, events_of
from insurance import selectors
from insurance.apis import NewestPeriodFirst
from insurance.models import (
    AccountCorrection,
    AccountEntry,
    AccountEntryKind,
    ContributionRate,
    ContributionRecord,
    CorrectionStatus,
    InterestRun,
    LedgerEntry,
    Scheme,
)
from insurance.services.accounts import (
    account_correction_approve,
    account_correction_propose,
    account_correction_reject,
    account_interest_credit,
)
from insurance.services.contributions import ContributionMonth
from insurance.services.tariffs import province_year_config_create
from tests.factories import (
    EMPLOYER_CODE,
    AdministratorFactory,
    CitizenFactory,
    authenticated_client,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)
from tests.insurance.interest import year_end_interest

pytestmark = pytest.mark.django_db

EP, EM = Scheme.EMPLOYEE_PENSION, Scheme.EMPLOYEE_MEDICAL
RATE_2024 = Decimal("0.0262")


def _pay(person, *, scheme=EP, province="11", periods, base="12000.00", employer=True):
    record_contributions(
        person=person,
        scheme=scheme,
        province_id=province,
        months=[
            ContributionMonth(
                period=period, declared_base=Decimal(base), employer_code=EMPLOYER_CODE if employer else None
            )
            for period in periods
        ],
    )


def _enrolled(*, sequence: int, province: str = "11", opened: int = 202401, scheme=EP):
    person = register_person(id_number=make_id_number(province=province, sequence=sequence), name="李四")
    open_relationship(person=person, scheme=scheme, province_id=province, opened_period=opened)
    return person


def _credit(up_to: int, *, province="11", persons=None, actor=None) -> InterestRun:
    return account_interest_credit(
        province_id=province,
        scheme=EP,
        up_to_period=up_to,
        person_ids=persons,
        actor=actor or Actor.periodic("test"),
    )


def _balance(person, *, province="11", scheme=EP) -> Decimal:
    return dict(
        (row["province_id"], row["balance"])
        for row in selectors.account_balance_of(person=person, scheme=scheme)[1]
    ).get(province, Decimal("0.00"))


def _ledger(person, scheme=EP) -> list[tuple]:
    return sorted(
        LedgerEntry.objects.filter(person=person, scheme=scheme).values_list("period", "kind", "amount")
    )


def _interest_due(entries, *, rate: Decimal, up_to: int) -> Decimal:
    """What `account_interest_credit` should credit one account, written out plainly: the opening balance
    earns `months` twelfths of the rate, each entry of the year the months after its own, less the year's
    interest already credited."""
    year, months = divmod(up_to, 100)
    first, last = year * 100 + 1, year * 100 + 12
    weighted = sum(
        (
            amount * (months if period < first else up_to - period)
            for period, _, amount in entries
            if period <= up_to
        ),
        Decimal("0"),
    )
    credited = sum(
        (amount for period, kind, amount in entries if kind == "interest" and first <= period <= last),
        Decimal("0"),
    )
    return money(weighted * rate / 12 - credited)


def _old_yearly_interest(entries, *, rate: Decimal, year: int) -> Decimal:
    """The yearly formula before interest could be credited up to a month (until this issue)."""
    first = year * 100 + 1
    return money(
        sum(
            amount if period < first else amount * (12 - period % 100) / 12
            for period, _, amount in entries
            if period <= year * 100 + 12
        )
        * rate
    )


def _snapshot() -> tuple:
    return (
        list(AccountEntry.objects.order_by("pk").values_list("pk", "kind", "amount")),
        list(
            AccountCorrection.objects.order_by("pk").values_list("pk", "status", "decided_by", "decided_at")
        ),
        list(InterestRun.objects.order_by("pk").values_list("pk", "entries")),
        StateEvent.objects.filter(entity="insurance.accountcorrection").count(),
    )


@pytest.fixture
def proposer():
    return AdministratorFactory(username="proposer")


@pytest.fixture
def approver():
    return AdministratorFactory(username="approver")


@pytest.fixture
def medical_share():
    """Beijing gives the employee medical personal account a share of 2 % of the base in 2024."""
    ContributionRate.objects.filter(config__province_id="11", config__year=2024, scheme=EM).update(
        account_rate=Decimal("0.0200")
    )


# 1. Entries carry their scheme.


def test_medical_records_with_an_account_share_credit_the_medical_account(paying_person, medical_share):
    open_relationship(person=paying_person, scheme=EM, province_id="11", opened_period=202401)
    _pay(paying_person, scheme=EM, periods=[202401, 202402])
    medical = dict(
        ContributionRecord.objects.filter(person=paying_person, scheme=EM).values_list("period", "pk")
    )

    entries = LedgerEntry.objects.filter(person=paying_person, scheme=EM).order_by("period")

    assert [(e.kind, e.amount, e.period, e.contribution_id) for e in entries] == [
        ("contribution", Decimal("240.00"), 202401, medical[202401]),
        ("contribution", Decimal("240.00"), 202402, medical[202402]),
    ]
    assert selectors.account_balance_of(person=paying_person, scheme=EM) == (
        Decimal("480.00"),
        [{"province_id": "11", "balance": Decimal("480.00")}],
    )
    assert selectors.account_balance_of(person=paying_person)[0] == Decimal("2880.00")


def test_medical_records_without_an_account_share_credit_nothing(paying_person):
    open_relationship(person=paying_person, scheme=EM, province_id="11", opened_period=202401)
    _pay(paying_person, scheme=EM, periods=[202401])

    assert not LedgerEntry.objects.filter(person=paying_person, scheme=EM).exists()
    assert selectors.account_balance_of(person=paying_person, scheme=EM) == (Decimal("0.00"), [])


def test_citizen_reads_each_account_by_its_scheme(paying_person, medical_share):
    open_relationship(person=paying_person, scheme=EM, province_id="11", opened_period=202401)
    _pay(paying_person, scheme=EM, periods=[202401])
    client = authenticated_client(CitizenFactory(id_number=paying_person.id_number))

    pension = client.get("/api/v1/me/account").json()
    medical = client.get("/api/v1/me/account", {"scheme": "EM"}).json()
    medical_entries = client.get("/api/v1/me/account/entries", {"scheme": "EM"}).json()["results"]
    pension_entries = client.get("/api/v1/me/account/entries", {"scheme": "EP"}).json()["results"]
    refused = client.get("/api/v1/me/account", {"scheme": "RP"})

    assert pension == {
        "scheme": "EP",
        "balance": "2880.00",
        "by_province": [{"province": "11", "balance": "2880.00"}],
        "temporary_accounts": [],
    }
    assert medical == {
        "scheme": "EM",
        "balance": "240.00",
        "by_province": [{"province": "11", "balance": "240.00"}],
        "temporary_accounts": [],
    }
    assert [(e["scheme"], e["kind"], e["amount"], e["period"]) for e in medical_entries] == [
        ("EM", "contribution", "240.00", 202401)
    ]
    assert [e["scheme"] for e in pension_entries] == ["EP"] * 3
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid"


def test_the_medical_account_earns_no_interest(paying_person, medical_share):
    open_relationship(person=paying_person, scheme=EM, province_id="11", opened_period=202401)
    _pay(paying_person, scheme=EM, periods=[202401])
    before = _snapshot()

    with pytest.raises(ApplicationError) as refused:
        account_interest_credit(
            province_id="11", scheme=EM, up_to_period=202412, actor=Actor.periodic("test")
        )

    assert refused.value.code == "scheme_earns_no_interest"
    assert _snapshot() == before


def test_an_entry_of_a_scheme_without_an_account_is_refused_by_the_database(paying_person):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountEntry.objects.create(
            person=paying_person, province_id="11", scheme=Scheme.RESIDENT_PENSION, kind="transfer_in",
            amount=Decimal("1.00"), period=202401, transfer_id=1,
        )  # fmt: skip

    assert not AccountEntry.objects.exists()


# 2. Each entry names its cause.


def test_every_entry_names_what_caused_it(paying_person, proposer, approver):
    run = _credit(202412)
    AccountEntry.objects.create(
        person=paying_person, province_id="11", scheme=EP, kind=AccountEntryKind.TRANSFER_OUT,
        amount=Decimal("-100.00"), period=202501, transfer_id=41,
    )  # fmt: skip
    correction = account_correction_propose(
        person=paying_person, scheme=EP, province_id="11", amount=Decimal("5.00"), period=202502,
        reason="Credit of March short by 5.00", proposed_by=Actor.admin(proposer),
    )  # fmt: skip
    account_correction_approve(correction=correction, approved_by=Actor.admin(approver))
    records = dict(ContributionRecord.objects.filter(person=paying_person).values_list("period", "pk"))

    causes = (
        LedgerEntry.objects.filter(person=paying_person)
        .order_by("period")
        .values_list("kind", "contribution_id", "interest_run_id", "transfer_id", "correction_id")
    )

    assert list(causes) == [
        ("contribution", records[202401], None, None, None),
        ("contribution", records[202402], None, None, None),
        ("contribution", records[202403], None, None, None),
        ("interest", None, run.pk, None, None),
        ("transfer_out", None, None, 41, None),
        ("correction", None, None, None, correction.pk),
    ]


def test_an_interest_run_says_who_ran_it_and_credits_many_entries(paying_person, employer, approver):
    stayer = _enrolled(sequence=21)
    _pay(stayer, periods=[202401, 202402, 202403])

    run = _credit(202412, actor=Actor.admin(approver))

    run.refresh_from_db()
    assert (run.province_id, run.scheme, run.year, run.up_to_period) == ("11", EP, 2024, 202412)
    assert (run.run_by, run.channel, run.entries, run.total) == (approver, "admin", 2, Decimal("125.76"))
    assert sorted(run.credited.values_list("person_id", "amount")) == [
        (paying_person.pk, Decimal("62.88")),
        (stayer.pk, Decimal("62.88")),
    ]
    assert run.ran_at <= timezone.now()


BAD_ENTRIES = {
    "interest without its run": {"kind": "interest", "amount": "1.00"},
    "interest naming a transfer": {"kind": "interest", "amount": "1.00", "run": True, "transfer_id": 5},
    "transfer in without its transfer": {"kind": "transfer_in", "amount": "1.00"},
    "transfer in naming a run": {"kind": "transfer_in", "amount": "1.00", "transfer_id": 5, "run": True},
    "transfer out of a positive amount": {"kind": "transfer_out", "amount": "1.00", "transfer_id": 5},
    "correction without its correction": {"kind": "correction", "amount": "1.00"},
    "correction of nothing": {"kind": "correction", "amount": "0.00", "correction": True},
}


@pytest.mark.parametrize("bad", BAD_ENTRIES.values(), ids=BAD_ENTRIES.keys())
def test_an_entry_whose_kind_and_cause_disagree_is_refused_by_the_database(paying_person, proposer, bad):
    run = InterestRun.objects.create(
        province_id="11", scheme=EP, year=2024, up_to_period=202412, channel="periodic"
    )
    correction = AccountCorrection.objects.create(
        person=paying_person, scheme=EP, province_id="11", amount=Decimal("1.00"), period=202401,
        reason="test", proposed_by=proposer,
    )  # fmt: skip

    with pytest.raises(IntegrityError), transaction.atomic():
        AccountEntry.objects.create(
            person=paying_person,
            province_id="11",
            scheme=EP,
            kind=bad["kind"],
            amount=Decimal(bad["amount"]),
            period=202406,
            transfer_id=bad.get("transfer_id"),
            interest_run=run if bad.get("run") else None,
            correction=correction if bad.get("correction") else None,
        )

    assert not AccountEntry.objects.exists()


# 3. Corrections: proposed by one person, approved by another, written on approval.


def _propose(person, proposer, amount, *, period=202404, scheme=EP, province="11", reason="Duplicate credit"):
    return account_correction_propose(
        person=person,
        scheme=scheme,
        province_id=province,
        amount=Decimal(amount),
        period=period,
        reason=reason,
        proposed_by=Actor.admin(proposer),
    )


def test_a_correction_approved_by_a_second_person_is_written_with_both_in_its_history(
    paying_person, proposer, approver
):
    correction = _propose(paying_person, proposer, "-100.00", reason="  March was credited twice  ")
    proposed = (_ledger(paying_person), correction.status)

    entry = account_correction_approve(correction=correction, approved_by=Actor.admin(approver))

    correction.refresh_from_db()
    assert proposed == (_ledger(paying_person)[:3], CorrectionStatus.PROPOSED)
    assert (entry.kind, entry.amount, entry.period, entry.scheme, entry.correction) == (
        "correction", Decimal("-100.00"), 202404, EP, correction,
    )  # fmt: skip
    assert (correction.status, correction.decided_by, correction.proposed_by) == (
        "approved",
        approver,
        proposer,
    )
    assert correction.decided_at is not None
    assert _balance(paying_person) == Decimal("2780.00")
    assert [
        (e.from_state, e.to_state, e.actor_id, e.channel, e.reason, e.person_id)
        for e in events_of(entity=AccountCorrection, object_id=correction.pk)
    ] == [
        ("", "proposed", proposer.pk, "admin", "March was credited twice", paying_person.pk),
        ("proposed", "approved", approver.pk, "admin", "", paying_person.pk),
    ]


def test_a_positive_correction_of_the_medical_account(paying_person, medical_share, proposer, approver):
    open_relationship(person=paying_person, scheme=EM, province_id="11", opened_period=202401)
    _pay(paying_person, scheme=EM, periods=[202401])

    correction = _propose(paying_person, proposer, "12.34", scheme=EM, period=202402)
    account_correction_approve(correction=correction, approved_by=Actor.admin(approver))

    assert _ledger(paying_person, EM) == [
        (202401, "contribution", Decimal("240.00")),
        (202402, "correction", Decimal("12.34")),
    ]
    assert _balance(paying_person, scheme=EM) == Decimal("252.34")
    assert _balance(paying_person) == Decimal("2880.00")


def test_the_proposer_cannot_approve_their_own_correction(paying_person, proposer):
    correction = _propose(paying_person, proposer, "-100.00")
    before = _snapshot(), events_of(entity=AccountCorrection, object_id=correction.pk).count()

    with pytest.raises(ApplicationError) as refused:
        account_correction_approve(correction=correction, approved_by=Actor.admin(proposer))

    assert (refused.value.code, refused.value.status_code) == ("correction_needs_second_person", 403)
    assert (_snapshot(), events_of(entity=AccountCorrection, object_id=correction.pk).count()) == before


def test_a_second_approval_is_refused_by_the_state_machine(paying_person, proposer, approver):
    correction = _propose(paying_person, proposer, "-100.00")
    account_correction_approve(correction=correction, approved_by=Actor.admin(approver))
    before = _snapshot(), events_of(entity=AccountCorrection, object_id=correction.pk).count()

    with pytest.raises(ApplicationError) as refused:
        account_correction_approve(correction=correction, approved_by=Actor.admin(AdministratorFactory()))

    assert refused.value.code == "state_move_not_allowed"
    assert (_snapshot(), events_of(entity=AccountCorrection, object_id=correction.pk).count()) == before
    assert _balance(paying_person) == Decimal("2780.00")


def test_a_negative_correction_larger_than_the_balance_is_refused_when_proposed(paying_person, proposer):
    before = _snapshot()

    with pytest.raises(ApplicationError) as refused:
        _propose(paying_person, proposer, "-2880.01")

    assert (refused.value.code, refused.value.status_code) == ("correction_exceeds_balance", 409)
    assert _snapshot() == before
    assert not AccountCorrection.objects.exists()


def test_a_negative_correction_the_balance_no_longer_covers_is_refused_when_approved(
    paying_person, proposer, approver
):
    first = _propose(paying_person, proposer, "-2000.00")
    second = _propose(paying_person, proposer, "-2000.00")
    account_correction_approve(correction=first, approved_by=Actor.admin(approver))
    before = _snapshot(), events_of(entity=AccountCorrection, object_id=second.pk).count()

    with pytest.raises(ApplicationError) as refused:
        account_correction_approve(correction=second, approved_by=Actor.admin(approver))

    second.refresh_from_db()
    assert refused.value.code == "correction_exceeds_balance"
    assert (_snapshot(), events_of(entity=AccountCorrection, object_id=second.pk).count()) == before
    assert (second.status, second.decided_by) == ("proposed", None)
    assert _balance(paying_person) == Decimal("880.00")


def test_a_rejected_correction_writes_nothing_and_cannot_be_approved_later(paying_person, proposer, approver):
    correction = _propose(paying_person, proposer, "50.00")

    rejected = account_correction_reject(
        correction=correction, rejected_by=Actor.admin(approver), reason="No evidence of a missing credit"
    )
    with pytest.raises(ApplicationError) as refused:
        account_correction_approve(correction=correction, approved_by=Actor.admin(approver))

    assert (rejected.status, rejected.decided_by) == ("rejected", approver)
    assert refused.value.code == "state_move_not_allowed"
    assert not AccountEntry.objects.exists()
    assert [
        (e.to_state, e.actor_id, e.reason)
        for e in events_of(entity=AccountCorrection, object_id=correction.pk)
    ] == [
        ("proposed", proposer.pk, "Duplicate credit"),
        ("rejected", approver.pk, "No evidence of a missing credit"),
    ]


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount": "0.00"}, "correction_amount_invalid"),
        ({"amount": "1.005"}, "correction_amount_invalid"),
        ({"reason": "  "}, "correction_reason_required"),
        ({"scheme": Scheme.RESIDENT_PENSION}, "scheme_has_no_account"),
        ({"province": "44"}, "account_not_held"),
        ({"period": 202413}, "period_format"),
    ],
)
def test_a_correction_that_cannot_be_proposed_leaves_nothing(paying_person, proposer, changes, code):
    proposal = {
        "amount": "10.00",
        "reason": "Reason",
        "scheme": EP,
        "province": "11",
        "period": 202404,
    } | changes
    before = _snapshot()

    with pytest.raises(ApplicationError) as refused:
        _propose(paying_person, proposer, proposal.pop("amount"), **proposal)

    assert refused.value.code == code
    assert _snapshot() == before


def test_a_rejection_needs_a_reason(paying_person, proposer, approver):
    correction = _propose(paying_person, proposer, "50.00")
    before = _snapshot()

    with pytest.raises(ApplicationError) as refused:
        account_correction_reject(correction=correction, rejected_by=Actor.admin(approver), reason=" ")

    assert refused.value.code == "correction_reason_required"
    assert _snapshot() == before


def test_the_database_refuses_a_correction_approved_by_its_proposer(paying_person, proposer):
    correction = _propose(paying_person, proposer, "50.00")

    with pytest.raises(IntegrityError), transaction.atomic():
        AccountCorrection.objects.filter(pk=correction.pk).update(
            status=CorrectionStatus.APPROVED, decided_by=proposer, decided_at=timezone.now()
        )

    correction.refresh_from_db()
    assert correction.status == CorrectionStatus.PROPOSED


def test_a_correction_entry_is_append_only_like_the_rest_of_the_ledger(paying_person, proposer, approver):
    entry = account_correction_approve(
        correction=_propose(paying_person, proposer, "-10.00"), approved_by=Actor.admin(approver)
    )

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AccountEntry.objects.filter(pk=entry.pk).update(amount=Decimal("-1.00"))
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AccountEntry.objects.filter(pk=entry.pk).delete()

    entry.refresh_from_db()
    assert entry.amount == Decimal("-10.00")


@pytest.mark.usefixtures("english")
def test_corrections_are_proposed_and_approved_in_admin(paying_person, proposer, approver):
    as_proposer, as_approver = Client(), Client()
    as_proposer.force_login(proposer)
    as_approver.force_login(approver)
    form = {"person": paying_person.pk, "scheme": "EP", "province": "11", "amount": "-80.00",
            "period": "202404", "reason": "Duplicate credit"}  # fmt: skip

    added = as_proposer.post("/admin/insurance/accountcorrection/add/", form)
    correction = AccountCorrection.objects.get()
    own = as_proposer.post(
        "/admin/insurance/accountcorrection/",
        {"action": "approve_corrections", "_selected_action": [correction.pk]},
        follow=True,
    )
    approved = as_approver.post(
        "/admin/insurance/accountcorrection/",
        {"action": "approve_corrections", "_selected_action": [correction.pk]},
        follow=True,
    )
    page = as_approver.get(f"/admin/insurance/accountcorrection/{correction.pk}/change/").content.decode()

    correction.refresh_from_db()
    assert added.status_code == 302
    assert any("someone other than its proposer" in str(m) for m in own.context["messages"])
    assert [str(m) for m in approved.context["messages"]] == [f"Correction {correction.pk} approved."]
    assert (correction.status, correction.proposed_by, correction.decided_by) == (
        "approved",
        proposer,
        approver,
    )
    assert _balance(paying_person) == Decimal("2800.00")
    assert "proposed &rarr; approved" in page


# 4. Interest up to a month, through one service.


def test_interest_up_to_a_month_counts_the_months_of_the_year_so_far(paying_person):
    run = _credit(202406)

    # 960.00 credited in months 1, 2 and 3 earn 5, 4 and 3 twelfths of 2.62 % by June.
    expected = money(Decimal("960") * (5 + 4 + 3) * RATE_2024 / 12)
    assert expected == Decimal("25.15")
    assert (run.entries, run.total) == (1, expected)
    assert _ledger(paying_person)[-1] == (202406, "interest", Decimal("25.15"))


def test_crediting_the_same_month_again_credits_nothing_more(paying_person):
    first = _credit(202406)
    again = _credit(202406)
    year_end = _credit(202412)
    year_end_again = _credit(202412)

    assert [(r.entries, r.total) for r in (first, again, year_end, year_end_again)] == [
        (1, Decimal("25.15")),
        (0, Decimal("0")),
        (1, Decimal("38.06")),
        (0, Decimal("0")),
    ]
    assert InterestRun.objects.count() == 4
    assert AccountEntry.objects.filter(kind="interest").count() == 2


def test_an_unpublished_rate_is_the_provinces_latest_published_one(paying_person):
    year_end_interest(province_id="11", year=2024)
    province_year_config_create(province_id="11", year=2025, average_monthly_wage=Decimal("11000"))

    run = _credit(202503)

    # The opening balance 2880.00 + 62.88 earns 3 twelfths of 2024's 2.62 %.
    assert run.total == money(Decimal("2942.88") * RATE_2024 * 3 / 12) == Decimal("19.28")


def test_a_published_rate_is_the_years_own(paying_person):
    year_end_interest(province_id="11", year=2024)
    province_year_config_create(
        province_id="11",
        year=2025,
        average_monthly_wage=Decimal("11000"),
        account_interest_rate=Decimal("0.0200"),
    )

    run = _credit(202503)

    assert run.total == money(Decimal("2942.88") * Decimal("0.0200") * 3 / 12) == Decimal("14.71")


def test_interest_for_named_persons_only(paying_person):
    other = _enrolled(sequence=22)
    _pay(other, periods=[202401])

    run = _credit(202406, persons=[other.pk])

    assert list(run.credited.values_list("person_id", "amount")) == [
        (other.pk, money(Decimal("960") * 5 * RATE_2024 / 12))
    ]
    assert not AccountEntry.objects.filter(person=paying_person).exists()


def test_a_balance_moved_out_in_june_leaves_nothing_behind(paying_person, employer):
    stayer = _enrolled(sequence=23)
    _pay(stayer, periods=[202401, 202402, 202403])

    # What the transfer will do: interest to the month of the move, then the whole balance moves out.
    _credit(202406, persons=[paying_person.pk])
    moved = _balance(paying_person)
    for province, amount, kind in (("11", -moved, "transfer_out"), ("44", moved, "transfer_in")):
        AccountEntry.objects.create(
            person=paying_person, province_id=province, scheme=EP, kind=kind, amount=amount, period=202406,
            transfer_id=7,
        )  # fmt: skip
    stayer_entries = _ledger(stayer)
    beijing = _credit(202412)
    guangdong = _credit(202412, province="44")

    assert moved == Decimal("2880.00") + Decimal("25.15")
    assert list(beijing.credited.values_list("person_id", "amount")) == [
        (stayer.pk, _old_yearly_interest(stayer_entries, rate=RATE_2024, year=2024))
    ]
    assert _old_yearly_interest(stayer_entries, rate=RATE_2024, year=2024) == Decimal("62.88")
    assert _balance(paying_person, province="11") == Decimal("0.00")
    # The money arrived in June earns the rest of the year where it now is.
    assert list(guangdong.credited.values_list("person_id", "amount")) == [
        (paying_person.pk, money(moved * RATE_2024 * 6 / 12))
    ]


def test_the_interest_statement_is_held_to_a_plain_computation(paying_person, employer, proposer, approver):
    province_year_config_create(
        province_id="11",
        year=2025,
        average_monthly_wage=Decimal("11000"),
        account_interest_rate=Decimal("0.0200"),
    )
    low_paid, mid_year = _enrolled(sequence=24), _enrolled(sequence=25)
    _pay(low_paid, periods=[202403, 202404, 202405, 202406, 202407, 202408], base="5000.00")
    _pay(mid_year, periods=[202411, 202412])
    year_end_interest(province_id="11", year=2024)
    _pay(paying_person, periods=[202502, 202505])
    for amount, period in (("123.45", 202502), ("-50.00", 202504)):
        account_correction_approve(
            correction=_propose(low_paid, proposer, amount, period=period), approved_by=Actor.admin(approver)
        )
    _credit(202503, persons=[mid_year.pk])
    _pay(mid_year, periods=[202504])
    persons = (paying_person, low_paid, mid_year)

    for up_to in (202506, 202512):
        ledgers = {person.pk: _ledger(person) for person in persons}
        run = _credit(up_to)
        expected = {
            pk: due
            for pk, entries in ledgers.items()
            if (due := _interest_due(entries, rate=Decimal("0.0200"), up_to=up_to)) > 0
        }

        assert dict(run.credited.values_list("person_id", "amount")) == expected
        assert len(expected) == 3


def test_the_old_yearly_formula_and_the_year_end_run_agree(paying_person, employer):
    low_paid = _enrolled(sequence=26)
    _pay(low_paid, periods=[202402, 202407, 202409], base="5000.00")
    ledgers = {person.pk: _ledger(person) for person in (paying_person, low_paid)}

    run = year_end_interest(year=2024)

    assert dict(run.credited.values_list("person_id", "amount")) == {
        pk: _old_yearly_interest(entries, rate=RATE_2024, year=2024) for pk, entries in ledgers.items()
    }


# serialized_rollback: an earlier transactional test may have flushed the regions the migrations seeded.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_year_end_run_waits_for_a_transfers_run_in_the_same_province(paying_person):
    transfer_started, transfer_may_commit = threading.Event(), threading.Event()
    finished = []

    def transfer():
        try:
            with transaction.atomic():
                _credit(202406, persons=[paying_person.pk])
                transfer_started.set()
                transfer_may_commit.wait(10)
        finally:
            connection.close()

    def year_end():
        try:
            _credit(202412)
            finished.append("year end")
        finally:
            connection.close()

    threads = [threading.Thread(target=transfer), threading.Thread(target=year_end)]
    threads[0].start()
    assert transfer_started.wait(10)
    threads[1].start()
    threads[1].join(1)
    waited = not finished
    transfer_may_commit.set()
    for thread in threads:
        thread.join(10)

    # Had it not waited, it would have credited the whole year's 62.88 beside the transfer's 25.15.
    assert waited
    assert _ledger(paying_person)[3:] == [
        (202406, "interest", Decimal("25.15")),
        (
            202412,
            "interest",
            money((Decimal("28800") + Decimal("25.15") * 6) * RATE_2024 / 12 - Decimal("25.15")),
        ),
    ]


# 5. Ledger ids are stable and opaque.


def test_ledger_ids_name_their_source_row(paying_person):
    run = _credit(202412)
    records = ContributionRecord.objects.filter(person=paying_person).values_list("pk", flat=True)
    interest = run.credited.get()

    ids = set(LedgerEntry.objects.filter(person=paying_person).values_list("id", flat=True))

    assert ids == {f"c{pk}" for pk in records} | {f"a{interest.pk}"}
    assert LedgerEntry.objects.with_id(f"a{interest.pk}").get().amount == Decimal("62.88")
    for nonsense in ("", "c", "x1", "c0", "c-1", "c01", "2", "C1", f"a{interest.pk} "):
        assert not LedgerEntry.objects.with_id(nonsense).exists()


def test_the_api_pages_entries_by_their_opaque_ids(paying_person, monkeypatch):
    _credit(202412)
    _pay(paying_person, periods=[202404, 202405])
    monkeypatch.setattr(NewestPeriodFirst, "page_size", 2)
    client = authenticated_client(CitizenFactory(id_number=paying_person.id_number))
    everything = list(
        LedgerEntry.objects.filter(person=paying_person)
        .order_by("-period", "-id")
        .values_list("id", "period")
    )

    pages, url = [], "/api/v1/me/account/entries"
    while url:
        page = client.get(url).json()
        pages.append([(e["id"], e["period"]) for e in page["results"]])
        url = page["next"]
    back, url = [], page["previous"]
    while url:
        page = client.get(url).json()
        back.append([(e["id"], e["period"]) for e in page["results"]])
        url = page["previous"]

    assert [entry for page in pages for entry in page] == everything
    assert [len(page) for page in pages] == [2, 2, 2]
    assert all(isinstance(entry_id, str) for entry_id, _ in everything)
    assert back == pages[-2::-1]


def test_the_admin_shows_a_ledger_entry_by_its_id(paying_person):
    client = Client()
    client.force_login(AdministratorFactory())
    entry = LedgerEntry.objects.filter(person=paying_person).first()

    page = client.get(f"/admin/insurance/ledgerentry/{entry.pk}/change/")
    missing = client.get("/admin/insurance/ledgerentry/c0/change/", follow=True)

    assert page.status_code == 200
    assert "960.00" in page.content.decode()
    assert missing.redirect_chain[-1][0] == "/admin/"


# 6. The balance is the sum of the ledger.


def test_every_balance_is_the_sum_of_its_ledger_to_the_fen(paying_person, medical_share, proposer, approver):
    open_relationship(person=paying_person, scheme=EM, province_id="11", opened_period=202401)
    _pay(paying_person, scheme=EM, periods=[202401, 202402, 202403])
    _credit(202406)
    account_correction_approve(
        correction=_propose(paying_person, proposer, "-0.01", scheme=EM), approved_by=Actor.admin(approver)
    )
    account_correction_approve(
        correction=_propose(paying_person, proposer, "0.07"), approved_by=Actor.admin(approver)
    )

    for scheme, expected in (
        (EP, Decimal("2880.00") + Decimal("25.15") + Decimal("0.07")),
        (EM, Decimal("719.99")),
    ):
        total, by_province = selectors.account_balance_of(person=paying_person, scheme=scheme)
        ledger = sum(amount for *_, amount in _ledger(paying_person, scheme))
        assert total == ledger == expected
        assert by_province == [{"province_id": "11", "balance": expected}]
