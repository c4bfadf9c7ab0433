"""Basic pension estimate for enterprise employees (DOMAIN.md §6).

    pooled part           = (province average wage + indexed average wage) / 2 × contribution years × 1 %
    indexed average wage  = province average wage × average contribution index
    contribution index    = a month's base / that year's average monthly wage, averaged over the months
    personal account part = account balance / divisor months for the retirement age

Rounding happens once per figure, half up, where the figure is named: the average index to 4 places
(it is a ratio, and 2 places would move the pension by up to 0.5 % of the average wage), every money
figure to 2 places. Each later figure is computed from the rounded earlier ones, so that the steps shown
to the citizen can be redone by hand and give the same result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.money import money
from insurance.calculators.contribution_years import ContributionYears
from insurance.calculators.retirement import minimum_contribution_months, years_from_months
from insurance.calculators.steps import Step, step
from insurance.periods import period_label

# Months over which the personal account is paid out, by age at retirement in whole years
# (the table annexed to 国发〔2005〕38号).
PENSION_DIVISOR_MONTHS = MappingProxyType(
    {
        40: 233, 41: 230, 42: 226, 43: 223, 44: 220, 45: 216, 46: 212, 47: 208, 48: 204, 49: 199,
        50: 195, 51: 190, 52: 185, 53: 180, 54: 175, 55: 170, 56: 164, 57: 158, 58: 152, 59: 145,
        60: 139, 61: 132, 62: 125, 63: 117, 64: 109, 65: 101, 66: 93, 67: 84, 68: 75, 69: 65,
        70: 56,
    }
)  # fmt: skip

INDEX_PLACES = Decimal("0.0001")
_POOLED_DIVISOR = 2 * 12 * 100  # the mean of two wages, months to years, 1 % per year


class PensionEstimateError(ApplicationError):
    status_code = 400


@dataclass(frozen=True, slots=True)
class IndexedContributionMonth:
    period: int  # YYYYMM
    base: Decimal
    average_wage: Decimal  # the province's average monthly wage that the month's index divides by


@dataclass(frozen=True, slots=True)
class PensionEstimate:
    average_contribution_index: Decimal
    indexed_average_wage: Decimal
    pooled_part: Decimal
    divisor_months: int
    personal_account_part: Decimal
    total: Decimal
    contribution_years: ContributionYears
    minimum_contribution_months: int
    eligible: bool
    steps: tuple[Step, ...]


def _refuse(code: str, message: str, field: str) -> PensionEstimateError:
    return PensionEstimateError(code, message, fields={field: [message]})


def _check_inputs(
    province_average_wage: Decimal,
    contribution_months: Sequence[IndexedContributionMonth],
    personal_account_balance: Decimal,
    retirement_age_years: int,
) -> None:
    if province_average_wage <= 0:
        raise _refuse(
            "pension_average_wage_invalid",
            _("The province's average monthly wage must be more than zero."),
            "province_average_wage",
        )
    if not contribution_months:
        raise _refuse(
            "pension_no_contribution_months",
            _("The estimate needs at least one month of contributions."),
            "contribution_months",
        )
    seen: set[int] = set()
    for month in contribution_months:
        if month.period in seen:
            raise _refuse(
                "pension_duplicate_period",
                _("%(period)s appears twice: keep the month of one province only.")
                % {"period": period_label(month.period)},
                "contribution_months",
            )
        seen.add(month.period)
        if month.average_wage <= 0 or month.base < 0:
            raise _refuse(
                "pension_contribution_month_invalid",
                _("%(period)s: the base must not be negative and the average wage must be more than zero.")
                % {"period": period_label(month.period)},
                "contribution_months",
            )
    if personal_account_balance < 0:
        raise _refuse(
            "pension_account_balance_negative",
            _("The personal account balance must not be negative."),
            "personal_account_balance",
        )
    if retirement_age_years not in PENSION_DIVISOR_MONTHS:
        raise _refuse(
            "pension_retirement_age_out_of_range",
            _("The divisor table covers retirement ages %(lowest)s to %(highest)s, not %(age)s.")
            % {
                "lowest": min(PENSION_DIVISOR_MONTHS),
                "highest": max(PENSION_DIVISOR_MONTHS),
                "age": retirement_age_years,
            },
            "retirement_age_years",
        )


def pension_estimate_calculate(
    *,
    province_average_wage: Decimal,
    contribution_months: Sequence[IndexedContributionMonth],
    personal_account_balance: Decimal,
    retirement_age_years: int,
    retirement_year: int,
    contribution_years: ContributionYears,
) -> PensionEstimate:
    """Estimate the monthly basic pension. `province_average_wage` is the previous year's average monthly
    wage of the benefit province; `contribution_years` may exceed the listed months (deemed years)."""
    _check_inputs(province_average_wage, contribution_months, personal_account_balance, retirement_age_years)
    steps = []

    count = len(contribution_months)
    index_sum = sum((month.base / month.average_wage for month in contribution_months), Decimal(0))
    average_index = (index_sum / count).quantize(INDEX_PLACES, rounding=ROUND_HALF_UP)
    steps.append(
        step(
            "pension_average_contribution_index",
            _(
                "Average contribution index = sum over %(months)s months of (base / that year's average "
                "wage) / %(months)s = %(index_sum)s / %(months)s = %(average_contribution_index)s."
            ),
            months=count,
            index_sum=index_sum.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP),
            average_contribution_index=average_index,
        )
    )

    indexed_wage = money(province_average_wage * average_index)
    steps.append(
        step(
            "pension_indexed_average_wage",
            _(
                "Indexed average contribution wage = %(province_average_wage)s × "
                "%(average_contribution_index)s = %(indexed_average_wage)s."
            ),
            province_average_wage=province_average_wage,
            average_contribution_index=average_index,
            indexed_average_wage=indexed_wage,
        )
    )

    total_months = contribution_years.total_months
    # / 2 × (months / 12) years × 1 % as one division, so that a half fen is not lost before rounding.
    pooled = money((province_average_wage + indexed_wage) * total_months / _POOLED_DIVISOR)
    steps.append(
        step(
            "pension_pooled_part",
            _(
                "Pooled part = (%(province_average_wage)s + %(indexed_average_wage)s) / 2 × "
                "%(contribution_months)s / 12 years (%(years)s y %(months)s m) × 1%% = %(pooled_part)s."
            ),
            province_average_wage=province_average_wage,
            indexed_average_wage=indexed_wage,
            contribution_months=total_months,
            years=contribution_years.years,
            months=contribution_years.months,
            pooled_part=pooled,
        )
    )

    divisor = PENSION_DIVISOR_MONTHS[retirement_age_years]
    personal = money(personal_account_balance / divisor)
    steps.append(
        step(
            "pension_personal_account_part",
            _(
                "Personal account part = %(personal_account_balance)s / %(divisor_months)s months "
                "(divisor for retiring at %(retirement_age_years)s) = %(personal_account_part)s."
            ),
            personal_account_balance=personal_account_balance,
            divisor_months=divisor,
            retirement_age_years=retirement_age_years,
            personal_account_part=personal,
        )
    )

    total = pooled + personal
    steps.append(
        step(
            "pension_total",
            _("Monthly basic pension = %(pooled_part)s + %(personal_account_part)s = %(total)s."),
            pooled_part=pooled,
            personal_account_part=personal,
            total=total,
        )
    )

    minimum = minimum_contribution_months(retirement_year=retirement_year)
    eligible = total_months >= minimum
    figures = {
        "years": contribution_years.years,
        "months": contribution_years.months,
        "contribution_months": total_months,
        "minimum_years": years_from_months(minimum),
        "minimum_months": minimum,
        "retirement_year": retirement_year,
    }
    if eligible:
        steps.append(
            step(
                "pension_eligible",
                _(
                    "Contribution %(years)s y %(months)s m (%(contribution_months)s months) against the "
                    "minimum of %(minimum_years)s years (%(minimum_months)s months) for retiring in "
                    "%(retirement_year)s: eligible for a monthly pension."
                ),
                **figures,
            )
        )
    else:
        steps.append(
            step(
                "pension_not_yet_eligible",
                _(
                    "Contribution %(years)s y %(months)s m (%(contribution_months)s months) against the "
                    "minimum of %(minimum_years)s years (%(minimum_months)s months) for retiring in "
                    "%(retirement_year)s: not yet eligible for a monthly pension: %(short_months)s months "
                    "short."
                ),
                short_months=minimum - total_months,
                **figures,
            )
        )
    return PensionEstimate(
        average_contribution_index=average_index,
        indexed_average_wage=indexed_wage,
        pooled_part=pooled,
        divisor_months=divisor,
        personal_account_part=personal,
        total=total,
        contribution_years=contribution_years,
        minimum_contribution_months=minimum,
        eligible=eligible,
        steps=tuple(steps),
    )
