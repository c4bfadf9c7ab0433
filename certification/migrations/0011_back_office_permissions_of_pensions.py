"""The roles' groups get the permissions of the tables added after 0002 (whose grant of
"certification.*" could only reach the table that existed then): national administrators all of them;
clerks and supervisors read their province's pensions, certifications, face jobs, recovery cases, status
evidence and certification rules, and act through the admin's actions, which call the services."""

from django.db import migrations

from accounts.roles import NATIONAL_ADMINISTRATORS, PROVINCIAL_CLERKS, PROVINCIAL_SUPERVISORS, groups_grant

CLERK = [
    "certification.view_pensionaward",
    "certification.view_awardamount",
    "certification.view_awardmonth",
    "certification.view_pensionadjustment",
    "certification.view_certification",
    "certification.view_facejob",
    "certification.view_recoverycase",
    "certification.view_statusevidence",
    "certification.view_certificationprovinceconfig",
]


def grant(apps, schema_editor):
    groups_grant(
        apps,
        {NATIONAL_ADMINISTRATORS: ["certification.*"], PROVINCIAL_CLERKS: CLERK, PROVINCIAL_SUPERVISORS: CLERK},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_back_office_staff_and_role_groups"),
        ("certification", "0010_recovery_write_off"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
