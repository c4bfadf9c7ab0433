"""OpenAPI post-processing shared by every app: the error envelope and the codes, documented once, here.

Every refusal the API makes has the shape {"error": {"code", "message", "fields"}} (core.exceptions). Each
operation documents the error statuses it can answer with, and only those: for each, the codes of that
status it may carry (in the response's description, with what each means, and as `x-error-codes`). The
codes are

- its own, from the apps' catalogues (core.errors), declared with the operation:

      @extend_schema(summary=..., extensions=error_codes("period_paid_elsewhere", ...))

- and those that follow from what the operation is (AutoSchema): any operation may refuse an Accept header
  (406); one that takes query parameters or a body, invalid input (400); one that reads a body, a body it
  cannot parse or whose media type it does not take; one that authenticates its caller, a missing or
  expired token (401), and a role check (403) where it has one; one on a record named in its path, or on
  the caller's own record (a view's `answers_not_found`), or a paginated list (its cursor), an unknown
  record (404); a throttled one, 429.

`/api/health` thus documents its 200 and 503 and the 406 any operation may give, and nothing else. The
schema-driven fuzz test (tests/test_api_fuzz.py) fails on any status, or any code, that an operation
answers with and does not document.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string
from drf_spectacular import openapi
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import BasePagination
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request

from core.errors import ErrorCode, declared_error_codes

_EXTENSION = "x-error-codes"
# Set by AutoSchema: the codes that the operation may answer with because of what it is (it takes input,
# authenticates its caller, checks a role, names a record in its path, is throttled).
_COMMON_EXTENSION = "x-common-error-codes"

# What every operation may answer with: to an Accept header that none of its media types matches.
NEGOTIATION_CODES = ("not_acceptable",)
# What an operation that takes query parameters or a body may answer with.
INPUT_CODES = ("invalid",)
# What only an operation that reads a body may answer with.
BODY_CODES = ("malformed_request", "unsupported_media_type")
# What only an operation that authenticates its caller may answer with.
AUTHENTICATED_CODES = (
    "not_authenticated",
    "authentication_failed",
    "token_expired",
    "api_key_expired",
    "account_disabled",
)
ROLE_CODES = ("permission_denied",)
# An operation on a record named in its path, or on the caller's own record, which may be missing.
RECORD_CODES = ("not_found",)
THROTTLED_CODES = ("throttled",)

ERROR_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "What was refused, and why.",
    "properties": {
        "code": {"type": "string", "description": "Stable snake_case code that clients can switch on."},
        "message": {
            "type": "string",
            "description": "What went wrong, in the request's language (Chinese unless asked).",
        },
        "fields": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
            "description": (
                "The messages of each invalid input field, always a list; a nested field is named by its "
                "path (`months.0.period`)."
            ),
        },
    },
    "required": ["code", "message", "fields"],
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The error envelope every refusal uses.",
    "properties": {
        "error": {
            "allOf": [{"$ref": "#/components/schemas/ErrorBody"}],
            "description": "The refusal: its code, its message and the fields it concerns.",
        }
    },
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
    besides what any operation of its kind may answer with. An undeclared code is refused here, as the
    view loads."""
    for code in codes:
        _declared(code)
    return {_EXTENSION: list(codes)}


def operation_codes_by_status(operation: dict[str, Any]) -> dict[str, list[str]]:
    """The codes an operation may answer with, by status: its own first, then those of its kind."""
    by_status: dict[str, list[str]] = {}
    for code in [*operation.get(_EXTENSION, ()), *operation.get(_COMMON_EXTENSION, ())]:
        declared = _declared(code)
        for status in (declared.status, *declared.also_statuses):
            codes = by_status.setdefault(str(status), [])
            if code not in codes:
                codes.append(code)
    return by_status


UNTAGGED = "Untagged"


def operation_tag(path: str) -> str:
    """The tag of the first of the project's tags (settings.OPENAPI_TAGS) whose pattern the path matches;
    UNTAGGED, which tests/core/test_schema.py refuses, for a path that none matches."""
    for tag in import_string(settings.OPENAPI_TAGS):
        if tag.matches(path):
            return str(tag.name)
    return UNTAGGED


def _description(codes: list[str]) -> str:
    return "\n".join(f"- `{code}`: {_declared(code).description}" for code in codes)


# A page that answers a browser in HTML (core.apis.DocumentVerifyApi) refuses it with an HTML page too,
# but for an Accept it cannot serve (406), which is answered in JSON.
ERROR_PAGE: dict[str, Any] = {
    "schema": {"type": "string", "description": "The refusal's message as an HTML page, for a browser."}
}


def _answers_html(responses: dict[str, Any]) -> bool:
    return any(
        "text/html" in response.get("content", {}) for code, response in responses.items() if code < "400"
    )


def add_error_responses(
    result: dict[str, Any], generator: SchemaGenerator, request: Request | None, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: declare the error envelope for each status an operation may
    refuse with, listing the codes of that status (in the description, and as `x-error-codes` for
    clients and tests), and nothing for a status none of its codes has. A response an operation
    documents itself is left as it is. An operation that takes no credentials says so (`security: [{}]`)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["Error"] = ERROR_SCHEMA
    schemas["ErrorBody"] = ERROR_BODY_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status_code, codes in operation_codes_by_status(operation).items():
                responses.setdefault(
                    status_code,
                    {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        "description": _description(codes),
                    },
                )
                if responses[status_code].get("content", {}).get("application/json", {}).get("schema") == {
                    "$ref": "#/components/schemas/Error"
                }:
                    responses[status_code]["x-error-codes"] = codes
                    if status_code != "406" and _answers_html(responses):
                        responses[status_code]["content"]["text/html"] = ERROR_PAGE
            operation.pop(_EXTENSION, None)
            operation.pop(_COMMON_EXTENSION, None)
            operation["responses"] = dict(sorted(responses.items()))
            operation.setdefault("security", [{}])
            for parameter in operation.get("parameters", ()):
                if parameter["in"] == "path" and not parameter.get("description"):
                    described = import_string(settings.OPENAPI_PATH_PARAMETERS).get(parameter["name"])
                    if described:
                        parameter["description"] = described
    _nullable_references_typed(result)
    return result


def _nullable_references_typed(node: Any) -> None:
    """A nullable reference (`allOf: [$ref]` beside `nullable: true`) gets the type `object`: OpenAPI 3.0
    gives `nullable` no meaning without a `type` beside it, and linters refuse it."""
    if isinstance(node, dict):
        if node.get("nullable") and "allOf" in node and "type" not in node:
            node["type"] = "object"
        for value in node.values():
            _nullable_references_typed(value)
    elif isinstance(node, list):
        for value in node:
            _nullable_references_typed(value)


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
    """Operations whose error codes follow from what they are (core.schema's module docstring), and
    whose tags say whom they serve and what about (TAGS). An operation whose handler is decorated with
    core.idempotency.idempotent documents the `Idempotency-Key` header and its codes."""

    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        operation[_COMMON_EXTENSION] = self._common_codes(operation)
        if self._is_idempotent():
            from core.idempotency import ERROR_CODES

            codes = operation.setdefault(_EXTENSION, [])
            codes.extend(code for code in ERROR_CODES if code not in codes)
        return operation

    def _common_codes(self, operation: dict[str, Any]) -> list[str]:
        codes: list[str] = list(NEGOTIATION_CODES)
        takes_query = any(parameter["in"] == "query" for parameter in operation.get("parameters", ()))
        if takes_query or "requestBody" in operation:
            codes += INPUT_CODES
        if "requestBody" in operation:
            codes += BODY_CODES
        if any(operation.get("security", ())):  # [{}] is "anyone, without credentials"
            codes += AUTHENTICATED_CODES
            if any(
                not isinstance(permission, (IsAuthenticated, AllowAny))
                for permission in self.view.get_permissions()
            ):
                codes += ROLE_CODES
        # A page's cursor that the server never issued is a page that does not exist.
        paginated = self._get_paginator() is not None and self._is_list_view()
        if "{" in self.path or paginated or getattr(self.view, "answers_not_found", False):
            codes += RECORD_CODES
        if self.view.get_throttles():
            codes += THROTTLED_CODES
        return codes

    def get_tags(self) -> list[str]:
        return [operation_tag(self.path)]

    def _get_paginator(self) -> BasePagination | None:
        """DRF paginates only list GETs (`ListModelMixin.list`). A write on the same view that answers
        with several records returns a plain array, so only GET operations are documented as paginated."""
        return super()._get_paginator() if self.method == "GET" else None

    def _is_idempotent(self) -> bool:
        return bool(getattr(getattr(self.view, self.method.lower(), None), "idempotent", False))

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        return [*parameters, IDEMPOTENCY_KEY_PARAMETER] if self._is_idempotent() else parameters
