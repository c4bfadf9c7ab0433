"""Registers the nightly data comparison with the database beat scheduler, once a day."""

from django.db import migrations

from core.beat import schedule_every


class Migration(migrations.Migration):
    dependencies = [
        ("certification", "0006_status_evidence"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_every(
            name="certification: nightly comparison", task="certification.nightly_comparison", every=1, period="days"
        )
    ]
