"""OpenAPI post-processing shared by every app: the error envelope and the codes, documented once, here.

Every refusal the API makes has the shape {"error": {"code", "message", "fields"}} (core.exceptions). Any
operation can answer with one of the statuses below (invalid input, missing or expired token, role or
scope refusal, unknown record, state conflict, locked resource, throttling), and one that reads a body can
also refuse its media type. Declaring them on every operation keeps the schema honest for clients and for
the schema-driven fuzz test, which fails on any status or body the schema does not describe.

Each operation declares the codes its own refusals use, from the apps' catalogues (core.errors):

    @extend_schema(summary=..., extensions=error_codes("period_paid_elsewhere", ...))

and the description of each of its error responses lists the codes of that status, each with what it
means: the operation's own, then those any operation may answer with.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from drf_spectacular import openapi
from drf_spectacular.generators import SchemaGenerator
from rest_framework.pagination import BasePagination
from rest_framework.request import Request

from core.errors import ErrorCode, declared_error_codes

_EXTENSION = "x-error-codes"

# What any operation may answer with, whatever it does, by status.
COMMON_CODES: dict[str, tuple[str, ...]] = {
    "400": ("invalid",),
    "403": ("permission_denied",),
    "404": ("not_found",),
    "429": ("throttled",),
}
# What only an operation that reads a body may answer with.
BODY_CODES: dict[str, tuple[str, ...]] = {"400": ("malformed_request",), "415": ("unsupported_media_type",)}
# What only an operation that authenticates its caller may answer with.
AUTHENTICATED_CODES: dict[str, tuple[str, ...]] = {
    "401": ("not_authenticated", "authentication_failed", "token_expired", "account_disabled"),
}
# The description of a status none of whose codes applies to an operation.
ERROR_STATUSES = {
    "400": "The request is refused.",
    "401": "The caller is not signed in.",
    "403": "The role or the caller's scope does not allow this.",
    "404": "No such record within the caller's scope.",
    "409": "The record's current state does not allow this (the code says which state).",
    "423": "The resource is locked.",
    "429": "Too many requests.",
}
BODY_ERROR_STATUSES = {"415": "The body is not in a media type this operation accepts."}

ERROR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "code": {"type": "string", "description": "Stable snake_case code that clients can switch on."},
        "message": {"type": "string"},
        "fields": {
            "type": "object",
            "additionalProperties": {},
            "description": "Messages per invalid input field.",
        },
    },
    "required": ["code", "message", "fields"],
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The error envelope every refusal uses.",
    "properties": {"error": {"$ref": "#/components/schemas/ErrorBody"}},
    "required": ["error"],
}

_METHODS = ("get", "put", "post", "patch", "delete", "head", "options", "trace")


def _declared(code: str) -> ErrorCode:
    error = declared_error_codes().get(code)
    if error is None:
        raise ImproperlyConfigured(f"The error code {code!r} is declared in no app's errors.py.")
    if error.status is None:
        raise ImproperlyConfigured(f"The error code {code!r} is an import's, which no response carries.")
    return error


def error_codes(*codes: str) -> dict[str, list[str]]:
    """The `extensions` of an operation (`extend_schema(extensions=...)`) that refuses with `codes`,
    besides what any operation may answer with. An undeclared code is refused here, as the view loads."""
    for code in codes:
        _declared(code)
    return {_EXTENSION: list(codes)}


def _operation_codes(operation: dict[str, Any], status: str) -> list[str]:
    common = [COMMON_CODES]
    if "requestBody" in operation:
        common.append(BODY_CODES)
    if any(operation.get("security", ())):  # [{}] is "anyone, without credentials"
        common.append(AUTHENTICATED_CODES)
    own = [code for code in operation.get(_EXTENSION, ()) if str(_declared(code).status) == status]
    return own + [code for codes in common for code in codes.get(status, ()) if code not in own]


def _description(codes: list[str], fallback: str) -> str:
    if not codes:
        return fallback
    return "\n".join(f"- `{code}`: {_declared(code).description}" for code in codes)


def add_error_responses(
    result: dict[str, Any], generator: SchemaGenerator, request: Request | None, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: declare the error envelope for every error status on every
    operation, and for each status the codes the operation may answer with. A response an operation
    documents itself (with its own description) is left as it is."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["ErrorBody"] = ERROR_BODY_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            statuses = ERROR_STATUSES | (BODY_ERROR_STATUSES if "requestBody" in operation else {})
            own_statuses = {str(_declared(code).status) for code in operation.get(_EXTENSION, ())}
            for status_code in sorted(statuses.keys() | own_statuses):
                responses.setdefault(
                    status_code,
                    {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        "description": _description(
                            _operation_codes(operation, status_code), statuses.get(status_code, "")
                        ),
                    },
                )
            # An operation that answers a browser with a page (the document verification) answers its
            # refusals with a page too.
            if "text/html" in responses.get("200", {}).get("content", {}):
                for status_code in statuses.keys() | own_statuses:
                    responses[status_code]["content"].setdefault("text/html", {"schema": {"type": "string"}})
            operation.pop(_EXTENSION, None)
            operation["responses"] = dict(sorted(responses.items()))
    return result


class AutoSchema(openapi.AutoSchema):
    """DRF paginates only list GETs (`ListModelMixin.list`). A write on the same view that answers with
    several records returns a plain array, so only GET operations are documented as paginated."""

    def _get_paginator(self) -> BasePagination | None:
        return super()._get_paginator() if self.method == "GET" else None
