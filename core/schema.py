"""OpenAPI post-processing shared by every app: the error envelope is documented once, here.

Every refusal the API makes has the shape {"error": {"code", "message", "fields"}} (core.exceptions). Any
operation can answer with one of the statuses below (invalid input, missing or expired token, role or
scope refusal, unknown record, state conflict, locked resource, throttling), and one that reads a body can
also refuse its media type. Declaring them on every operation keeps the schema honest for clients and for
the schema-driven fuzz test, which fails on any status or body the schema does not describe.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular import openapi
from drf_spectacular.generators import SchemaGenerator
from rest_framework.pagination import BasePagination
from rest_framework.request import Request

ERROR_STATUSES = {
    "400": "`invalid` (see `fields`), `malformed_request`, or a refusal of the request's content.",
    "401": "`not_authenticated`, `authentication_failed` or `token_expired`.",
    "403": "`permission_denied`: the role or the caller's scope does not allow this.",
    "404": "`not_found`: no such record within the caller's scope.",
    "409": "The record's current state does not allow this (the code says which state).",
    "423": "The resource is locked.",
    "429": "`throttled`: too many requests; retry after the `Retry-After` header.",
}
# Only operations that read a request body can refuse its media type.
BODY_ERROR_STATUSES = {
    "415": "`unsupported_media_type`: the body is not in a media type this operation accepts.",
}

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


def add_error_responses(
    result: dict[str, Any], generator: SchemaGenerator, request: Request | None, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: declare the error envelope for every error status on every
    operation. A response an operation documents itself (with its own description) is left as it is."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    # Same names as accounts.serializers.ErrorSerializer would produce, so there is one definition.
    schemas["Error"] = ERROR_SCHEMA
    schemas["ErrorBody"] = ERROR_BODY_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            statuses = ERROR_STATUSES | (BODY_ERROR_STATUSES if "requestBody" in operation else {})
            for status_code, description in statuses.items():
                responses.setdefault(
                    status_code,
                    {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
                        "description": description,
                    },
                )
            operation["responses"] = dict(sorted(responses.items()))
    return result


class AutoSchema(openapi.AutoSchema):
    """DRF paginates only list GETs (`ListModelMixin.list`). A write on the same view that answers with
    several records returns a plain array, so only GET operations are documented as paginated."""

    def _get_paginator(self) -> BasePagination | None:
        return super()._get_paginator() if self.method == "GET" else None
