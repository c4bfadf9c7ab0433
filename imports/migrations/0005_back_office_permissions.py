"""The roles' groups (accounts.roles) get the import jobs' permissions: clerks and supervisors read their
province's jobs in the admin (uploads and cancellations go through the API)."""

from django.db import migrations

from accounts.roles import NATIONAL_ADMINISTRATORS, PROVINCIAL_CLERKS, PROVINCIAL_SUPERVISORS, groups_grant


def grant(apps, schema_editor):
    groups_grant(
        apps,
        {
            NATIONAL_ADMINISTRATORS: ["imports.*"],
            PROVINCIAL_CLERKS: ["imports.view_importjob"],
            PROVINCIAL_SUPERVISORS: ["imports.view_importjob"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_back_office_staff_and_role_groups"),
        ("imports", "0004_enrolments_kind"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
