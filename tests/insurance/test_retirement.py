from decimal import Decimal

import pytest

from core.identity import Sex
from insurance.calculators.retirement import (
    FemaleCategory,
    RetirementInputError,
    minimum_contribution_months,
    retirement_plan_calculate,
)


@pytest.mark.parametrize(
    ("birth_month", "sex", "category", "age", "delay", "retirement_month"),
    [
        (196501, Sex.MALE, None, (60, 1), 1, 202502),
        (197506, Sex.MALE, None, (62, 8), 32, 203802),
        (197506, Sex.FEMALE, FemaleCategory.WORKER, (50, 3), 3, 202509),
        (197106, Sex.FEMALE, FemaleCategory.CADRE, (55, 5), 5, 202611),
    ],
)
def test_domain_examples_give_the_published_ages(birth_month, sex, category, age, delay, retirement_month):
    plan = retirement_plan_calculate(birth_month=birth_month, sex=sex, female_category=category)

    assert (plan.retirement_age_years, plan.retirement_age_months) == age
    assert plan.delay_months == delay
    assert plan.retirement_month == retirement_month


def test_man_born_1975_06_plan_explains_every_step(english):
    plan = retirement_plan_calculate(birth_month=197506, sex=Sex.MALE)

    assert plan.original_age_years == 60
    assert plan.minimum_contribution_months == 234
    assert plan.minimum_contribution_years == Decimal("19.5")
    assert [step.code for step in plan.steps] == [
        "retirement_original_age",
        "retirement_months_since_cohort_start",
        "retirement_delay",
        "retirement_age",
        "retirement_month",
        "retirement_minimum_contribution",
    ]
    assert dict(plan.steps[0].params) == {
        "born": "1975-06",
        "cohort": "men",
        "cohort_description": "men",
        "original_age_years": 60,
    }
    assert dict(plan.steps[2].params) == {
        "n": 126,
        "divisor": 4,
        "uncapped_months": 32,
        "max_delay_months": 36,
        "delay_months": 32,
    }
    assert tuple(step.message for step in plan.steps) == (
        "Born 1975-06, men: the statutory age before the 2025 reform is 60 years.",
        "Months from the cohort start 1965-01 to 1975-06 inclusive: n = 126.",
        "Delay = ceil(126 / 4) = 32 months, at most 36: 32 months.",
        "New retirement age = 60 years + 32 months = 62 y 8 m.",
        "Retirement month = 1975-06 + 62 y 8 m = 2038-02.",
        "Minimum contribution for a monthly pension when retiring in 2038: 19.5 years (234 months).",
    )


@pytest.mark.parametrize(
    ("birth_month", "sex", "category", "age", "retirement_month"),
    [
        (198001, Sex.MALE, None, (63, 0), 204301),
        (197609, Sex.MALE, None, (63, 0), 203909),  # n = 141: the first month at the cap
        (197608, Sex.MALE, None, (62, 11), 203907),  # n = 140: one month short of it
        (198409, Sex.FEMALE, FemaleCategory.WORKER, (54, 11), 203908),  # n = 117: ceil = 59
        (198411, Sex.FEMALE, FemaleCategory.WORKER, (55, 0), 203911),  # n = 119: ceil = 60, the cap
        (199001, Sex.FEMALE, FemaleCategory.WORKER, (55, 0), 204501),
        (198109, Sex.FEMALE, FemaleCategory.CADRE, (58, 0), 203909),
        (199001, Sex.FEMALE, FemaleCategory.CADRE, (58, 0), 204801),
    ],
)
def test_delay_stops_at_its_cap(birth_month, sex, category, age, retirement_month):
    plan = retirement_plan_calculate(birth_month=birth_month, sex=sex, female_category=category)

    assert (plan.retirement_age_years, plan.retirement_age_months) == age
    assert plan.retirement_month == retirement_month


def test_capped_delay_is_explained():
    plan = retirement_plan_calculate(birth_month=198001, sex=Sex.MALE)

    assert plan.steps[2].code == "retirement_delay"
    assert (plan.steps[2].params["uncapped_months"], plan.steps[2].params["delay_months"]) == (46, 36)


@pytest.mark.parametrize(
    ("birth_month", "sex", "category", "original_age", "retirement_month"),
    [
        (196412, Sex.MALE, None, 60, 202412),
        (196912, Sex.FEMALE, FemaleCategory.CADRE, 55, 202412),
        (197412, Sex.FEMALE, FemaleCategory.WORKER, 50, 202412),
    ],
)
def test_born_before_the_cohort_start_retires_at_the_old_age(
    birth_month, sex, category, original_age, retirement_month
):
    plan = retirement_plan_calculate(birth_month=birth_month, sex=sex, female_category=category)

    assert plan.delay_months == 0
    assert (plan.retirement_age_years, plan.retirement_age_months) == (original_age, 0)
    assert plan.retirement_month == retirement_month
    assert plan.minimum_contribution_months == 180
    assert plan.steps[1].code == "retirement_no_delay"


def test_plain_strings_from_models_and_forms_are_accepted():
    plan = retirement_plan_calculate(birth_month=197506, sex="F", female_category="worker")

    assert plan.sex is Sex.FEMALE
    assert plan.female_category is FemaleCategory.WORKER
    assert plan.retirement_month == 202509


@pytest.mark.parametrize(
    ("year", "months", "years"),
    [
        (2025, 180, Decimal("15")),
        (2029, 180, Decimal("15")),
        (2030, 186, Decimal("15.5")),
        (2031, 192, Decimal("16")),
        (2038, 234, Decimal("19.5")),
        (2039, 240, Decimal("20")),
        (2050, 240, Decimal("20")),
    ],
)
def test_minimum_contribution_rises_half_a_year_a_year_from_2030_to_20_years(year, months, years):
    assert minimum_contribution_months(retirement_year=year) == months
    assert Decimal(months) / 12 == years


def test_retiring_in_2030_needs_15_and_a_half_years():
    # Woman worker born 1978-12: n = 48, delay 24 months, retires at 52 in 2030-12.
    plan = retirement_plan_calculate(
        birth_month=197812, sex=Sex.FEMALE, female_category=FemaleCategory.WORKER
    )

    assert plan.retirement_month == 203012
    assert plan.minimum_contribution_years == Decimal("15.5")


def test_woman_without_category_is_refused():
    with pytest.raises(RetirementInputError) as error:
        retirement_plan_calculate(birth_month=197506, sex=Sex.FEMALE)

    assert error.value.code == "retirement_female_category_required"


def test_man_with_a_female_category_is_refused():
    with pytest.raises(RetirementInputError) as error:
        retirement_plan_calculate(birth_month=197506, sex=Sex.MALE, female_category=FemaleCategory.CADRE)

    assert error.value.code == "retirement_female_category_not_applicable"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"birth_month": 197513, "sex": "M"}, "retirement_birth_month_invalid"),
        ({"birth_month": 197500, "sex": "M"}, "retirement_birth_month_invalid"),
        ({"birth_month": 197506, "sex": "X"}, "retirement_input_invalid"),
        ({"birth_month": 197506, "sex": "F", "female_category": "manager"}, "retirement_input_invalid"),
    ],
)
def test_malformed_input_is_refused(kwargs, code):
    with pytest.raises(RetirementInputError) as error:
        retirement_plan_calculate(**kwargs)

    assert error.value.code == code


def test_plan_steps_are_in_chinese_by_default():
    plan = retirement_plan_calculate(birth_month=197506, sex=Sex.FEMALE, female_category="worker")

    assert plan.steps[0].params["cohort"] == "women_worker"
    assert (
        plan.steps[0].message
        == "1975-06 出生，原法定退休年龄 50 周岁的女职工：2025 年改革前的法定退休年龄为 50 周岁。"
    )
    assert plan.steps[-1].message == "2025 年退休的按月领取养老金最低缴费年限：15 年（180 个月）。"
