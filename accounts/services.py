"""Every write in accounts: creating users of each role, signing in, and expiring API tokens."""

from __future__ import annotations

import hashlib
import math
import secrets
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import BACK_OFFICE_ROLES, PROVINCIAL_ROLES, AuthToken, Role, User
from accounts.roles import ROLE_DEFAULT_GROUP
from core.crypto import keyed_hash
from core.exceptions import ApplicationError, ConflictError
from core.identity import IdentityNumber
from core.models import Region
from core.sql import ModelColumns, instances, prepared_cursor

# ---------------------------------------------------------------------------------------------------------
# Users


@dataclass(frozen=True, slots=True)
class UserBinding:
    """What a role's scope is bound to: a citizen to one ID number, agency users to one province."""

    role: Role
    province: Region | None = None
    id_number: IdentityNumber | None = None


def _field_error(code: str, field: str, message: str, *, conflict: bool = False) -> ApplicationError:
    error_class = ConflictError if conflict else ApplicationError
    return error_class(code, message, fields={field: [message]})


def user_binding_resolve(
    *, role: str, province_code: str | None = None, id_number: str | IdentityNumber | None = None
) -> UserBinding:
    """Check that a role comes with exactly the binding it needs, and nothing else."""
    if role not in Role.values:
        raise _field_error("role_unknown", "role", _("There is no role called %(role)r.") % {"role": role})
    role = Role(role)
    number = None
    if role == Role.CITIZEN:
        if not id_number:
            raise _field_error("id_number_required", "id_number", _("A citizen account needs an ID number."))
        try:
            number = id_number if isinstance(id_number, IdentityNumber) else IdentityNumber.parse(id_number)
        except ApplicationError as error:
            raise _field_error(error.code, "id_number", error.message) from None
        if User.objects.filter(id_number_hash=keyed_hash(number.value)).exists():
            raise _field_error(
                "citizen_already_registered",
                "id_number",
                _("An account is already registered for this ID number."),
                conflict=True,
            )
    elif id_number:
        raise _field_error(
            "id_number_not_allowed", "id_number", _("Only citizen accounts have an ID number.")
        )

    province = None
    if role in PROVINCIAL_ROLES:
        if not province_code:
            raise _field_error("province_required", "province", _("An agency account needs a province."))
        province = Region.objects.filter(code=province_code).first()
        if province is None:
            raise _field_error(
                "province_unknown", "province", _("There is no province %(code)r.") % {"code": province_code}
            )
    elif province_code:
        raise _field_error(
            "province_not_allowed", "province", _("Only agency staff and systems are bound to a province.")
        )
    return UserBinding(role=role, province=province, id_number=number)


@transaction.atomic
def user_create(
    *,
    role: str,
    username: str,
    password: str,
    email: str = "",
    province_code: str | None = None,
    id_number: str | IdentityNumber | None = None,
) -> User:
    binding = user_binding_resolve(role=role, province_code=province_code, id_number=id_number)
    username = User.normalize_username(username.strip())
    if not username:
        raise _field_error("username_required", "username", _("A username is required."))
    # Case-insensitive, because the login lockout treats "Alice" and "alice" as one name.
    if User.objects.filter(username__iexact=username).exists():
        raise _field_error("username_taken", "username", _("This username is taken."), conflict=True)

    # Not a superuser: an administrator's permissions are their group's (accounts.roles).
    user = User(
        username=username,
        email=User.objects.normalize_email(email),
        role=binding.role,
        province=binding.province,
        is_staff=binding.role in BACK_OFFICE_ROLES,
    )
    user.id_number = binding.id_number
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ApplicationError(
            "password_too_weak", _("The password is too weak."), fields={"password": error.messages}
        ) from None
    user.set_password(password)
    try:
        # A savepoint, so that losing a race to a concurrent registration leaves the outer transaction usable.
        with transaction.atomic():
            user.save()
    except IntegrityError:
        if binding.id_number and User.objects.filter(id_number_hash=user.id_number_hash).exists():
            raise _field_error(
                "citizen_already_registered",
                "id_number",
                _("An account is already registered for this ID number."),
                conflict=True,
            ) from None
        raise _field_error(
            "username_taken", "username", _("This username is taken."), conflict=True
        ) from None
    user_role_group_join(user=user)
    return user


def user_role_group_join(*, user: User) -> None:
    """Put a new back-office account in its role's default group (the permissions the role needs)."""
    group_name = ROLE_DEFAULT_GROUP.get(Role(user.role))
    if group_name is not None:
        user.groups.add(Group.objects.get_or_create(name=group_name)[0])


def citizen_create(*, username: str, password: str, id_number: str, email: str = "") -> User:
    return user_create(
        role=Role.CITIZEN, username=username, password=password, email=email, id_number=id_number
    )


def agency_staff_create(*, username: str, password: str, province_code: str, email: str = "") -> User:
    return user_create(
        role=Role.AGENCY_STAFF, username=username, password=password, email=email, province_code=province_code
    )


def agency_system_create(*, username: str, password: str, province_code: str) -> User:
    return user_create(
        role=Role.AGENCY_SYSTEM, username=username, password=password, province_code=province_code
    )


def service_point_create(*, username: str, password: str, email: str = "") -> User:
    return user_create(role=Role.SERVICE_POINT, username=username, password=password, email=email)


def administrator_create(*, username: str, password: str, email: str = "") -> User:
    return user_create(role=Role.ADMINISTRATOR, username=username, password=password, email=email)


# ---------------------------------------------------------------------------------------------------------
# API tokens


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """The only moment the raw token exists: it is handed to the client and never stored."""

    token: str
    expires_at: datetime
    user: User


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def auth_token_issue(*, user: User) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    expires_at = timezone.now() + settings.AUTH_TOKEN_TTL
    AuthToken.objects.create(digest=token_digest(token), user=user, expires_at=expires_at)
    return IssuedToken(token=token, expires_at=expires_at, user=user)


_TOKEN_COLUMNS = ModelColumns(AuthToken, "auth_token")
_USER_COLUMNS = ModelColumns(User, "account")
# AuthToken.objects.select_related("user").get(digest=...), written out: this runs on every API request,
# and the ORM took longer than the query itself (core.sql).
_TOKEN_WITH_USER = f"""
    SELECT {_TOKEN_COLUMNS.sql}, {_USER_COLUMNS.sql}
    FROM {AuthToken._meta.db_table} auth_token
    JOIN {User._meta.db_table} account ON account.id = auth_token.user_id
    WHERE auth_token.digest = %s
"""  # noqa: S608 - names from the models; the digest is a parameter


def auth_token_verify(*, token: str) -> AuthToken:
    """The stored token for a raw token, if it is known, unexpired and its user may still sign in."""
    with prepared_cursor() as cursor:
        cursor.execute(_TOKEN_WITH_USER, [token_digest(token)])
        row = cursor.fetchone()
    if row is None:
        raise ApplicationError("authentication_failed", _("The token is not valid."), status_code=401)
    auth_token: AuthToken
    user: User
    auth_token, user = instances(row, _TOKEN_COLUMNS, _USER_COLUMNS)
    auth_token.user = user
    if auth_token.expires_at <= timezone.now():
        raise ApplicationError("token_expired", _("The token has expired: sign in again."), status_code=401)
    if not auth_token.user.is_active:
        raise ApplicationError("account_disabled", _("This account is disabled."), status_code=401)
    return auth_token


@transaction.atomic
def auth_token_revoke(*, auth_token: AuthToken) -> None:
    AuthToken.objects.filter(digest=auth_token.digest).delete()


@transaction.atomic
def auth_tokens_delete_expired(*, now: datetime | None = None) -> int:
    deleted, _ = AuthToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted


# ---------------------------------------------------------------------------------------------------------
# Signing in, with a lockout after repeated failures


def _login_cache_keys(username: str) -> tuple[str, str]:
    """Cache keys for a username as typed. They exist for unknown names too, so a lockout never
    reveals whether an account exists; hashing keeps the key short and free of odd characters."""
    normalised = unicodedata.normalize("NFKC", username).strip().casefold()
    name = hashlib.sha256(normalised.encode()).hexdigest()
    return f"login:failures:{name}", f"login:locked-until:{name}"


def _lockout_seconds() -> int:
    return math.ceil(settings.LOGIN_LOCKOUT.total_seconds())


def _refuse_if_locked(locked_key: str) -> None:
    locked_until = cache.get(locked_key)
    if locked_until is None:
        return
    wait_seconds = max(1, math.ceil(locked_until - time.time()))
    wait_minutes = math.ceil(wait_seconds / 60)
    retry_at = datetime.fromtimestamp(locked_until, tz=timezone.get_current_timezone())
    raise ApplicationError(
        "login_locked",
        ngettext(
            "Too many failed sign-in attempts. Try again in %(minutes)d minute, after %(time)s.",
            "Too many failed sign-in attempts. Try again in %(minutes)d minutes, after %(time)s.",
            wait_minutes,
        )
        % {"minutes": wait_minutes, "time": f"{retry_at:%Y-%m-%d %H:%M:%S %Z}"},
        status_code=429,
        retry_after=wait_seconds,
    )


def _count_attempt(failures_key: str) -> int:
    """Number this sign-in attempt within the current window (atomically, across processes)."""
    lockout = _lockout_seconds()
    cache.add(failures_key, 0, timeout=lockout)
    try:
        return cache.incr(failures_key)
    except ValueError:  # the window expired between add and incr: this attempt starts a new one
        cache.set(failures_key, 1, timeout=lockout)
        return 1


def _lock(failures_key: str, locked_key: str) -> None:
    lockout = _lockout_seconds()
    cache.set(locked_key, time.time() + lockout, timeout=lockout)
    cache.delete(failures_key)


@transaction.atomic
def user_login(*, username: str, password: str) -> IssuedToken:
    """Check the credentials and issue a token. Unknown names and wrong passwords are refused alike."""
    failures_key, locked_key = _login_cache_keys(username)
    _refuse_if_locked(locked_key)
    # Counted before the password is checked: guesses sent at once all pass the lock check above while
    # the first is still being hashed, and only the first LOGIN_FAILURE_LIMIT of them may be checked.
    attempt = _count_attempt(failures_key)
    if attempt > settings.LOGIN_FAILURE_LIMIT:
        _lock(failures_key, locked_key)
        _refuse_if_locked(locked_key)
    # ModelBackend hashes the password even for unknown names (equal timing) and refuses inactive users.
    user = authenticate(username=username, password=password)
    if user is None:
        if attempt >= settings.LOGIN_FAILURE_LIMIT:
            _lock(failures_key, locked_key)
        raise ApplicationError(
            "invalid_credentials", _("The username or password is wrong."), status_code=401
        )
    cache.delete(failures_key)
    if user.holder_died_on is not None:
        raise ApplicationError(
            "account_holder_deceased",
            _("The holder of this account has died: it can no longer sign in."),
            status_code=403,
        )
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    return auth_token_issue(user=user)


def citizens_close_on_death(*, deaths: Sequence[tuple[str, date]]) -> int:
    """The citizens' accounts of people whose death is recorded, as (ID number's keyed hash, date of
    death): their tokens are revoked and they can no longer sign in. Called by the registry's one death
    service, in its transaction. Returns how many accounts were closed."""
    if not deaths:
        return 0
    hashes, days = (list(column) for column in zip(*deaths, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {User._meta.db_table} u SET holder_died_on = d.day
                  FROM UNNEST(%s::varchar[], %s::date[]) AS d(digest, day)
                 WHERE u.id_number_hash = d.digest AND u.holder_died_on IS NULL
             RETURNING u.id""",  # noqa: S608 - the table name from the model
            [hashes, days],
        )
        closed = [row[0] for row in cursor.fetchall()]
    AuthToken.objects.filter(user_id__in=closed).delete()
    return len(closed)
