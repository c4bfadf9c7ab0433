"""Contribution periods (费款所属期) are months, stored as the integer YYYYMM."""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError


def period_of(day: datetime.date) -> int:
    return day.year * 100 + day.month


_PERIOD = re.compile(r"[0-9]{6}")


def period_refusal(period: int, *, today: datetime.date | None = None) -> ApplicationError | None:
    """The valid-period rule, the same on every path: a real month, from the earliest month the platform
    records (settings.EARLIEST_CONTRIBUTION_PERIOD, default 199001) up to the current month."""
    if not 1 <= period % 100 <= 12:
        return ApplicationError(
            "period_format",
            _("%(period)s has no month %(month)s.") % {"period": period, "month": f"{period % 100:02d}"},
        )
    if period < settings.EARLIEST_CONTRIBUTION_PERIOD:
        return ApplicationError(
            "period_too_early",
            _("The period %(period)s is before %(earliest)s.")
            % {"period": period, "earliest": settings.EARLIEST_CONTRIBUTION_PERIOD},
        )
    if period > period_of(today or timezone.localdate()):
        return ApplicationError(
            "period_in_future", _("The period %(period)s has not begun yet.") % {"period": period}
        )
    return None


def period_parse(value: int | str, *, today: datetime.date | None = None) -> int:
    """A period from input, written YYYYMM, that passes `period_refusal`. Full-width digits from a Chinese
    input method fold to ASCII (NFKC); other scripts' digits stay out."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if not _PERIOD.fullmatch(text):
        raise ApplicationError(
            "period_format", _("%(value)r is not a period written YYYYMM, e.g. 202401.") % {"value": value}
        )
    period = int(text)
    refusal = period_refusal(period, today=today)
    if refusal is not None:
        raise refusal
    return period


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
