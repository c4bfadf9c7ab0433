from decimal import Decimal

import pytest

from insurance.calculators.contribution_years import ContributionYears
from insurance.calculators.pension import (
    PENSION_DIVISOR_MONTHS,
    IndexedContributionMonth,
    PensionEstimateError,
    pension_estimate_calculate,
)
from insurance.models import ContributionRecord
from insurance.selectors import contribution_months_of
from insurance.services.relationships import relationship_suspend
from insurance.services.tariffs import province_year_config_create
from tests.factories import TEST_ACTOR, open_relationship


def months_of(year: int, base: str, average_wage: str, count: int = 12) -> list[IndexedContributionMonth]:
    return [
        IndexedContributionMonth(
            period=year * 100 + month, base=Decimal(base), average_wage=Decimal(average_wage)
        )
        for month in range(1, count + 1)
    ]


def estimate(**overrides):
    arguments = {
        "province_average_wage": Decimal("8000.00"),
        # 2023: 6000 / 7500 = 0.8; 2024: 10000 / 8000 = 1.25; average (9.6 + 15) / 24 = 1.025
        "contribution_months": months_of(2023, "6000.00", "7500.00") + months_of(2024, "10000.00", "8000.00"),
        "personal_account_balance": Decimal("150000.00"),
        "retirement_age_years": 60,
        "retirement_year": 2030,
        "contribution_years": ContributionYears(total_months=186),
    }
    return pension_estimate_calculate(**{**arguments, **overrides})


def test_hand_computed_estimate():
    result = estimate()

    assert result.average_contribution_index == Decimal("1.0250")
    assert result.indexed_average_wage == Decimal("8200.00")  # 8000 × 1.025
    assert result.pooled_part == Decimal("1255.50")  # (8000 + 8200) / 2 × 15.5 × 1 %
    assert result.divisor_months == 139
    assert result.personal_account_part == Decimal("1079.14")  # 150000 / 139 = 1079.136...
    assert result.total == Decimal("2334.64")
    assert result.minimum_contribution_months == 186
    assert result.eligible is True


def test_estimate_explains_each_step_with_its_code_and_figures():
    steps = estimate().steps

    assert [(s.code, dict(s.params)) for s in steps] == [
        (
            "pension_average_contribution_index",
            {"months": 24, "index_sum": "24.600000", "average_contribution_index": "1.0250"},
        ),
        (
            "pension_indexed_average_wage",
            {
                "province_average_wage": "8000.00",
                "average_contribution_index": "1.0250",
                "indexed_average_wage": "8200.00",
            },
        ),
        (
            "pension_pooled_part",
            {
                "province_average_wage": "8000.00",
                "indexed_average_wage": "8200.00",
                "contribution_months": 186,
                "years": 15,
                "months": 6,
                "pooled_part": "1255.50",
            },
        ),
        (
            "pension_personal_account_part",
            {
                "personal_account_balance": "150000.00",
                "divisor_months": 139,
                "retirement_age_years": 60,
                "personal_account_part": "1079.14",
            },
        ),
        ("pension_total", {"pooled_part": "1255.50", "personal_account_part": "1079.14", "total": "2334.64"}),
        (
            "pension_eligible",
            {
                "years": 15,
                "months": 6,
                "contribution_months": 186,
                "minimum_years": "15.5",
                "minimum_months": 186,
                "retirement_year": 2030,
            },
        ),
    ]


@pytest.mark.usefixtures("english")
def test_estimate_steps_in_english_show_their_numbers():
    assert [s.message for s in estimate().steps] == [
        "Average contribution index = sum over 24 months of (base / that year's average wage) / 24 "
        "= 24.600000 / 24 = 1.0250.",
        "Indexed average contribution wage = 8,000.00 × 1.0250 = 8,200.00.",
        "Pooled part = (8,000.00 + 8,200.00) / 2 × 186 / 12 years (15 y 6 m) × 1% = 1,255.50.",
        "Personal account part = 150,000.00 / 139 months (divisor for retiring at 60) = 1,079.14.",
        "Monthly basic pension = 1,255.50 + 1,079.14 = 2,334.64.",
        "Contribution 15 y 6 m (186 months) against the minimum of 15.5 years (186 months) "
        "for retiring in 2030: eligible for a monthly pension.",
    ]


def test_estimate_steps_are_in_chinese_by_default():
    messages = [s.message for s in estimate().steps]

    assert messages[1] == "指数化月平均缴费工资 = 8,000.00 × 1.0250 = 8,200.00。"
    assert messages[4] == "月基本养老金 = 1,255.50 + 1,079.14 = 2,334.64。"


def test_part_years_count_by_month_and_short_contribution_is_not_eligible():
    result = estimate(
        province_average_wage=Decimal("9000.00"),
        contribution_months=months_of(2024, "5000.00", "7000.00", count=3),  # index 0.714285...
        personal_account_balance=Decimal("100000.00"),
        retirement_age_years=62,
        retirement_year=2031,
        contribution_years=ContributionYears(total_months=187),
    )

    assert result.average_contribution_index == Decimal("0.7143")
    assert result.indexed_average_wage == Decimal("6428.70")
    assert result.pooled_part == Decimal("1202.15")  # 15428.70 × 187 / 2400 = 1202.1528...
    assert result.personal_account_part == Decimal("800.00")  # 100000 / 125
    assert result.total == Decimal("2002.15")
    assert result.minimum_contribution_months == 192
    assert result.eligible is False
    assert result.steps[-1].code == "pension_not_yet_eligible"
    assert result.steps[-1].params["short_months"] == 5


def test_half_a_fen_rounds_up():
    result = estimate(
        province_average_wage=Decimal("8000.05"),
        contribution_months=months_of(2024, "8000.00", "8000.00"),  # index 1
        personal_account_balance=Decimal("560.28"),
        retirement_age_years=70,
        contribution_years=ContributionYears(total_months=120),
    )

    assert result.pooled_part == Decimal("800.01")  # 16000.10 × 120 / 2400 = 800.005
    assert result.personal_account_part == Decimal("10.01")  # 560.28 / 56 = 10.005


def test_divisor_table_is_complete_from_40_to_70():
    assert sorted(PENSION_DIVISOR_MONTHS) == list(range(40, 71))
    assert [PENSION_DIVISOR_MONTHS[age] for age in range(40, 71)] == [
        233, 230, 226, 223, 220, 216, 212, 208, 204, 199,
        195, 190, 185, 180, 175, 170, 164, 158, 152, 145,
        139, 132, 125, 117, 109, 101, 93, 84, 75, 65,
        56,
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"province_average_wage": Decimal("0")}, "pension_average_wage_invalid"),
        ({"contribution_months": []}, "pension_no_contribution_months"),
        ({"contribution_months": months_of(2024, "5000", "8000") * 2}, "pension_duplicate_period"),
        ({"contribution_months": months_of(2024, "5000", "0")}, "pension_contribution_month_invalid"),
        ({"contribution_months": months_of(2024, "-1", "8000")}, "pension_contribution_month_invalid"),
        ({"personal_account_balance": Decimal("-0.01")}, "pension_account_balance_negative"),
        ({"retirement_age_years": 39}, "pension_retirement_age_out_of_range"),
        ({"retirement_age_years": 71}, "pension_retirement_age_out_of_range"),
    ],
)
def test_impossible_inputs_are_refused(overrides, code):
    with pytest.raises(PensionEstimateError) as error:
        estimate(**overrides)

    assert error.value.code == code


def test_twelve_months_make_a_year_and_part_years_count_by_month():
    years = ContributionYears(total_months=19)

    assert (years.years, years.months) == (1, 7)
    assert years.decimal_years == Decimal("1.58")
    assert str(years) == "1 y 7 m"


@pytest.mark.django_db
def test_months_in_different_provinces_add_up_but_a_month_paid_twice_counts_once(person, employer):
    for province in ("11", "44"):
        for year in (2015, 2016):
            province_year_config_create(province_id=province, year=year, average_monthly_wage=Decimal("8000"))
    beijing = open_relationship(person=person, scheme="EP", province_id="11", opened_period=201501)
    _pay(person, "11", list(range(201501, 201513)))
    relationship_suspend(relationship=beijing, period=201601, actor=TEST_ACTOR)
    open_relationship(person=person, scheme="EP", province_id="44", opened_period=201601)
    _pay(person, "44", list(range(201601, 201613)))
    _pay(person, "11", [201612])  # also in Guangdong: an overlap that a transfer refunds

    months = contribution_months_of(person=person, scheme="EP")

    assert months.by_province == {"11": ContributionYears(13), "44": ContributionYears(12)}
    assert months.total == ContributionYears(24)
    assert contribution_months_of(person=person, scheme="EM").total == ContributionYears(0)


def _pay(person, province: str, periods: list[int]) -> None:
    """Records written as they were before the duplicate-participation check existed: the services would
    refuse the overlap now."""
    amounts = {"employer_rate": Decimal("0.16"), "individual_rate": Decimal("0.08")}
    amounts |= {"employer_amount": Decimal("1280"), "individual_amount": Decimal("640")}
    for period in periods:
        ContributionRecord.objects.create(
            person=person, scheme="EP", province_id=province, period=period, declared_base=Decimal("8000"),
            base=Decimal("8000"), base_adjustment="none", account_credit=Decimal("640"), **amounts,
        )  # fmt: skip
