"""Contribution periods (费款所属期) are months, stored as the integer YYYYMM."""

from __future__ import annotations

import datetime

from core.exceptions import ApplicationError


def period_of(day: datetime.date) -> int:
    return day.year * 100 + day.month


def period_parse(value: int | str) -> int:
    """Validate a YYYYMM period from input, refusing what is not a real month from 1950 on."""
    text = str(value).strip()
    if len(text) != 6 or not text.isdigit() or not 1 <= int(text[4:]) <= 12 or int(text[:4]) < 1950:
        raise ApplicationError("period_invalid", f"{value!r} is not a period: write the month as YYYYMM.")
    return int(text)


def period_year(period: int) -> int:
    return period // 100


def period_month(period: int) -> int:
    return period % 100


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
