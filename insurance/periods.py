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
