"""Agency staff may enter the admin (every page there applies their province's scope), and administrators
are no longer all superusers: each role's group holds the permissions it needs (accounts.roles). The
apps above grant their own models' permissions to these groups in migrations of their own."""

from django.db import migrations, models

from accounts.roles import NATIONAL_ADMINISTRATORS, PROVINCIAL_CLERKS, PROVINCIAL_SUPERVISORS, groups_grant

READ_CALENDAR_AND_REGIONS = ["core.view_region", "core.view_calendaryear", "core.view_calendarday"]


def create_role_groups(apps, schema_editor):
    groups_grant(
        apps,
        {
            NATIONAL_ADMINISTRATORS: [
                "core.*",
                "accounts.*",
                "auth.view_group",
                "auth.view_permission",
                "admin.view_logentry",
                "django_celery_beat.*",
            ],
            PROVINCIAL_CLERKS: READ_CALENDAR_AND_REGIONS,
            PROVINCIAL_SUPERVISORS: READ_CALENDAR_AND_REGIONS,
        },
    )
    # Existing accounts join their role's group; agency staff may now sign in to the admin.
    user_model = apps.get_model("accounts", "User")
    group_model = apps.get_model("auth", "Group")
    for role, group_name in (("administrator", NATIONAL_ADMINISTRATORS), ("agency_staff", PROVINCIAL_CLERKS)):
        group = group_model.objects.get(name=group_name)
        users = user_model.objects.filter(role=role)
        users.update(is_staff=True)
        group.user_set.add(*users)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_citizen_holder_died_on"),
        ("admin", "0003_logentry_add_action_flag_choices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0005_state_events"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="user",
            name="only_administrators_are_staff",
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ("administrator", "agency_staff")), ("is_staff", False), _connector="OR"),
                name="only_back_office_roles_are_staff",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("role", "administrator"), ("is_superuser", False), _connector="OR"),
                name="only_administrators_are_superusers",
            ),
        ),
        migrations.RunPython(create_role_groups, migrations.RunPython.noop),
    ]
