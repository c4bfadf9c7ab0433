import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from certification.models import AwardAmount, PensionAdjustment
from certification.services.awards import award_amount_of_month, award_retire, pension_adjustment_apply
from core.exceptions import ApplicationError
from core.models import StateEvent
from insurance.models import (
    InboxMessage,
    InsuranceRelationship,
    InsuredPerson,
    InterestRun,
    PersonStatus,
    Scheme,
    Transfer,
    TransferKind,
)
from insurance.services.contributions import ContributionMonth
from insurance.services.relationships import relationship_suspend
from insurance.services.tariffs import province_year_config_create
from insurance.services.transfers import transfers_unbalanced
from tests.certification.conftest import award_in_payment, beijing_wage, contributor
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    make_id_number,
    open_relationship,
    record_contributions,
    register_death,
    register_person,
)

pytestmark = pytest.mark.django_db

RETIRED_DAY = datetime.date(2022, 1, 20)


def test_a_person_retires_with_the_wage_of_the_year_of_retirement_and_every_input_recorded(beijing_years):
    person = contributor(months=200)

    award = award_retire(person=person, female_category=None, actor=TEST_ACTOR, today=RETIRED_DAY)

    # Born 1962-01, before the reform's cohorts: 60 years, retiring in January 2022, paid from February
    # (the benefit province pays; the wage is 2022's figure, not the latest year's).
    assert (award.province_id, award.scheme, award.first_month, award.status) == (
        "11",
        "EP",
        202202,
        "paying",
    )
    inputs = award.inputs
    assert inputs["retirement_month"] == 202201
    assert inputs["retirement_age_years"] == 60
    assert (
        Decimal(inputs["province_average_wage"])
        == beijing_wage(2022)
        != beijing_wage(timezone.localdate().year)
    )
    assert inputs["contribution_months"] == 200
    assert inputs["benefit_province"] == "11"
    # Every contribution at that year's average wage: the index is 1, so the indexed wage is the wage.
    assert Decimal(inputs["average_contribution_index"]) == Decimal("1.0000")
    pooled = (beijing_wage(2022) * 2) / 2 * Decimal(200) / 12 / 100
    assert Decimal(inputs["pooled_part"]) == pooled.quantize(Decimal("0.01"))
    assert award.monthly_amount == Decimal(inputs["pooled_part"]) + Decimal(inputs["personal_account_part"])
    assert [s["code"] for s in inputs["steps"]]
    assert award_amount_of_month(award=award, month=202202) == award.monthly_amount
    assert InsuredPerson.objects.get(pk=person.pk).status == PersonStatus.RETIRED
    assert StateEvent.objects.filter(object_id=award.pk, entity="certification.pensionaward").count() == 1


def test_short_of_the_minimum_years_is_refused_with_the_months_missing(beijing_years):
    person = contributor(months=170)

    with pytest.raises(ApplicationError) as refused:
        award_retire(person=person, female_category=None, actor=TEST_ACTOR, today=RETIRED_DAY)

    assert refused.value.code == "award_contribution_years_short"
    assert refused.value.fields["missing_months"] == ["10"]
    assert refused.value.fields["missing_years"] == ["0.83"]
    assert not AwardAmount.objects.exists()
    assert InsuredPerson.objects.get(pk=person.pk).status == PersonStatus.ACTIVE


def test_retiring_is_refused_before_the_age_twice_and_after_death(beijing_years):
    person = contributor(months=200)
    with pytest.raises(ApplicationError) as early:
        award_retire(person=person, female_category=None, actor=TEST_ACTOR, today=datetime.date(2021, 12, 31))
    award_retire(person=person, female_category=None, actor=TEST_ACTOR, today=RETIRED_DAY)
    with pytest.raises(ApplicationError) as twice:
        award_retire(person=person, female_category=None, actor=TEST_ACTOR, today=RETIRED_DAY)
    dead = contributor(months=200, sequence=2)
    register_death(person=dead, date_of_death=datetime.date(2022, 2, 1))
    with pytest.raises(ApplicationError) as deceased:
        award_retire(person=dead, female_category=None, actor=TEST_ACTOR, today=RETIRED_DAY)

    assert (early.value.code, twice.value.code, deceased.value.code) == (
        "award_before_retirement_age",
        "award_exists",
        "award_person_not_active",
    )


@pytest.fixture
def mover_at_fifty(beijing_years):
    """A Beijing man born in January 1962 who never worked in Beijing: ten years in Shanghai (2000-2009),
    two in Henan (2010-2011, at 48), then from 50 ten years in a Guangdong temporary account (2012-2021),
    every month at 8000, the provinces' wage and interest 2 % in every year."""
    for province in ("31", "41", "44"):
        for year in range(2000, timezone.localdate().year + 1):
            province_year_config_create(
                province_id=province,
                year=year,
                average_monthly_wage=Decimal("8000.00"),
                account_interest_rate=Decimal("0.02"),
            )
    person = register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1962, 1, 10), sequence=7),
        name="周七",
    )
    for province, first_year, last_year in (("31", 2000, 2009), ("41", 2010, 2011), ("44", 2012, 2021)):
        relationship = open_relationship(
            person=person,
            scheme=Scheme.EMPLOYEE_PENSION,
            province_id=province,
            opened_period=first_year * 100 + 1,
        )
        record_contributions(
            person=person,
            scheme=Scheme.EMPLOYEE_PENSION,
            province_id=province,
            months=[
                ContributionMonth(
                    period=year * 100 + month, declared_base=Decimal("8000.00"), employer_code=EMPLOYER_CODE
                )
                for year in range(first_year, last_year + 1)
                for month in range(1, 13)
            ],
        )
        if province != "44":
            relationship_suspend(
                relationship=relationship, period=(last_year + 1) * 100 + 1, actor=TEST_ACTOR
            )
    return person


def _guangdong(person):
    return InsuranceRelationship.objects.get(person=person, province_id="44")


def test_retiring_gathers_the_temporary_account_to_the_benefit_province_before_the_award(mover_at_fifty):
    assert _guangdong(mover_at_fifty).is_temporary_account is True

    award = award_retire(person=mover_at_fifty, female_category=None, actor=TEST_ACTOR, today=RETIRED_DAY)

    # The 10-year rule: Henan (current, 2 years) no, Shanghai (10 years) yes; never the temporary account's
    # Guangdong, and not Henan, the basic relationship a further move would have gathered to.
    assert (award.province_id, award.inputs["benefit_province"]) == ("31", "31")
    gathering = Transfer.objects.get(person=mover_at_fifty, kind=TransferKind.GATHERING)
    shanghai = InsuranceRelationship.objects.get(person=mover_at_fifty, province_id="31")
    assert (gathering.from_province_id, gathering.to_province_id, gathering.to_relationship_id) == (
        "44",
        "31",
        shanghai.pk,
    )
    # 120 months x 640.00, with January 2022's interest on it (2 % / 12), credited before it moved; the
    # pool at 12 % of 120 x 8000.
    assert gathering.interest_up_to_period == 202201
    assert (gathering.account_amount, gathering.pooled_amount) == (Decimal("76928.00"), Decimal("115200.00"))
    assert _guangdong(mover_at_fifty).status == "sealed"
    assert transfers_unbalanced() == []
    # The award read the account after the gathering: Shanghai 72 x 880 + 48 x 640, Henan 24 x 640, and
    # Guangdong's gathered 76928.00 with its interest.
    assert award.inputs["personal_account_balance"] == "186368.00"
    assert award.inputs["contribution_months"] == 264
    assert InboxMessage.objects.filter(person=mover_at_fifty, kind="temporary_account_gathered").count() == 1


def test_a_refused_retirement_gathers_nothing(mover_at_fifty):
    runs = InterestRun.objects.count()

    with pytest.raises(ApplicationError) as refused:
        award_retire(
            person=mover_at_fifty, female_category=None, actor=TEST_ACTOR, today=datetime.date(2021, 12, 31)
        )

    assert refused.value.code == "award_before_retirement_age"
    assert _guangdong(mover_at_fifty).status == "paying"
    assert not Transfer.objects.filter(person=mover_at_fifty, kind=TransferKind.GATHERING).exists()
    assert InterestRun.objects.count() == runs


def test_the_yearly_adjustment_gives_every_month_its_own_amount():
    award = award_in_payment(sequence=1, amount="3000.00", first_month=202401)
    other_province = award_in_payment(sequence=2, amount="3000.00", province="44")
    later = award_in_payment(sequence=3, amount="2000.00", first_month=202502)

    first = pension_adjustment_apply(
        province_id="11",
        scheme=Scheme.EMPLOYEE_PENSION,
        from_month=202501,
        rate=Decimal("0.02"),
        fixed_amount=Decimal("30.00"),
    )
    second = pension_adjustment_apply(
        province_id="11",
        scheme=Scheme.EMPLOYEE_PENSION,
        from_month=202601,
        rate=Decimal("0.0155"),
        fixed_amount=Decimal(0),
    )

    amounts = [award_amount_of_month(award=award, month=m) for m in (202401, 202412, 202501, 202512, 202601)]
    # 3000 × 1.02 + 30 = 3090.00; 3090 × 1.0155 = 3137.895 -> 3137.90 (half up, once).
    assert amounts == [Decimal("3000.00"), Decimal("3000.00"), Decimal("3090.00"), Decimal("3090.00"),
                       Decimal("3137.90")]  # fmt: skip
    assert award_amount_of_month(award=other_province, month=202601) == Decimal("3000.00")
    # Began after the first adjustment: only the second applies to it.
    assert award_amount_of_month(award=later, month=202512) == Decimal("2000.00")
    assert award_amount_of_month(award=later, month=202601) == Decimal("2031.00")
    assert (first.awards_adjusted, second.awards_adjusted) == (1, 2)
    with pytest.raises(ApplicationError) as before:
        award_amount_of_month(award=award, month=202312)
    assert before.value.code == "award_month_before_first"


def test_an_adjustment_is_applied_once_and_in_order_and_must_raise_something():
    award_in_payment(sequence=1)
    adjust = dict(province_id="11", scheme=Scheme.EMPLOYEE_PENSION, fixed_amount=Decimal("10"))
    pension_adjustment_apply(from_month=202501, rate=Decimal("0.01"), **adjust)

    codes = []
    for month, rate, fixed in ((202501, "0.01", "10"), (202412, "0.01", "10"), (202601, "0", "0")):
        with pytest.raises(ApplicationError) as refused:
            pension_adjustment_apply(
                province_id="11",
                scheme=Scheme.EMPLOYEE_PENSION,
                from_month=month,
                rate=Decimal(rate),
                fixed_amount=Decimal(fixed),
            )
        codes.append(refused.value.code)

    assert codes == ["adjustment_out_of_order", "adjustment_out_of_order", "adjustment_invalid"]
    assert PensionAdjustment.objects.count() == 1
    assert AwardAmount.objects.count() == 2
