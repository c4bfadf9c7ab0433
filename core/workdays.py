"""Working days (WD) on the mainland calendar, for every statutory deadline.

Meaning of "within N WD of D": the deadline is the N-th working day after D; D itself is never counted,
whether or not it is a working day. `working_days_between(start=D, end=E)` counts the working days d with
D < d <= E, so `working_days_between(start=D, end=working_days_add(start=D, days=N).due_date) == N`.

A day is a working day if its year's official schedule (core.models.CalendarYear) has been entered and
lists it as one, or, failing a listing, if it is Monday to Friday. A year whose schedule has not been
entered yet counts by Monday to Friday alone, and any deadline that counted one of its days is
*provisional*. When the schedule is entered, `core.signals.calendar_year_entered` is sent: apps that store
deadlines recompute their provisional ones then.

The schedule is read from the database on each call (one small indexed query per calendar year touched),
never cached across calls: that stays right inside transactions and across worker processes with no
invalidation protocol. A batch that computes many deadlines reuses one `WorkingCalendar`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from core.models import CalendarYear

_ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Deadline:
    due_date: datetime.date
    # True when the count crossed a year whose official schedule is not entered yet.
    provisional: bool

    def is_overdue(self, *, today: datetime.date) -> bool:
        """Overdue from the day after the due date: the due date itself is still in time."""
        return today > self.due_date


@dataclass(frozen=True, slots=True)
class _YearSchedule:
    entered: bool
    # Only the days that break the Monday-Friday rule; empty for a year not entered.
    exceptions: dict[datetime.date, bool]

    def working_day_is(self, day: datetime.date) -> bool:
        return self.exceptions.get(day, day.weekday() < 5)


class WorkingCalendar:
    """Loads each calendar year at most once; reuse an instance to compute many deadlines in one go."""

    def __init__(self) -> None:
        self._years: dict[int, _YearSchedule] = {}

    def _load(self, years: Iterable[int]) -> None:
        missing = {year for year in years if year not in self._years}
        if not missing:
            return
        entered: set[int] = set()
        exceptions: dict[int, dict[datetime.date, bool]] = {year: {} for year in missing}
        # One row per exception day, or one row with NULLs for an entered year without any.
        rows = CalendarYear.objects.filter(year__in=missing, entered=True).values_list(
            "year", "days__date", "days__is_working_day"
        )
        for year, day, is_working_day in rows:
            entered.add(year)
            if day is not None:
                exceptions[year][day] = is_working_day
        for year in missing:
            self._years[year] = _YearSchedule(entered=year in entered, exceptions=exceptions[year])

    def _year(self, year: int) -> _YearSchedule:
        self._load([year])
        return self._years[year]

    def working_day_is(self, day: datetime.date) -> bool:
        return self._year(day.year).working_day_is(day)

    def working_days_add(self, *, start: datetime.date, days: int) -> Deadline:
        if days < 1:
            raise ValueError("A working-day deadline needs at least one day.")
        day, counted, provisional = start, 0, False
        while counted < days:
            day += _ONE_DAY
            schedule = self._year(day.year)
            provisional = provisional or not schedule.entered
            if schedule.working_day_is(day):
                counted += 1
        return Deadline(due_date=day, provisional=provisional)

    def working_days_between(self, *, start: datetime.date, end: datetime.date) -> int:
        if end <= start:
            return 0
        self._load(range(start.year, end.year + 1))
        count = _weekdays_between(start, end)
        for year in range(start.year, end.year + 1):
            for day, is_working_day in self._years[year].exceptions.items():
                if start < day <= end:
                    count += 1 if is_working_day else -1
        return count


def _weekdays_between(start: datetime.date, end: datetime.date) -> int:
    """Monday-Friday days d with start < d <= end (end > start)."""
    span = (end - start).days
    full_weeks, remainder = divmod(span, 7)
    partial = sum(1 for offset in range(1, remainder + 1) if (start + offset * _ONE_DAY).weekday() < 5)
    return full_weeks * 5 + partial


def working_day_is(day: datetime.date) -> bool:
    return WorkingCalendar().working_day_is(day)


def working_days_add(*, start: datetime.date, days: int) -> Deadline:
    """The `days`-th working day after `start` (see the module docstring)."""
    return WorkingCalendar().working_days_add(start=start, days=days)


def working_days_between(*, start: datetime.date, end: datetime.date) -> int:
    """Working days d with start < d <= end; 0 when end is not after start."""
    return WorkingCalendar().working_days_between(start=start, end=end)
