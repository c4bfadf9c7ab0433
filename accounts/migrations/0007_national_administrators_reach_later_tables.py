"""National administrators get the permissions of the accounts and core tables added after 0005 (API
keys, document codes, ...), whose grant of "accounts.*" and "core.*" could only reach the tables that
existed then."""

from django.db import migrations

from accounts.roles import NATIONAL_ADMINISTRATORS, groups_grant


def grant(apps, schema_editor):
    groups_grant(apps, {NATIONAL_ADMINISTRATORS: ["accounts.*", "core.*"]})


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_sign_in_failures_in_postgres_and_api_keys"),
        ("core", "0008_identity_key_check_values"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
