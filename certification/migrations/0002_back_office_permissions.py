"""The roles' groups (accounts.roles) get the certification records' permissions: clerks and supervisors
read their province's evidence of life in the admin."""

from django.db import migrations

from accounts.roles import NATIONAL_ADMINISTRATORS, PROVINCIAL_CLERKS, PROVINCIAL_SUPERVISORS, groups_grant


def grant(apps, schema_editor):
    groups_grant(
        apps,
        {
            NATIONAL_ADMINISTRATORS: ["certification.*"],
            PROVINCIAL_CLERKS: ["certification.view_lifeevidence"],
            PROVINCIAL_SUPERVISORS: ["certification.view_lifeevidence"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_back_office_staff_and_role_groups"),
        ("certification", "0001_initial"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
