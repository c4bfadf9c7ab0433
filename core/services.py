"""Writes of the shared kernel."""

from __future__ import annotations

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, NotFoundError
from core.models import CalendarYear
from core.signals import calendar_year_entered

logger = logging.getLogger(__name__)


def _announce_calendar_year(year: int) -> None:
    for receiver, result in calendar_year_entered.send_robust(sender=CalendarYear, year=year):
        if isinstance(result, Exception):
            logger.error("calendar_year_entered receiver %r failed for %s", receiver, year, exc_info=result)


@transaction.atomic
def calendar_year_enter(*, year: int, source: str) -> CalendarYear:
    """Put a year's official schedule (its CalendarDay rows) in force, or re-announce a correction.

    Deadlines counted in that year stop being provisional; `calendar_year_entered` is sent on commit.
    """
    source = source.strip()
    if not source:
        raise ApplicationError(
            "calendar_source_required", _("Say where the schedule comes from, e.g. the State Council notice.")
        )
    calendar_year = CalendarYear.objects.select_for_update().filter(year=year).first()
    if calendar_year is None:
        raise NotFoundError(
            _("There is no calendar year %(year)s: create it with its days first.") % {"year": year}
        )
    # Every year has weekday holidays (the Spring Festival at least): none means the days were not typed in.
    if not calendar_year.days.filter(is_working_day=False).exists():
        raise ApplicationError(
            "calendar_year_without_holidays",
            _("The %(year)s schedule lists no holidays: enter its days first.") % {"year": year},
        )
    calendar_year.entered = True
    calendar_year.source = source
    calendar_year.entered_at = timezone.now()
    calendar_year.save(update_fields=["entered", "source", "entered_at"])
    transaction.on_commit(partial(_announce_calendar_year, year))
    return calendar_year
