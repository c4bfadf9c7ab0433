"""A citizen's retirement date and pension estimate, computed from their own records (DOMAIN.md §3, §6)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext

from core.exceptions import ApplicationError
from insurance.calculators.pension import (
    IndexedContributionMonth,
    PensionEstimate,
    pension_estimate_calculate,
)
from insurance.calculators.retirement import RetirementPlan, retirement_plan_calculate
from insurance.models import ContributionRecord, InsuredPerson, ProvinceYearConfig, Scheme
from insurance.periods import period_of, period_year
from insurance.selectors import account_balance_of, contribution_months_of
from insurance.services.benefit_province import benefit_province_decide


def retirement_plan_for(*, person: InsuredPerson, female_category: str | None) -> RetirementPlan:
    return retirement_plan_calculate(
        birth_month=period_of(person.birth_date), sex=person.sex, female_category=female_category
    )


@dataclass(frozen=True)
class PersonPensionEstimate:
    benefit_province: str
    province_average_wage: Decimal
    personal_account_balance: Decimal
    retirement: RetirementPlan
    estimate: PensionEstimate


def pension_estimate_for(*, person: InsuredPerson, female_category: str | None) -> PersonPensionEstimate:
    """Estimate the monthly pension as if the person retired at their statutory age with the history and
    account balance they have today, in the benefit province. The average wage is the one that applies in
    the year of retirement (a year's figures hold the previous year's wage, DOMAIN.md §6): for someone
    who has already retired that year's, not the latest, and for someone yet to retire the latest."""
    retirement = retirement_plan_for(person=person, female_category=female_category)
    province = benefit_province_decide(person=person).province
    wage_year = min(timezone.localdate().year, period_year(retirement.retirement_month))
    latest = (
        ProvinceYearConfig.objects.filter(province_id=province, year__lte=wage_year).order_by("-year").first()
    )
    if latest is None:
        raise ApplicationError(
            "province_year_not_configured",
            gettext("Province %(province)s has not published an average wage yet.") % {"province": province},
        )
    wages = {
        (config.province_id, config.year): config.average_monthly_wage
        for config in ProvinceYearConfig.objects.all().only("province_id", "year", "average_monthly_wage")
    }
    # The indexed months: one per month, even where an overlap left it recorded in two provinces.
    months: dict[int, IndexedContributionMonth] = {}
    for period, province_id, base in (
        ContributionRecord.objects.filter(person=person, scheme=Scheme.EMPLOYEE_PENSION)
        .order_by("period", "temporary_account", "province_id")
        .values_list("period", "province_id", "base")
    ):
        if period not in months:
            months[period] = IndexedContributionMonth(
                period=period, base=base, average_wage=wages[(province_id, period_year(period))]
            )
    balance, _ = account_balance_of(person=person)
    estimate = pension_estimate_calculate(
        province_average_wage=latest.average_monthly_wage,
        contribution_months=list(months.values()),
        personal_account_balance=balance,
        retirement_age_years=retirement.retirement_age_years,
        retirement_year=period_year(retirement.retirement_month),
        contribution_years=contribution_months_of(person=person, scheme=Scheme.EMPLOYEE_PENSION).total,
    )
    return PersonPensionEstimate(
        benefit_province=province,
        province_average_wage=latest.average_monthly_wage,
        personal_account_balance=balance,
        retirement=retirement,
        estimate=estimate,
    )
