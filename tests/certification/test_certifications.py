"""Certification by each method and in any province, due dates by the province's cycle, suspension of the
overdue and resumption with exact back pay across a yearly adjustment."""

import datetime
from decimal import Decimal

import pytest

from cards.models import CardAccountEntry
from certification.models import AwardMonth, Certification, CertificationProvinceConfig
from certification.services.awards import awards_pay_month, pension_adjustment_apply
from certification.services.certifications import (
    CertificationInput,
    award_certify,
    award_due_date,
    awards_remind_due,
    awards_suspend_overdue,
    months_after,
)
from core.exceptions import ApplicationError
from insurance.models import InboxMessage, Scheme
from tests.cards.cardmaking import enabled_card
from tests.certification.conftest import award_in_payment
from tests.factories import TEST_ACTOR

pytestmark = pytest.mark.django_db


def certify(award, day, *, method="on_site", province="11", evidence="hall visit"):
    return award_certify(
        award=award,
        certification=CertificationInput(
            method=method, certified_on=day, place_province_id=province, place="Hall 3", evidence=evidence
        ),
        actor=TEST_ACTOR,
    )


def test_the_due_date_is_the_last_certification_plus_the_provinces_cycle():
    award = award_in_payment(sequence=1, certified_on=datetime.date(2024, 1, 31))
    assert award_due_date(award=award) == datetime.date(2025, 1, 31)
    CertificationProvinceConfig.objects.create(province_id="11", cycle_months=6)
    assert award_due_date(award=award) == datetime.date(2024, 7, 31)
    assert months_after(datetime.date(2024, 8, 31), 6) == datetime.date(2025, 2, 28)


@pytest.mark.parametrize("method", ["face_self", "face_family", "on_site", "home_visit", "consular"])
def test_each_method_certifies_and_a_certification_in_another_province_counts_for_the_paying_one(method):
    award = award_in_payment(sequence=1, certified_on=datetime.date(2024, 1, 10))

    recorded = certify(award, datetime.date(2024, 11, 2), method=method, province="44")

    award.refresh_from_db()
    assert award.province_id == "11"
    assert award.last_certified_on == datetime.date(2024, 11, 2)
    assert award_due_date(award=award) == datetime.date(2025, 11, 2)
    assert (recorded.method, recorded.place_province_id, recorded.place, recorded.evidence) == (
        method, "44", "Hall 3", "hall visit"
    )  # fmt: skip
    assert recorded.channel == TEST_ACTOR.channel


def test_a_certification_is_recorded_once_and_never_moves_the_cycle_back():
    award = award_in_payment(sequence=1, certified_on=datetime.date(2024, 1, 10))
    certify(award, datetime.date(2024, 6, 1))
    certify(award, datetime.date(2024, 6, 1))
    certify(award, datetime.date(2024, 3, 1), evidence="older visit")

    award.refresh_from_db()
    assert award.last_certified_on == datetime.date(2024, 6, 1)
    assert Certification.objects.filter(award=award).count() == 2


def test_refusals_write_nothing():
    award = award_in_payment(sequence=1)
    codes = []
    for day, method in ((datetime.date(2099, 1, 1), "on_site"), (datetime.date(2024, 2, 1), "passive")):
        with pytest.raises(ApplicationError) as refused:
            certify(award, day, method=method)
        codes.append(refused.value.code)
    assert codes == ["certification_date_future", "certification_method_invalid"]
    assert not Certification.objects.exists()


def test_overdue_awards_are_suspended_then_back_paid_exactly_across_a_yearly_adjustment():
    award = award_in_payment(
        sequence=1, amount="3000.00", first_month=202411, certified_on=datetime.date(2023, 11, 15)
    )
    enabled_card(award.person)
    on_time = award_in_payment(sequence=2, certified_on=datetime.date(2024, 6, 1))
    awards_pay_month(month=202411)

    assert awards_suspend_overdue(today=datetime.date(2024, 11, 16)) == 1
    assert awards_suspend_overdue(today=datetime.date(2024, 11, 20)) == 0
    award.refresh_from_db()
    on_time.refresh_from_db()
    assert (award.status, award.suspension_reason, on_time.status) == ("suspended", "overdue", "paying")
    assert InboxMessage.objects.filter(person_id=award.person_id, kind="certification_overdue").count() == 1

    pension_adjustment_apply(
        province_id="11", scheme=Scheme.EMPLOYEE_PENSION, from_month=202501, rate=Decimal("0.03"),
        fixed_amount=Decimal(0),
    )  # fmt: skip
    for month in (202412, 202501, 202502):
        awards_pay_month(month=month)
    withheld = AwardMonth.objects.filter(award=award, outcome="withheld")
    assert list(withheld.values_list("month", flat=True)) == [202412, 202501, 202502]

    certify(award, datetime.date(2025, 2, 20), method="home_visit")

    award.refresh_from_db()
    assert (award.status, award.suspension_reason) == ("paying", "")
    paid = dict(CardAccountEntry.objects.filter(person_id=award.person_id).values_list("reference", "amount"))
    assert paid == {
        f"pension:{award.pk}:202411": Decimal("3000.00"),
        f"pension:{award.pk}:202412": Decimal("3000.00"),
        f"pension:{award.pk}:202501": Decimal("3090.00"),
        f"pension:{award.pk}:202502": Decimal("3090.00"),
    }
    assert AwardMonth.objects.filter(award=award, back_paid=True).count() == 3
    # Resumed from the next month: March is paid by the run, and nothing twice.
    awards_pay_month(month=202503)
    awards_pay_month(month=202503)
    assert CardAccountEntry.objects.filter(person_id=award.person_id).count() == 5


def test_pensioners_are_reminded_once_within_the_provinces_reminder_days():
    award = award_in_payment(sequence=1, certified_on=datetime.date(2024, 3, 1))  # due 2025-03-01
    CertificationProvinceConfig.objects.create(province_id="44", reminder_days=10)
    guangdong = award_in_payment(sequence=2, province="44", certified_on=datetime.date(2024, 3, 1))

    early = awards_remind_due(today=datetime.date(2025, 1, 29))
    first = awards_remind_due(today=datetime.date(2025, 2, 1))
    again = awards_remind_due(today=datetime.date(2025, 2, 15))
    later = awards_remind_due(today=datetime.date(2025, 2, 20))

    assert (early, first, again, later) == (0, 1, 0, 1)
    assert InboxMessage.objects.filter(person_id=award.person_id, kind="certification_due").count() == 1
    assert InboxMessage.objects.filter(person_id=guangdong.person_id, kind="certification_due").count() == 1
