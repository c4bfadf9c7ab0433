"""Registers the pension jobs with the database beat scheduler: the suspension of overdue awards and the
payment run every day (the run pays the current month once, however often it runs)."""

from django.db import migrations

from core.beat import schedule_every


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0004_certifications_and_suspension"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_every(
            name="certification: suspend overdue pensions",
            task="certification.awards_suspend_overdue",
            every=1,
            period="days",
        ),
        schedule_every(name="certification: pay pensions", task="certification.awards_pay", every=1, period="days"),
    ]
