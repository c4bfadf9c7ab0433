"""Month arithmetic on YYYYMM periods (the representation of insurance.periods)."""

from __future__ import annotations

from insurance.periods import period_month, period_year


def month_index(period: int) -> int:
    """Months since January of year 0, so that differences between periods are plain subtraction."""
    return period_year(period) * 12 + period_month(period) - 1


def period_from_index(index: int) -> int:
    year, month_zero_based = divmod(index, 12)
    return year * 100 + month_zero_based + 1


def period_add_months(period: int, months: int) -> int:
    return period_from_index(month_index(period) + months)


def period_label(period: int) -> str:
    """`2038-02`: how a period is written for people."""
    return f"{period_year(period):04d}-{period_month(period):02d}"
