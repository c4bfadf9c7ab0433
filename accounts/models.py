from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import ProtectedIdentityNumber, Region


class Role(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    AGENCY_STAFF = "agency_staff", _("Agency staff")
    AGENCY_SYSTEM = "agency_system", _("Agency system")
    SERVICE_POINT = "service_point", _("Service point")
    ADMINISTRATOR = "administrator", _("Administrator")


PROVINCIAL_ROLES = (Role.AGENCY_STAFF, Role.AGENCY_SYSTEM)
# The roles that sign in to the admin (the back office); what each may do there comes from its groups
# (accounts.roles), and accounts.admin_scope keeps agency staff to their province.
BACK_OFFICE_ROLES = (Role.ADMINISTRATOR, Role.AGENCY_STAFF)


class RoleAwareUserManager(UserManager["User"]):
    """Keeps Django's own entry points (`createsuperuser`, pytest-django's `admin_user`) inside the
    role constraints: a superuser is always an administrator. Everything else goes through
    accounts.services, which validates each role's binding."""

    use_in_migrations = True

    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("role", Role.ADMINISTRATOR)
        if extra_fields["role"] != Role.ADMINISTRATOR:
            raise ValueError(_("A superuser must have the administrator role."))
        return super().create_superuser(username, email, password, **extra_fields)


class User(ProtectedIdentityNumber, AbstractUser):
    """Anyone or anything that signs in. The role decides what the scope is bound to:
    a citizen to one insured person's ID number, agency staff and systems to one province."""

    role = models.CharField(max_length=16, choices=Role.choices, default=Role.CITIZEN)
    province = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("The province an agency user or system works for."),
    )
    id_number_hash = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=_("Keyed hash of the citizen's ID number."),
    )
    holder_died_on = models.DateField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("The citizen's recorded date of death: the account can no longer sign in."),
    )

    objects: ClassVar[RoleAwareUserManager] = RoleAwareUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="citizen_is_bound_to_an_id_number",
                condition=~Q(role=Role.CITIZEN) | Q(id_number_hash__isnull=False),
            ),
            models.CheckConstraint(
                name="only_citizens_have_an_id_number",
                condition=Q(role=Role.CITIZEN) | Q(id_number_hash__isnull=True),
            ),
            models.CheckConstraint(
                name="provincial_roles_have_a_province",
                condition=~Q(role__in=PROVINCIAL_ROLES) | Q(province__isnull=False),
            ),
            models.CheckConstraint(
                name="only_provincial_roles_have_a_province",
                condition=Q(role__in=PROVINCIAL_ROLES) | Q(province__isnull=True),
            ),
            # Every admin page applies the regional scope (accounts.admin_scope), so agency staff may enter
            # the admin too; a superuser passes every permission check, so only an administrator can be one.
            models.CheckConstraint(
                name="only_back_office_roles_are_staff",
                condition=Q(role__in=BACK_OFFICE_ROLES) | Q(is_staff=False),
            ),
            models.CheckConstraint(
                name="only_administrators_are_superusers",
                condition=Q(role=Role.ADMINISTRATOR) | Q(is_superuser=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.get_role_display()})"


class AuthToken(models.Model):
    """An expiring API token. Only a SHA-256 digest of the token is stored."""

    digest = models.CharField(max_length=64, primary_key=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="auth_tokens")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return _("token of %(user)s until %(expires_at)s") % {
            "user": self.user,
            "expires_at": f"{self.expires_at:%Y-%m-%d %H:%M}",
        }


class SignInFailures(models.Model):
    """Failed sign-ins counted in PostgreSQL (so that sign-in works, and keeps counting, without the cache).
    One row per account name and client address, which locks that address out of that name for a while,
    and one per account name from any address, which only slows sign-ins down past a higher ceiling:
    nobody can lock someone else out. `key` is a hash, so that names and addresses are not kept."""

    key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    last_attempt_at = models.DateTimeField()
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["window_started_at"])]
        verbose_name = _("sign-in failures")
        verbose_name_plural = _("sign-in failures")

    def __str__(self) -> str:
        return _("%(failures)d failed sign-in(s) since %(since)s") % {
            "failures": self.failures,
            "since": f"{self.window_started_at:%Y-%m-%d %H:%M}",
        }


class ApiKey(models.Model):
    """An agency system's key, sent as `Authorization: Api-Key <prefix>.<secret>`. Only a digest of the
    secret is stored; the key is shown once, when it is issued. Issuing a new key (the rotation) gives the
    system's older keys an end (`expires_at`) after an overlap, so the system can switch without a gap."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(
        max_length=16, unique=True, help_text=_("Public part of the key: tells keys apart.")
    )
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text=_("Set when a newer key replaces it."))

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return _("API key %(prefix)s of %(user)s") % {"prefix": self.prefix, "user": self.user.username}
