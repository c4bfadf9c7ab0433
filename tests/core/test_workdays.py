import datetime

import chinese_calendar
import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from core.exceptions import ApplicationError, NotFoundError
from core.models import CalendarDay, CalendarYear
from core.services import calendar_year_enter
from core.signals import calendar_year_entered
from core.workdays import (
    Deadline,
    WorkingCalendar,
    working_day_is,
    working_days_add,
    working_days_between,
)

D = datetime.date


def _chinese_calendar_add(start: datetime.date, days: int) -> datetime.date:
    """Reference: step day by day with the package itself."""
    day, counted = start, 0
    while counted < days:
        day += datetime.timedelta(days=1)
        counted += chinese_calendar.is_workday(day)
    return day


def _draft_2027():
    """The 2027 schedule as an administrator would type it (dates chosen for the test)."""
    year = CalendarYear.objects.create(year=2027, source="")
    CalendarDay.objects.bulk_create(
        [
            CalendarDay(year=year, date=D(2027, 1, 1), is_working_day=False, name="New Year's Day"),
            CalendarDay(year=year, date=D(2027, 1, 4), is_working_day=False, name="New Year's Day"),
            CalendarDay(year=year, date=D(2027, 1, 9), is_working_day=True, name="New Year's Day"),
        ]
    )
    return year


# --- the seeded calendar -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_year_chinese_calendar_knows_is_seeded_and_entered():
    years = list(CalendarYear.objects.order_by("year").values_list("year", "entered", "source"))

    assert [year for year, _, _ in years] == list(range(2004, 2027))
    assert {(entered, source) for _, entered, source in years} == {(True, "chinese-calendar 1.11.0")}


@pytest.mark.django_db
def test_seeded_calendar_agrees_with_chinese_calendar_on_every_day_2004_to_2026():
    calendar = WorkingCalendar()
    day, disagreements = D(2004, 1, 1), []
    while day.year <= 2026:
        if calendar.working_day_is(day) != chinese_calendar.is_workday(day):
            disagreements.append(day)
        day += datetime.timedelta(days=1)

    assert disagreements == []


@pytest.mark.django_db
def test_seed_stores_only_days_that_break_the_weekday_rule():
    assert list(
        CalendarDay.objects.filter(date__range=(D(2025, 9, 27), D(2025, 10, 12))).values_list(
            "date", "is_working_day", "name"
        )
    ) == [
        (D(2025, 9, 28), True, "National Day"),
        (D(2025, 10, 1), False, "National Day"),
        (D(2025, 10, 2), False, "National Day"),
        (D(2025, 10, 3), False, "National Day"),
        (D(2025, 10, 6), False, "Mid-autumn Festival"),
        (D(2025, 10, 7), False, "National Day"),
        (D(2025, 10, 8), False, "National Day"),
        (D(2025, 10, 11), True, "National Day"),
    ]


# --- working_day_is --------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2025, 9, 26), True),  # Friday
        (D(2025, 9, 27), False),  # Saturday
        (D(2025, 9, 28), True),  # Sunday, make-up day for National Day
        (D(2025, 10, 1), False),
        (D(2025, 10, 4), False),  # Saturday inside the holiday
        (D(2025, 10, 8), False),  # Wednesday, last day of the holiday
        (D(2025, 10, 9), True),
        (D(2025, 10, 11), True),  # Saturday, make-up day
        (D(2025, 10, 12), False),
        (D(2026, 2, 14), True),  # Saturday, make-up day for the Spring Festival
        (D(2026, 2, 16), False),  # Monday in the Spring Festival
        (D(2026, 2, 23), False),
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # Saturday, make-up day
    ],
)
def test_working_day_follows_the_official_2025_and_2026_schedules(day, expected):
    assert working_day_is(day) is expected
    assert chinese_calendar.is_workday(day) is expected


@pytest.mark.django_db
def test_year_not_entered_counts_monday_to_friday_even_with_draft_days():
    _draft_2027()  # rows typed in, but the year is not entered yet

    assert working_day_is(D(2027, 1, 1)) is True  # Friday
    assert working_day_is(D(2027, 1, 9)) is False  # Saturday


# --- working_days_add ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_fifteen_working_days_across_national_day_2025():
    deadline = working_days_add(start=D(2025, 9, 30), days=15)

    # Oct 1-8 are off; Oct 11 (Saturday) is worked: Oct 9, 10, 11, 13-17, 20-24, 27, 28.
    assert deadline == Deadline(due_date=D(2025, 10, 28), provisional=False)
    assert deadline.due_date == _chinese_calendar_add(D(2025, 9, 30), 15)


@pytest.mark.django_db
def test_start_day_is_not_counted():
    assert working_days_add(start=D(2025, 9, 26), days=1) == Deadline(D(2025, 9, 28), provisional=False)
    assert working_days_add(start=D(2025, 10, 1), days=1) == Deadline(D(2025, 10, 9), provisional=False)
    assert working_days_add(start=D(2025, 10, 13), days=1) == Deadline(D(2025, 10, 14), provisional=False)


@pytest.mark.django_db
def test_fifteen_working_days_across_the_2026_spring_festival():
    deadline = working_days_add(start=D(2026, 2, 10), days=15)

    assert deadline == Deadline(due_date=D(2026, 3, 9), provisional=False)
    assert deadline.due_date == _chinese_calendar_add(D(2026, 2, 10), 15)


@pytest.mark.django_db
def test_counting_into_a_year_not_entered_is_provisional_and_uses_weekdays():
    deadline = working_days_add(start=D(2026, 12, 24), days=15)

    # Dec 25, 28-31 (5), then plain weekdays in 2027: Jan 1, 4-8, 11-14 (10 more).
    assert deadline == Deadline(due_date=D(2027, 1, 14), provisional=True)


@pytest.mark.django_db
def test_deadline_ending_before_the_unentered_year_is_final():
    assert working_days_add(start=D(2026, 12, 1), days=15) == Deadline(D(2026, 12, 22), provisional=False)


@pytest.mark.django_db
def test_a_deadline_within_one_year_costs_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        working_days_add(start=D(2025, 9, 30), days=15)


@pytest.mark.django_db
def test_a_reused_calendar_reads_each_year_once(django_assert_num_queries):
    calendar = WorkingCalendar()
    with django_assert_num_queries(2):
        for month in range(1, 13):
            calendar.working_days_add(start=D(2025, month, 20), days=15)  # December reaches 2026


@pytest.mark.django_db
@pytest.mark.parametrize("days", [0, -3])
def test_deadline_needs_at_least_one_day(days):
    with pytest.raises(ValueError, match="at least one day"):
        working_days_add(start=D(2025, 1, 1), days=days)


def test_deadline_is_overdue_only_after_its_due_date():
    deadline = Deadline(due_date=D(2025, 10, 28), provisional=False)

    assert deadline.is_overdue(today=D(2025, 10, 28)) is False
    assert deadline.is_overdue(today=D(2025, 10, 29)) is True


class TestAgreementWithChineseCalendar(HypothesisTestCase):
    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(start=st.dates(D(2004, 1, 1), D(2026, 9, 30)), days=st.integers(1, 45))
    def test_working_days_add_matches_the_package(self, start, days):
        deadline = working_days_add(start=start, days=days)

        assert deadline == Deadline(_chinese_calendar_add(start, days), provisional=False)
        assert working_days_between(start=start, end=deadline.due_date) == days


# --- working_days_between --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_working_days_between_counts_after_start_up_to_and_including_end():
    assert working_days_between(start=D(2025, 9, 30), end=D(2025, 10, 28)) == 15
    assert working_days_between(start=D(2025, 9, 30), end=D(2025, 10, 8)) == 0
    assert working_days_between(start=D(2025, 9, 27), end=D(2025, 9, 28)) == 1


@pytest.mark.django_db
def test_working_days_between_is_zero_when_end_is_not_after_start():
    assert working_days_between(start=D(2025, 10, 9), end=D(2025, 10, 9)) == 0
    assert working_days_between(start=D(2025, 10, 28), end=D(2025, 10, 9)) == 0


@pytest.mark.django_db
def test_working_days_between_over_the_whole_seeded_range_matches_the_package():
    expected = len(chinese_calendar.get_workdays(D(2004, 1, 2), D(2026, 12, 31)))

    assert working_days_between(start=D(2004, 1, 1), end=D(2026, 12, 31)) == expected


# --- entering a year -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_entering_2027_makes_deadlines_final_and_announces_the_year(django_capture_on_commit_callbacks):
    _draft_2027()
    stored = {"transfer-1": (D(2026, 12, 24), 15)}
    deadlines = {key: working_days_add(start=start, days=days) for key, (start, days) in stored.items()}
    announced = []

    def recompute_provisional(sender, year, **kwargs):
        announced.append(year)
        for key, deadline in deadlines.items():
            if deadline.provisional:
                start, days = stored[key]
                deadlines[key] = working_days_add(start=start, days=days)

    calendar_year_entered.connect(recompute_provisional)
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            calendar_year = calendar_year_enter(year=2027, source=" 国办发明电〔2026〕1号 ")
            assert announced == []  # nothing is announced before the commit
    finally:
        calendar_year_entered.disconnect(recompute_provisional)

    assert len(callbacks) == 1
    assert announced == [2027]
    # Jan 1 and Jan 4 are now holidays and Saturday Jan 9 is worked: Jan 5-9, 11-15 -> Jan 15.
    assert deadlines == {"transfer-1": Deadline(due_date=D(2027, 1, 15), provisional=False)}
    calendar_year.refresh_from_db()
    assert (calendar_year.entered, calendar_year.source) == (True, "国办发明电〔2026〕1号")
    assert calendar_year.entered_at is not None


@pytest.mark.django_db
def test_a_failing_receiver_is_logged_and_does_not_stop_the_others(
    django_capture_on_commit_callbacks, caplog
):
    _draft_2027()
    announced = []

    def broken(sender, year, **kwargs):
        raise RuntimeError("boom")

    def healthy(sender, year, **kwargs):
        announced.append(year)

    calendar_year_entered.connect(broken)
    calendar_year_entered.connect(healthy)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            calendar_year_enter(year=2027, source="State Council notice")
    finally:
        calendar_year_entered.disconnect(broken)
        calendar_year_entered.disconnect(healthy)

    assert announced == [2027]
    assert "calendar_year_entered receiver" in caplog.text
    assert "boom" in caplog.text


@pytest.mark.django_db
@pytest.mark.parametrize("source", ["", "   "])
def test_entering_a_year_without_a_source_is_refused(source, django_capture_on_commit_callbacks):
    _draft_2027()

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ApplicationError) as caught:
        calendar_year_enter(year=2027, source=source)

    assert caught.value.code == "calendar_source_required"
    assert callbacks == []
    assert CalendarYear.objects.filter(year=2027).values_list("entered", "source").get() == (False, "")


@pytest.mark.django_db
def test_entering_a_year_without_holidays_is_refused(django_capture_on_commit_callbacks):
    CalendarYear.objects.create(year=2027)
    CalendarDay.objects.create(year_id=2027, date=D(2027, 1, 9), is_working_day=True, name="New Year's Day")

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(ApplicationError) as caught:
        calendar_year_enter(year=2027, source="State Council notice")

    assert caught.value.code == "calendar_year_without_holidays"
    assert callbacks == []
    assert CalendarYear.objects.get(year=2027).entered is False
    assert working_days_add(start=D(2026, 12, 31), days=1) == Deadline(D(2027, 1, 1), provisional=True)


@pytest.mark.django_db
def test_entering_a_year_that_does_not_exist_is_refused():
    with pytest.raises(NotFoundError) as caught:
        calendar_year_enter(year=2031, source="State Council notice")

    assert caught.value.code == "not_found"
    assert not CalendarYear.objects.filter(year=2031).exists()


# --- constraints -----------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "is_working_day"),
    [
        (D(2027, 1, 2), False),  # a Saturday off is already the rule
        (D(2027, 1, 5), True),  # a Tuesday worked is already the rule
        (D(2028, 1, 3), False),  # outside its year
    ],
)
def test_calendar_day_rows_are_only_exceptions_within_their_year(day, is_working_day):
    CalendarYear.objects.create(year=2027)

    with pytest.raises(IntegrityError), transaction.atomic():
        CalendarDay.objects.create(year_id=2027, date=day, is_working_day=is_working_day, name="Test")

    assert not CalendarDay.objects.filter(year_id=2027).exists()
