"""Seed the working-day calendar from the `chinese-calendar` package for every year it knows.

Later years are entered by administrators when the State Council publishes them (core.admin).
"""

import datetime

from django.db import migrations


def seed_calendar(apps, schema_editor):
    import chinese_calendar
    from chinese_calendar import constants

    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    first, last = min(constants.holidays).year, max(constants.holidays).year
    source = f"chinese-calendar {chinese_calendar.__version__}"
    entered_at = datetime.datetime.now(tz=datetime.UTC)
    for year in range(first, last + 1):
        CalendarYear.objects.update_or_create(
            year=year, defaults={"entered": True, "source": source, "entered_at": entered_at}
        )
        days = []
        day = datetime.date(year, 1, 1)
        while day.year == year:
            is_working_day = chinese_calendar.is_workday(day)
            if is_working_day != (day.weekday() < 5):
                _, name = chinese_calendar.get_holiday_detail(day)
                days.append(CalendarDay(year_id=year, date=day, is_working_day=is_working_day, name=name))
            day += datetime.timedelta(days=1)
        CalendarDay.objects.bulk_create(days)


def unseed_calendar(apps, schema_editor):
    apps.get_model("core", "CalendarYear").objects.filter(source__startswith="chinese-calendar").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0003_calendar")]

    operations = [migrations.RunPython(seed_calendar, unseed_calendar)]
