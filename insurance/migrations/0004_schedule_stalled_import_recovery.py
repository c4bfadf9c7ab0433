"""Registers the every-minute recovery of import jobs whose worker died with the database beat scheduler."""

from django.db import migrations

from core.beat import schedule_every


class Migration(migrations.Migration):
    dependencies = [
        ("insurance", "0003_import_jobs"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_every(
            name="insurance: resume stalled import jobs",
            task="insurance.resume_stalled_imports",
            every=1,
            period="minutes",
        )
    ]
