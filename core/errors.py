"""The stable error codes that clients switch on, declared where they are raised.

Each app declares the codes it raises in its own `errors.py`, as `ERRORS`: the code, the HTTP status of
the response that carries it, and one line that says what it means. An app may raise the codes of the
apps below it too (a `not_found` of core's, a `province_unknown` of accounts'), but declares none twice.
tests/test_error_codes.py holds the catalogues to the raise sites in the source, and the OpenAPI
description lists each operation's codes from them (core.schema.error_codes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import import_module

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import module_has_submodule


@dataclass(frozen=True, slots=True)
class ErrorCode:
    code: str
    # The status of the response that carries it; None for a code that only an import reports (a row's
    # error, or a job's failure), which no response answers with.
    status: int | None
    description: str
    # Further statuses of a code whose status follows the refusal it stands for (a refused batch answers
    # with its first refused item's); documented under each (core.schema).
    also_statuses: tuple[int, ...] = ()


ERRORS = (
    # DRF's own refusals, under the codes core.exceptions gives them.
    ErrorCode("invalid", 400, "A field of the request is invalid: `fields` says which, and why."),
    ErrorCode("malformed_request", 400, "The body cannot be parsed (not well-formed JSON or form data)."),
    ErrorCode("not_authenticated", 401, "No credentials: send `Authorization: Bearer <token>`."),
    ErrorCode("authentication_failed", 401, "The credentials are not valid: an unknown or malformed token."),
    ErrorCode("permission_denied", 403, "The caller's role may not do this."),
    ErrorCode("not_found", 404, "No such record within the caller's scope, or no such address."),
    ErrorCode("method_not_allowed", 405, "The path has no operation with this method."),
    ErrorCode("not_acceptable", 406, "No media type this operation answers in matches the Accept header."),
    ErrorCode("unsupported_media_type", 415, "The body is not in a media type this operation accepts."),
    ErrorCode("throttled", 429, "Too many requests: retry after the `Retry-After` header."),
    ErrorCode(
        "service_unavailable",
        503,
        "The cache or the message broker is unreachable; nothing was written. Retry after `Retry-After`.",
    ),
    ErrorCode("server_error", 500, "An unexpected failure on the platform's side; it has been logged."),
    # The kernel's.
    ErrorCode(
        "idempotency_key_invalid", 400, "The Idempotency-Key header is not 1-255 visible ASCII characters."
    ),
    ErrorCode(
        "idempotency_key_reused",
        422,
        "The Idempotency-Key was already used by this caller for another request (method, path or body).",
    ),
    ErrorCode(
        "idempotency_in_progress",
        409,
        "A request with this Idempotency-Key is still running: retry later to get its answer.",
    ),
    ErrorCode("state_move_not_allowed", 409, "The record's current state does not allow this move."),
    ErrorCode(
        "batch_refused",
        400,
        "Items of a batch sent whole were refused, so nothing was written: `fields` names each refused item "
        "with its code and message. The status is the first refused item's (400, 404 or 409).",
        also_statuses=(404, 409),
    ),
    ErrorCode("id_number_format", 400, "The ID number is not 17 digits followed by a digit or X."),
    ErrorCode("id_number_province", 400, "The ID number does not start with a province code."),
    ErrorCode("id_number_birth_date", 400, "The ID number's birth date is not a real date, or out of range."),
    ErrorCode("id_number_checksum", 400, "The ID number's check character does not match: a typo."),
    ErrorCode("calendar_source_required", 400, "A year's working-day schedule is entered with its source."),
    ErrorCode("calendar_year_without_holidays", 400, "A schedule listing no holidays is not put in force."),
)


@cache
def declared_error_codes() -> dict[str, ErrorCode]:
    """Every installed app's declared codes (`<app>.errors.ERRORS`), by code."""
    declared: dict[str, ErrorCode] = {}
    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "errors"):
            continue
        for error in getattr(import_module(f"{config.name}.errors"), "ERRORS", ()):
            if error.code in declared:
                raise ImproperlyConfigured(f"The error code {error.code!r} is declared twice.")
            declared[error.code] = error
    return declared
