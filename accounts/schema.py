"""Tells drf-spectacular how the token authentication works, so Swagger UI's Authorize button sends it."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ExpiringTokenAuthentication"
    name = "BearerToken"

    def get_security_definition(self, auto_schema: AutoSchema) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A token from POST /api/v1/auth/login, sent as `Authorization: Bearer <token>`.",
        }
