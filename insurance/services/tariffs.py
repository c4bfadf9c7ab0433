"""Province-year configuration and the arithmetic of one month's contribution.

Amounts are computed here from the province's published figures, never taken from input, and each
amount is rounded once, to the fen, by `money`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, ConflictError
from core.money import money
from insurance.models import (
    WAGE_BASED_SCHEMES,
    BaseAdjustment,
    ContributionRate,
    ProvinceYearConfig,
    Scheme,
)


def pension_account_rate(year: int) -> Decimal:
    """Share of the base credited to the pension personal account (DOMAIN.md §2): 11 % from 1998 to 2005,
    8 % from 2006. Before 1998 there was no personal account to credit."""
    if year < 1998:
        return Decimal("0")
    return Decimal("0.11") if year <= 2005 else Decimal("0.08")


def default_rates(year: int) -> dict[str, dict[str, Decimal | None]]:
    """National default rates (DOMAIN.md §2); provinces override them in admin."""
    return {
        Scheme.EMPLOYEE_PENSION: {
            "employer_rate": Decimal("0.16"),
            "individual_rate": Decimal("0.08"),
            "account_rate": pension_account_rate(year),
            "flexible_rate": Decimal("0.20"),
        },
        # Resident schemes: the person pays a flat amount of their choice, recorded as the base.
        Scheme.RESIDENT_PENSION: {"employer_rate": Decimal("0"), "individual_rate": Decimal("1")},
        Scheme.EMPLOYEE_MEDICAL: {
            "employer_rate": Decimal("0.06"),
            "individual_rate": Decimal("0.02"),
            "flexible_rate": Decimal("0.08"),
        },
        Scheme.RESIDENT_MEDICAL: {"employer_rate": Decimal("0"), "individual_rate": Decimal("1")},
        Scheme.UNEMPLOYMENT: {"employer_rate": Decimal("0.005"), "individual_rate": Decimal("0.005")},
        # Work injury: employer only, 0.2 %-1.9 % by industry class; the lowest class is the default.
        Scheme.WORK_INJURY: {"employer_rate": Decimal("0.002"), "individual_rate": Decimal("0")},
    }


@transaction.atomic
def province_year_config_create(
    *,
    province_id: str,
    year: int,
    average_monthly_wage: Decimal,
    account_interest_rate: Decimal | None = None,
    base_floor_ratio: Decimal = Decimal("0.60"),
    base_ceiling_ratio: Decimal = Decimal("3.00"),
) -> ProvinceYearConfig:
    """Publish a province's figures for a year, with the national default rate of every scheme."""
    if average_monthly_wage <= 0:
        raise ApplicationError("average_wage_invalid", _("The average monthly wage must be positive."))
    if not 0 < base_floor_ratio <= base_ceiling_ratio:
        raise ApplicationError(
            "base_bounds_invalid", _("The base floor must be positive and below the ceiling.")
        )
    try:
        with transaction.atomic():
            config = ProvinceYearConfig.objects.create(
                province_id=province_id,
                year=year,
                average_monthly_wage=average_monthly_wage,
                account_interest_rate=account_interest_rate,
                base_floor_ratio=base_floor_ratio,
                base_ceiling_ratio=base_ceiling_ratio,
            )
    except IntegrityError:
        raise ConflictError(
            "province_year_already_configured",
            _("%(province_id)s already has figures for %(year)s.")
            % {"province_id": province_id, "year": year},
        ) from None
    ContributionRate.objects.bulk_create(
        ContributionRate(config=config, scheme=scheme, **rates)
        for scheme, rates in default_rates(year).items()
    )
    return config


@dataclass(frozen=True, slots=True)
class ContributionAmounts:
    base: Decimal
    base_adjustment: str
    employer_rate: Decimal
    individual_rate: Decimal
    employer_amount: Decimal
    individual_amount: Decimal
    account_credit: Decimal


@dataclass(frozen=True, slots=True)
class Tariff:
    """What one scheme costs in one province and year: loaded once, applied to many months."""

    scheme: str
    floor: Decimal | None
    ceiling: Decimal | None
    employer_rate: Decimal
    individual_rate: Decimal
    account_rate: Decimal
    flexible_rate: Decimal | None

    def clamp(self, declared_base: Decimal) -> tuple[Decimal, str]:
        if self.floor is not None and declared_base < self.floor:
            return self.floor, BaseAdjustment.RAISED_TO_FLOOR
        if self.ceiling is not None and declared_base > self.ceiling:
            return self.ceiling, BaseAdjustment.LOWERED_TO_CEILING
        return declared_base, BaseAdjustment.NONE

    def compute(self, declared_base: Decimal, *, has_employer: bool) -> ContributionAmounts:
        if declared_base <= 0:
            raise ApplicationError("base_invalid", _("The contribution base must be positive."))
        base, adjustment = self.clamp(declared_base)
        if has_employer:
            employer_rate, individual_rate = self.employer_rate, self.individual_rate
        elif self.employer_rate == 0:
            employer_rate, individual_rate = Decimal("0"), self.individual_rate
        elif self.flexible_rate is not None:
            # A flexible worker pays both shares alone; the account share is the same.
            employer_rate, individual_rate = Decimal("0"), self.flexible_rate
        else:
            raise ApplicationError(
                "employer_required",
                _("Contributions to %(scheme)s are paid through an employer.") % {"scheme": self.scheme},
            )
        return ContributionAmounts(
            base=base,
            base_adjustment=adjustment,
            employer_rate=employer_rate,
            individual_rate=individual_rate,
            employer_amount=money(base * employer_rate),
            individual_amount=money(base * individual_rate),
            account_credit=money(base * self.account_rate),
        )


def tariff_get(*, province_id: str, scheme: str, year: int) -> Tariff:
    try:
        config = ProvinceYearConfig.objects.get(province_id=province_id, year=year)
    except ProvinceYearConfig.DoesNotExist:
        raise ApplicationError(
            "province_year_not_configured",
            _(
                "Province %(province_id)s has no published figures for %(year)s: an administrator must "
                "enter them."
            )
            % {"province_id": province_id, "year": year},
        ) from None
    rate = config.rates.filter(scheme=scheme).first()
    if rate is None:
        raise ApplicationError(
            "scheme_rate_not_configured",
            _("Province %(province_id)s has no %(scheme)s rates for %(year)s.")
            % {"province_id": province_id, "scheme": scheme, "year": year},
        )
    wage_based = scheme in WAGE_BASED_SCHEMES
    return Tariff(
        scheme=scheme,
        floor=money(config.average_monthly_wage * config.base_floor_ratio) if wage_based else None,
        ceiling=money(config.average_monthly_wage * config.base_ceiling_ratio) if wage_based else None,
        employer_rate=rate.employer_rate,
        individual_rate=rate.individual_rate,
        account_rate=rate.account_rate,
        flexible_rate=rate.flexible_rate,
    )
