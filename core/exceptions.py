"""One error shape for the whole API: {"error": {"code", "message", "fields"}}.

Services raise `ApplicationError` (or a subclass) with a stable code that clients can switch on; DRF's
own exceptions are translated here too. Anything else is an unexpected failure: logged, answered 500.
"""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerUnavailable
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

# The cache (Redis) or the broker cannot be reached: a 503 with its own code, never a 500.
UNAVAILABLE_SERVICE_ERRORS = (redis.ConnectionError, redis.TimeoutError, BrokerUnavailable)


class ApplicationError(Exception):
    """A refusal the caller can understand and act on."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.headers = headers or {}  # e.g. Retry-After on a 429
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self, message: str = "Not found.") -> None:
        super().__init__("not_found", message)


class ConflictError(ApplicationError):
    status_code = status.HTTP_409_CONFLICT


class ForbiddenError(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN


# Stable codes for DRF's own exceptions, whose default codes are not all meaningful to clients.
_DRF_CODES = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "authentication_failed",
    exceptions.PermissionDenied: "permission_denied",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "throttled",
    exceptions.ParseError: "malformed_request",
    exceptions.ValidationError: "invalid",
}


def error_body(code: str, message: str, fields: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def _field_messages(detail: Any) -> Any:
    """Flatten DRF's nested ErrorDetail structure into plain strings, keeping the nesting of fields."""
    if isinstance(detail, dict):
        return {key: _field_messages(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [_field_messages(item) for item in detail]
    return str(detail)


def _explicit_code(exc: exceptions.APIException) -> str | None:
    """A code given when raising, e.g. AuthenticationFailed(code="token_expired"), beats the class default."""
    code = getattr(exc.detail, "code", None)
    return code if isinstance(code, str) and code != exc.default_code else None


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    # Imported here: rest_framework.views loads the authentication classes, which load the models that
    # import this module's errors.
    from rest_framework.views import set_rollback

    headers: dict[str, str] = {}
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(
            error_body(exc.code, exc.message, exc.fields), status=exc.status_code, headers=exc.headers
        )
    if isinstance(exc, UNAVAILABLE_SERVICE_ERRORS):
        # The cache or the broker is down: the client may retry later, and nothing was half-written.
        logger.warning("Service unavailable in %s: %r", type(context.get("view")).__name__, exc)
        set_rollback()
        return Response(
            error_body(
                "service_unavailable",
                _("A service the platform depends on is unavailable: retry in a minute."),
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "60"},
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, exceptions.APIException):
        set_rollback()
        # Set by DRF on the exceptions that have them (a 401's challenge, a 429's wait).
        auth_header, wait = getattr(exc, "auth_header", None), getattr(exc, "wait", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        if wait:
            headers["Retry-After"] = str(int(wait))
        code = _explicit_code(exc) or next(
            (c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error"
        )
        if isinstance(exc, exceptions.ValidationError):
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            fields = _field_messages(detail)
            return Response(
                error_body(code, "The request has invalid fields.", fields),
                status=exc.status_code,
                headers=headers,
            )
        return Response(error_body(code, str(exc.detail)), status=exc.status_code, headers=headers)
    view = context.get("view")
    logger.exception("Unhandled error in %s", type(view).__name__ if view else "API", exc_info=exc)
    set_rollback()
    return Response(
        error_body("server_error", "Something went wrong on our side. It has been logged."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body("not_found", "No such address."), status=404)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body("server_error", "Something went wrong on our side. It has been logged."), status=500
    )
