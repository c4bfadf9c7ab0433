from django.db import migrations

from accounts.roles import NATIONAL_ADMINISTRATORS, PROVINCIAL_CLERKS, PROVINCIAL_SUPERVISORS, groups_grant

# A clerk reads their province's survivors' claims, their payments and the recovery cases they offset,
# and moves a claim (check, pay, reject) through its services; the province's rules stay the national
# administrators', whose "certification.*" is granted again to reach the new tables.
CLERK = [
    "certification.view_survivorclaim",
    "certification.act_survivorclaim",
    "certification.view_survivorclaimentry",
]


def grant(apps, schema_editor):
    groups_grant(
        apps,
        {NATIONAL_ADMINISTRATORS: ["certification.*"], PROVINCIAL_CLERKS: CLERK, PROVINCIAL_SUPERVISORS: CLERK},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_back_office_staff_and_role_groups"),
        ("certification", "0012_survivors_claims"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
