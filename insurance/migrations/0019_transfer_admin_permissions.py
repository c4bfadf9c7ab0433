"""The back office's transfer queue: the permission to take a transfer's steps, and what each role group
holds of the transfers' tables (clerks and supervisors act for their province; administrators see all)."""

from django.db import migrations

from accounts.roles import NATIONAL_ADMINISTRATORS, PROVINCIAL_CLERKS, PROVINCIAL_SUPERVISORS, groups_grant

PROVINCIAL = [
    "insurance.view_transfer",
    "insurance.act_transfer",
    "insurance.view_fundentry",
    "insurance.view_transferescalation",
]


def grant(apps, schema_editor):
    groups_grant(
        apps,
        {
            NATIONAL_ADMINISTRATORS: ["insurance.*"],
            PROVINCIAL_CLERKS: PROVINCIAL,
            PROVINCIAL_SUPERVISORS: [*PROVINCIAL, "insurance.view_reconciliationalert"],
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_back_office_staff_and_role_groups"),
        ("insurance", "0018_transfers_and_fund_ledger"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="transfer",
            options={"permissions": [("act_transfer", "Can take a transfer's steps for the province")]},
        ),
        migrations.RunPython(grant, migrations.RunPython.noop),
    ]
