"""The error codes of users, roles, scope and signing in (see core.errors)."""

from __future__ import annotations

from core.errors import ErrorCode

ERRORS = (
    ErrorCode("invalid_credentials", 401, "The username or password is wrong."),
    ErrorCode(
        "login_locked",
        429,
        "Too many failed sign-ins for this account from this address: try again after `Retry-After` seconds "
        "(other addresses are not affected).",
    ),
    ErrorCode(
        "login_slowed",
        429,
        "Too many failed sign-ins for this account from all addresses: each attempt waits a growing delay; "
        "retry after `Retry-After` seconds.",
    ),
    ErrorCode("api_key_expired", 401, "The agency system's API key has ended (replaced, or revoked)."),
    ErrorCode("api_key_role_not_allowed", 400, "Only agency systems are given API keys."),
    ErrorCode("token_expired", 401, "The token has expired: sign in again."),
    ErrorCode("account_disabled", 401, "The account is disabled."),
    ErrorCode("account_holder_deceased", 403, "The account's holder has died: it can no longer sign in."),
    ErrorCode("province_out_of_scope", 403, "The province is outside the caller's scope."),
    # Creating users (the admin site and the services behind it).
    ErrorCode("role_unknown", 400, "There is no such role."),
    ErrorCode("username_required", 400, "A user needs a username."),
    ErrorCode("username_taken", 409, "Another user has this username."),
    ErrorCode("password_too_weak", 400, "The password fails the password rules."),
    ErrorCode("id_number_required", 400, "A citizen's account is bound to an ID number, and none was given."),
    ErrorCode("id_number_not_allowed", 400, "Only a citizen's account has an ID number."),
    ErrorCode("citizen_already_registered", 409, "An account is already bound to this ID number."),
    ErrorCode("province_required", 400, "An agency account is bound to a province, and none was given."),
    ErrorCode("province_not_allowed", 400, "Only agency staff and systems are bound to a province."),
    ErrorCode("province_unknown", 400, "No province has this code."),
)
