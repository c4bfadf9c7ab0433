"""Registers the hourly clean-up of expired API tokens with the database beat scheduler."""

from django.db import migrations

from core.beat import schedule_every


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_role_manager_and_staff_constraint"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        schedule_every(
            name="accounts: delete expired auth tokens",
            task="accounts.delete_expired_auth_tokens",
            every=1,
            period="hours",
        )
    ]
