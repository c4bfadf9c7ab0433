"""The monthly payment run, and the stop of an award on death (from the API and from an import)."""

import datetime
from decimal import Decimal

import pytest

from cards.models import CardAccountEntry
from certification.models import AwardMonth, AwardStatus, PensionAward, RecoveryCase
from certification.services.awards import awards_pay_month, pension_adjustment_apply
from certification.states import AWARD_STATES
from core.states import Actor
from insurance.models import Scheme
from tests.cards.cardmaking import enabled_card
from tests.certification.conftest import award_in_payment, concurrently, record_death
from tests.factories import open_relationship

pytestmark = pytest.mark.django_db
RUN = Actor.periodic("test")


def months_of(award):
    return list(
        AwardMonth.objects.filter(award=award).order_by("month").values_list("month", "outcome", "amount")
    )


def test_the_payment_run_pays_each_month_once_at_that_months_amount_into_the_card():
    award = award_in_payment(
        sequence=1, amount="3000.00", first_month=202501, certified_on=datetime.date(2025, 1, 1)
    )
    enabled_card(award.person)
    not_yet = award_in_payment(sequence=2, first_month=202503)
    enabled_card(not_yet.person)
    pension_adjustment_apply(
        province_id="11", scheme=Scheme.EMPLOYEE_PENSION, from_month=202502, rate=Decimal("0.02"),
        fixed_amount=Decimal(0),
    )  # fmt: skip

    january = awards_pay_month(month=202501)
    again = awards_pay_month(month=202501)
    february = awards_pay_month(month=202502)

    assert (january.paid, again.paid, february.paid) == (1, 0, 1)
    assert months_of(award) == [(202501, "paid", Decimal("3000.00")), (202502, "paid", Decimal("3060.00"))]
    assert sorted(
        CardAccountEntry.objects.filter(person_id=award.person_id).values_list("reference", "amount", "kind")
    ) == [
        (f"pension:{award.pk}:202501", Decimal("3000.00"), "pension"),
        (f"pension:{award.pk}:202502", Decimal("3060.00"), "pension"),
    ]
    assert not AwardMonth.objects.filter(award=not_yet).exists()


def test_a_suspended_award_has_its_months_withheld_and_an_award_without_a_card_waits_for_the_next_run():
    suspended = award_in_payment(sequence=1)
    enabled_card(suspended.person)
    AWARD_STATES.move(suspended.pk, to=AwardStatus.SUSPENDED, actor=RUN)
    without_card = award_in_payment(sequence=2)

    first = awards_pay_month(month=202401)
    second = awards_pay_month(month=202401)
    enabled_card(without_card.person)
    third = awards_pay_month(month=202401)

    assert (first.withheld, first.refused, second.withheld, second.refused) == (1, 1, 0, 1)
    assert third.paid == 1
    assert months_of(suspended) == [(202401, "withheld", Decimal("3000.00"))]
    assert not CardAccountEntry.objects.filter(person_id=suspended.person_id).exists()
    assert months_of(without_card) == [(202401, "paid", Decimal("3000.00"))]


@pytest.mark.parametrize("through", ["api", "import"])
def test_a_death_stops_the_award_from_the_next_month_and_opens_recovery_of_the_months_paid_after(through):
    award = award_in_payment(sequence=1, first_month=202501, certified_on=datetime.date(2025, 1, 1))
    open_relationship(
        person=award.person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401
    )
    enabled_card(award.person)
    for month in (202501, 202502, 202503, 202504):
        awards_pay_month(month=month)

    record_death(award.person, datetime.date(2025, 2, 20), through=through)

    award.refresh_from_db()
    assert (award.status, award.stopped_from_month, award.stop_reason) == ("stopped", 202503, "death")
    case = RecoveryCase.objects.get(award=award)
    assert (case.overpaid, case.months, case.recovered, case.status) == (
        Decimal("6000.00"), [202503, 202504], Decimal(0), "open"
    )  # fmt: skip
    assert case.province_id == "11"
    # Stopped: the next run pays nothing more.
    assert awards_pay_month(month=202505).paid == 0


def test_a_death_during_a_suspension_makes_the_withheld_months_up_to_it_payable_to_the_estate():
    award = award_in_payment(sequence=1, first_month=202501)
    open_relationship(
        person=award.person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401
    )
    enabled_card(award.person)
    awards_pay_month(month=202501)
    AWARD_STATES.move(award.pk, to=AwardStatus.SUSPENDED, actor=RUN)
    for month in (202502, 202503, 202504):
        awards_pay_month(month=month)
    paid_before = CardAccountEntry.objects.filter(person_id=award.person_id).count()

    record_death(award.person, datetime.date(2025, 3, 31), through="api")

    assert months_of(award) == [
        (202501, "paid", Decimal("3000.00")),
        (202502, "estate", Decimal("3000.00")),
        (202503, "estate", Decimal("3000.00")),
        (202504, "forfeited", Decimal("3000.00")),
    ]
    assert not RecoveryCase.objects.exists()
    assert CardAccountEntry.objects.filter(person_id=award.person_id).count() == paid_before == 1
    assert PensionAward.objects.get(pk=award.pk).status == "stopped"


@pytest.mark.django_db(transaction=True)
def test_two_payment_runs_at_once_pay_each_month_once():
    from certification.tasks import awards_pay

    awards = [award_in_payment(sequence=n, first_month=202501) for n in range(1, 5)]
    for award in awards:
        enabled_card(award.person)

    _results, errors = concurrently(lambda: awards_pay(month=202501))

    assert errors == []
    assert CardAccountEntry.objects.filter(kind="pension").count() == 4
    assert AwardMonth.objects.filter(month=202501, outcome="paid").count() == 4
    assert awards_pay(month=202501)["paid"] == 0


def test_the_run_withholds_the_month_of_an_award_overdue_when_it_began_before_the_daily_suspension_ran():
    # Certified on 2024-01-01 with a 12-month cycle: due on 2025-01-01, so January is paid, February not.
    award = award_in_payment(sequence=1, first_month=202501, certified_on=datetime.date(2024, 1, 1))
    enabled_card(award.person)

    january, february = awards_pay_month(month=202501), awards_pay_month(month=202502)

    award.refresh_from_db()
    assert (january.paid, february.paid, february.withheld) == (1, 0, 1)
    assert (award.status, award.suspension_reason) == ("suspended", "overdue")
    assert months_of(award) == [
        (202501, "paid", Decimal("3000.00")),
        (202502, "withheld", Decimal("3000.00")),
    ]
