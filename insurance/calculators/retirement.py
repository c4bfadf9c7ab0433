"""Statutory retirement age under the 2025 reform, and the minimum contribution for a monthly pension
(DOMAIN.md §6).

The reform is national law, not province configuration, so its figures are constants here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.identity import Sex
from insurance.calculators.steps import Step, step
from insurance.periods import month_index, period_add_months, period_label, period_year


class FemaleCategory(StrEnum):
    """Which statutory age a woman had before the reform."""

    WORKER = "worker"  # 50
    CADRE = "cadre"  # 55


class RetirementInputError(ApplicationError):
    status_code = 400


@dataclass(frozen=True, slots=True)
class _Cohort:
    code: str  # a step's `cohort` parameter
    description: str
    original_age_years: int
    start: int  # first birth month (YYYYMM) whose retirement is delayed
    birth_months_per_delay_month: int
    max_delay_months: int


_COHORTS: dict[tuple[Sex, FemaleCategory | None], _Cohort] = {
    (Sex.MALE, None): _Cohort("men", gettext_lazy("men"), 60, 196501, 4, 36),
    (Sex.FEMALE, FemaleCategory.CADRE): _Cohort(
        "women_cadre", gettext_lazy("women originally retiring at 55"), 55, 197001, 4, 36
    ),
    (Sex.FEMALE, FemaleCategory.WORKER): _Cohort(
        "women_worker", gettext_lazy("women originally retiring at 50"), 50, 197501, 2, 60
    ),
}

# Minimum contribution for a monthly pension: 15 years until 2029, then 6 months more each year from
# 2030 until it reaches 20 years (2039 onward).
_MINIMUM_MONTHS_BEFORE_RISE = 15 * 12
_LAST_YEAR_BEFORE_RISE = 2029
_RISE_PER_YEAR_MONTHS = 6
_MINIMUM_MONTHS_FINAL = 20 * 12


def minimum_contribution_months(*, retirement_year: int) -> int:
    rises = max(0, retirement_year - _LAST_YEAR_BEFORE_RISE)
    return min(_MINIMUM_MONTHS_BEFORE_RISE + rises * _RISE_PER_YEAR_MONTHS, _MINIMUM_MONTHS_FINAL)


def years_from_months(months: int) -> Decimal:
    """Exact for the half-year steps of the minimum (186 -> 15.5); used for display."""
    return Decimal(months) / 12


@dataclass(frozen=True, slots=True)
class RetirementPlan:
    birth_month: int  # YYYYMM
    sex: Sex
    female_category: FemaleCategory | None
    original_age_years: int
    delay_months: int
    retirement_age_years: int
    retirement_age_months: int
    retirement_month: int  # YYYYMM: the month the person reaches the new statutory age
    minimum_contribution_months: int
    steps: tuple[Step, ...]

    @property
    def minimum_contribution_years(self) -> Decimal:
        return years_from_months(self.minimum_contribution_months)


def _cohort_for(sex: Sex, female_category: FemaleCategory | None) -> _Cohort:
    if sex == Sex.FEMALE and female_category is None:
        raise RetirementInputError(
            "retirement_female_category_required",
            _("For a woman, say whether her original retirement age was 50 (worker) or 55 (cadre)."),
            fields={"female_category": [_("Required for women.")]},
        )
    if sex == Sex.MALE and female_category is not None:
        raise RetirementInputError(
            "retirement_female_category_not_applicable",
            _("The worker/cadre category applies to women only."),
            fields={"female_category": [_("Leave empty for men.")]},
        )
    return _COHORTS[(sex, female_category)]


def retirement_plan_calculate(
    *, birth_month: int, sex: Sex | str, female_category: FemaleCategory | str | None = None
) -> RetirementPlan:
    """New statutory retirement age and month for someone born in `birth_month` (YYYYMM)."""
    if not 1 <= birth_month % 100 <= 12:
        raise RetirementInputError(
            "retirement_birth_month_invalid",
            _("%(birth_month)s is not a month: write it as YYYYMM.") % {"birth_month": birth_month},
            fields={"birth_month": [_("Not a month.")]},
        )
    try:
        sex = Sex(sex)
        female_category = FemaleCategory(female_category) if female_category is not None else None
    except ValueError as error:
        raise RetirementInputError(
            "retirement_input_invalid",
            _("The sex is one of %(sexes)s, and the female category one of %(categories)s.")
            % {"sexes": ", ".join(Sex), "categories": ", ".join(FemaleCategory)},
        ) from error
    cohort = _cohort_for(sex, female_category)
    born = period_label(birth_month)
    steps = [
        step(
            "retirement_original_age",
            _(
                "Born %(born)s, %(cohort_description)s: the statutory age before the 2025 reform is "
                "%(original_age_years)s years."
            ),
            born=born,
            cohort=cohort.code,
            cohort_description=str(cohort.description),
            original_age_years=cohort.original_age_years,
        )
    ]

    # n counts the cohort's first month as 1, so someone born in it is already delayed by one month.
    n = month_index(birth_month) - month_index(cohort.start) + 1
    if n < 1:
        delay = 0
        steps.append(
            step(
                "retirement_no_delay",
                _("Born before the reform's cohort start %(cohort_start)s: no delay."),
                cohort_start=period_label(cohort.start),
            )
        )
    else:
        divisor = cohort.birth_months_per_delay_month
        uncapped = -(-n // divisor)  # ceil(n / divisor) in integers
        delay = min(uncapped, cohort.max_delay_months)
        steps.append(
            step(
                "retirement_months_since_cohort_start",
                _("Months from the cohort start %(cohort_start)s to %(born)s inclusive: n = %(n)s."),
                cohort_start=period_label(cohort.start),
                born=born,
                n=n,
            )
        )
        steps.append(
            step(
                "retirement_delay",
                _(
                    "Delay = ceil(%(n)s / %(divisor)s) = %(uncapped_months)s months, at most "
                    "%(max_delay_months)s: %(delay_months)s months."
                ),
                n=n,
                divisor=divisor,
                uncapped_months=uncapped,
                max_delay_months=cohort.max_delay_months,
                delay_months=delay,
            )
        )

    age_years, age_months = divmod(cohort.original_age_years * 12 + delay, 12)
    retirement_month = period_add_months(birth_month, age_years * 12 + age_months)
    steps.append(
        step(
            "retirement_age",
            _(
                "New retirement age = %(original_age_years)s years + %(delay_months)s months = "
                "%(age_years)s y %(age_months)s m."
            ),
            original_age_years=cohort.original_age_years,
            delay_months=delay,
            age_years=age_years,
            age_months=age_months,
        )
    )
    steps.append(
        step(
            "retirement_month",
            _("Retirement month = %(born)s + %(age_years)s y %(age_months)s m = %(retirement_month)s."),
            born=born,
            age_years=age_years,
            age_months=age_months,
            retirement_month=period_label(retirement_month),
        )
    )

    retirement_year = period_year(retirement_month)
    minimum = minimum_contribution_months(retirement_year=retirement_year)
    steps.append(
        step(
            "retirement_minimum_contribution",
            _(
                "Minimum contribution for a monthly pension when retiring in %(retirement_year)s: "
                "%(minimum_years)s years (%(minimum_months)s months)."
            ),
            retirement_year=retirement_year,
            minimum_years=years_from_months(minimum),
            minimum_months=minimum,
        )
    )
    return RetirementPlan(
        birth_month=birth_month,
        sex=sex,
        female_category=female_category,
        original_age_years=cohort.original_age_years,
        delay_months=delay,
        retirement_age_years=age_years,
        retirement_age_months=age_months,
        retirement_month=retirement_month,
        minimum_contribution_months=minimum,
        steps=tuple(steps),
    )
