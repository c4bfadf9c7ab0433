"""Every write in accounts: creating users of each role, signing in, and expiring API tokens."""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import (
    BACK_OFFICE_ROLES,
    PROVINCIAL_ROLES,
    ApiKey,
    AuthToken,
    Role,
    SignInFailures,
    User,
)
from accounts.roles import ROLE_DEFAULT_GROUP
from core.crypto import keyed_hash
from core.exceptions import ApplicationError, ConflictError
from core.identity import IdentityNumber
from core.models import Region
from core.sql import AnyOf, ModelColumns, instances, prepared_cursor

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
# Agency systems' API keys


@dataclass(frozen=True, slots=True)
class IssuedApiKey:
    """The only moment the raw key exists: shown once to the administrator, never stored."""

    key: str
    api_key: ApiKey


@transaction.atomic
def api_key_issue(*, user: User) -> IssuedApiKey:
    """A new key for an agency system: its current keys end API_KEY_ROTATION_OVERLAP from now (or sooner,
    when they were already ending), so the system switches over without a refused request."""
    if user.role != Role.AGENCY_SYSTEM:
        raise ApplicationError(
            "api_key_role_not_allowed",
            _("Only agency systems sign in with an API key."),
            fields={"user": [_("Only agency systems sign in with an API key.")]},
        )
    now = timezone.now()
    overlap_end = now + settings.API_KEY_ROTATION_OVERLAP
    ApiKey.objects.select_for_update().filter(user=user).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=overlap_end)
    ).update(expires_at=overlap_end)
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    api_key = ApiKey.objects.create(user=user, prefix=prefix, digest=token_digest(secret))
    return IssuedApiKey(key=f"{prefix}.{secret}", api_key=api_key)


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> None:
    """End a key now (a leaked one): requests with it are refused from this moment."""
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now())


def api_key_verify(*, key: str) -> ApiKey:
    """The key's record with its user, if the key is known, has not ended and its system may sign in."""
    prefix, _dot, secret = key.partition(".")
    api_key = ApiKey.objects.select_related("user").filter(prefix=prefix).first()
    # Compared in constant time, as if it were found, so that a prefix cannot be probed by timing.
    if api_key is None or not hmac.compare_digest(api_key.digest, token_digest(secret)):
        raise ApplicationError("authentication_failed", _("The API key is not valid."), status_code=401)
    if api_key.expires_at is not None and api_key.expires_at <= timezone.now():
        raise ApplicationError(
            "api_key_expired", _("The API key has ended: use the system's newer key."), status_code=401
        )
    if not api_key.user.is_active:
        raise ApplicationError("account_disabled", _("This account is disabled."), status_code=401)
    return api_key


# ---------------------------------------------------------------------------------------------------------
# Signing in: failures counted per account name and client address (a lockout), and per account name
# alone (a slowdown past a higher ceiling), in PostgreSQL: a wrong password from one address never stops
# the right one from another, and sign-in works without the cache.


def _failure_keys(username: str, client_address: str) -> tuple[str, str]:
    """The keys of the (name, address) count and of the name's own. They exist for unknown names too, so
    a refusal never reveals whether an account exists; hashed, so no name or address is kept."""
    normalised = unicodedata.normalize("NFKC", username).strip().casefold()
    pair = hashlib.sha256(f"pair\0{normalised}\0{client_address}".encode()).hexdigest()
    account = hashlib.sha256(f"account\0{normalised}".encode()).hexdigest()
    return pair, account


def _slowdown(failures_over_ceiling: int) -> timedelta:
    base: timedelta = settings.LOGIN_SLOWDOWN_BASE
    ceiling: timedelta = settings.LOGIN_SLOWDOWN_MAX
    delay: timedelta = base * 2 ** min(failures_over_ceiling, 30)
    return min(delay, ceiling)


def _seconds_until(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def _locked_refusal(until: datetime, now: datetime) -> ApplicationError:
    wait_minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    local = timezone.localtime(until)
    return ApplicationError(
        "login_locked",
        ngettext(
            "Too many failed sign-in attempts. Try again in %(minutes)d minute, after %(time)s.",
            "Too many failed sign-in attempts. Try again in %(minutes)d minutes, after %(time)s.",
            wait_minutes,
        )
        % {"minutes": wait_minutes, "time": f"{local:%Y-%m-%d %H:%M:%S %Z}"},
        status_code=429,
        retry_after=_seconds_until(until, now),
    )


@transaction.atomic
def _attempt_admit(*, pair_key: str, account_key: str) -> ApplicationError | None:
    """Count this attempt, before its password is checked (guesses sent at once are all counted), and say
    whether it may be checked: a refusal to raise once this transaction has committed the count."""
    now = timezone.now()
    SignInFailures.objects.bulk_create(
        [
            SignInFailures(key=key, window_started_at=now, last_attempt_at=now)
            for key in (pair_key, account_key)
        ],
        ignore_conflicts=True,
    )
    # Always in this order (the pair's, then the name's): concurrent attempts never deadlock.
    rows = {
        row.key: row
        for row in SignInFailures.objects.select_for_update()
        .filter(key__in=[pair_key, account_key])
        .order_by("key")
    }
    pair, account = rows[pair_key], rows[account_key]
    for row, window in ((pair, settings.LOGIN_LOCKOUT), (account, settings.LOGIN_ACCOUNT_WINDOW)):
        if row.window_started_at <= now - window and not (row.locked_until and row.locked_until > now):
            row.failures, row.window_started_at, row.locked_until = 0, now, None
    refusal = None
    if pair.locked_until and pair.locked_until > now:
        refusal = _locked_refusal(pair.locked_until, now)
    elif account.failures >= settings.LOGIN_ACCOUNT_FAILURE_CEILING:
        allowed_at = account.last_attempt_at + _slowdown(
            account.failures - settings.LOGIN_ACCOUNT_FAILURE_CEILING
        )
        if now < allowed_at:
            refusal = ApplicationError(
                "login_slowed",
                _("Too many failed sign-ins for this account: wait Retry-After seconds before trying again."),
                status_code=429,
                retry_after=_seconds_until(allowed_at, now),
            )
    if refusal is None:
        pair.failures += 1
        account.failures += 1
        account.last_attempt_at = now
        if pair.failures > settings.LOGIN_FAILURE_LIMIT:
            pair.locked_until = now + settings.LOGIN_LOCKOUT
            refusal = _locked_refusal(pair.locked_until, now)
    for row in (pair, account):
        row.save()
    return refusal


def _attempt_failed(*, pair_key: str) -> None:
    """A wrong password: the attempt that reached the limit locks this address out of the name."""
    now = timezone.now()
    SignInFailures.objects.filter(
        key=pair_key, failures__gte=settings.LOGIN_FAILURE_LIMIT, locked_until__isnull=True
    ).update(locked_until=now + settings.LOGIN_LOCKOUT)


def _attempt_succeeded(*, pair_key: str, account_key: str) -> None:
    """The right password: this address starts afresh, and its attempt does not count against the name."""
    SignInFailures.objects.filter(key=pair_key).delete()
    SignInFailures.objects.filter(key=account_key, failures__gt=0).update(failures=F("failures") - 1)


def user_login(*, username: str, password: str, client_address: str) -> IssuedToken:
    """Check the credentials and issue a token. Unknown names and wrong passwords are refused alike.
    The counts commit on their own, before and after the check, whatever the answer."""
    pair_key, account_key = _failure_keys(username, client_address)
    refusal = _attempt_admit(pair_key=pair_key, account_key=account_key)
    if refusal is not None:
        raise refusal
    # ModelBackend hashes the password even for unknown names (equal timing) and refuses inactive users.
    user = authenticate(username=username, password=password)
    if user is None:
        _attempt_failed(pair_key=pair_key)
        raise ApplicationError(
            "invalid_credentials", _("The username or password is wrong."), status_code=401
        )
    _attempt_succeeded(pair_key=pair_key, account_key=account_key)
    if user.holder_died_on is not None:
        raise ApplicationError(
            "account_holder_deceased",
            _("The holder of this account has died: it can no longer sign in."),
            status_code=403,
        )
    with transaction.atomic():
        user.last_login = timezone.now()
        user.save(update_fields=["last_login"])
        return auth_token_issue(user=user)


@transaction.atomic
def sign_in_failures_delete_expired(*, now: datetime | None = None) -> int:
    """Forget the counts whose window has passed and that lock nothing."""
    now = now or timezone.now()
    window = max(settings.LOGIN_LOCKOUT, settings.LOGIN_ACCOUNT_WINDOW)
    deleted, _ = (
        SignInFailures.objects.filter(window_started_at__lt=now - window)
        .exclude(locked_until__gt=now)
        .delete()
    )
    return deleted


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
    AuthToken.objects.filter(AnyOf(F("user_id"), closed)).delete()
    return len(closed)
