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
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import BasePagination
from rest_framework.request import Request

from core.errors import ErrorCode, declared_error_codes

_EXTENSION = "x-error-codes"
_OWN_RESPONSES_ONLY = "x-own-responses-only"
# The `extensions` of an operation that documents every answer it gives itself (the operators' endpoints,
# which answer no error envelope): no error responses are added to it.
OWN_RESPONSES_ONLY = {_OWN_RESPONSES_ONLY: True}

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
            if operation.pop(_OWN_RESPONSES_ONLY, False):
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
            operation.pop(_EXTENSION, None)
            operation["responses"] = dict(sorted(responses.items()))
    return result


IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "A value of your own (1-255 visible ASCII characters, e.g. a UUID) that makes a retry harmless: the "
        "same key with the same body again, within 24 hours by default, returns the first answer (status and "
        "body, with `Idempotent-Replayed: true`) and writes nothing; with another body it is refused "
        "(`idempotency_key_reused`); while the first request still runs, a retry waits for its answer, then "
        "is refused with `idempotency_in_progress`. Keys are per caller."
    ),
)


class AutoSchema(openapi.AutoSchema):
    """DRF paginates only list GETs (`ListModelMixin.list`). A write on the same view that answers with
    several records returns a plain array, so only GET operations are documented as paginated.

    An operation whose handler is decorated with core.idempotency.idempotent documents the
    `Idempotency-Key` header and its codes."""

    def _get_paginator(self) -> BasePagination | None:
        return super()._get_paginator() if self.method == "GET" else None

    def _is_idempotent(self) -> bool:
        return bool(getattr(getattr(self.view, self.method.lower(), None), "idempotent", False))

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        return [*parameters, IDEMPOTENCY_KEY_PARAMETER] if self._is_idempotent() else parameters

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and self._is_idempotent():
            from core.idempotency import ERROR_CODES

            codes = operation.setdefault(_EXTENSION, [])
            codes.extend(code for code in ERROR_CODES if code not in codes)
        return operation
