"""The back office's roles: a Django group per role, holding the permissions the role needs.

Administrators are not superusers: what each one may do in the admin comes from their groups, so a
national administrator and a provincial clerk see different things (and accounts.admin_scope restricts
the clerk to their province on top). New accounts join their role's default group (`ROLE_DEFAULT_GROUP`);
a national administrator moves agency staff to the supervisors' group in the user admin.

The groups and their permissions are written by data migrations, with `groups_grant`. An app that adds
models grants their permissions in a migration of its own:

    def grant(apps, schema_editor):
        groups_grant(apps, {NATIONAL_ADMINISTRATORS: ["cards.*"], PROVINCIAL_CLERKS: ["cards.view_card"]})

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]

(with a dependency on accounts' migration that creates the groups, and on the app's own models).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from accounts.models import Role

NATIONAL_ADMINISTRATORS = "National administrators"
PROVINCIAL_CLERKS = "Provincial clerks"
PROVINCIAL_SUPERVISORS = "Provincial supervisors"

# The group a new account of each role joins; roles not listed never enter the admin.
ROLE_DEFAULT_GROUP = {Role.ADMINISTRATOR: NATIONAL_ADMINISTRATORS, Role.AGENCY_STAFF: PROVINCIAL_CLERKS}
# The roles that may sign in to the admin (is_staff), and the groups open to each.
ROLE_GROUPS = {
    Role.ADMINISTRATOR: (NATIONAL_ADMINISTRATORS,),
    Role.AGENCY_STAFF: (PROVINCIAL_CLERKS, PROVINCIAL_SUPERVISORS),
}
STAFF_ROLES = tuple(ROLE_GROUPS)


def groups_grant(apps: Any, grants: Mapping[str, Iterable[str]]) -> None:
    """Give each group (created when missing) the permissions named "app_label.codename", or
    "app_label.*" for every permission of an app. For data migrations: `apps` is the migration's registry.

    Django creates permissions only after all migrations have run, so the ones needed here are created
    first (on a fresh database none exist yet)."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    for app_config in global_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, apps=apps)
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, permissions in grants.items():
        group, _ = group_model.objects.get_or_create(name=name)
        for permission in permissions:
            app_label, codename = permission.split(".", 1)
            found = permission_model.objects.filter(content_type__app_label=app_label)
            if codename != "*":
                found = found.filter(codename=codename)
                if not found.exists():
                    raise LookupError(f"no permission {permission}")
            group.permissions.add(*found)
