"""One error shape for the whole API: {"error": {"code", "message", "fields"}}.

Services raise `ApplicationError` (or a subclass) with a stable code that clients can switch on; DRF's
own exceptions are translated here too. Anything else is an unexpected failure: logged, answered 500.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import redis
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from kombu.exceptions import OperationalError as BrokerUnavailable
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

# The cache (Redis) or the broker cannot be reached: a 503 with its own code, never a 500.
UNAVAILABLE_SERVICE_ERRORS = (redis.ConnectionError, redis.TimeoutError, BrokerUnavailable)


# The wait a 429 announces when nothing better is known (a throttle whose history is empty).
DEFAULT_RETRY_AFTER_SECONDS = 60


class ApplicationError(Exception):
    """A refusal the caller can understand and act on.

    `message` is in the caller's language (raise it with gettext, while the request's language is
    active); `code` is the same in every language. `retry_after` (seconds) goes out as `Retry-After`, which
    every 429 carries."""

    status_code: int = status.HTTP_400_BAD_REQUEST

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        status_code: int | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.retry_after = retry_after
        if status_code is not None:
            self.status_code = status_code


class NotFoundError(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self, message: str | None = None) -> None:
        super().__init__("not_found", message or _("Not found."))


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


def error_body(code: str, message: str, fields: Mapping[Any, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": str(message), "fields": field_messages(fields or {})}}


def field_messages(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """Every field's messages as a list of strings, whatever shape they were raised in (a string, a list,
    DRF's nested ErrorDetail structure). A nested field is named by its path, `months.0.period`, so that
    `fields` is always one flat object of lists and a client needs one way to read it."""
    if isinstance(detail, Mapping):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(field_messages(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list | tuple) and any(isinstance(item, Mapping | list | tuple) for item in detail):
        flat = {}
        for index, item in enumerate(detail):
            # A nested serializer's valid item comes as {}: it names no field.
            flat.update(field_messages(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    messages = [str(item) for item in detail] if isinstance(detail, list | tuple) else [str(detail)]
    return {prefix or "non_field_errors": messages} if messages else {}


def _explicit_code(exc: exceptions.APIException) -> str | None:
    """A code given when raising, e.g. AuthenticationFailed(code="token_expired"), beats the class default."""
    code = getattr(exc.detail, "code", None)
    return code if isinstance(code, str) and code != exc.default_code else None


def _retry_after(exc: Exception) -> int:
    """Seconds a 429 asks the client to wait: the refusal's own figure, DRF's throttle wait (rounded up,
    as DRF's message rounds it), or a default when neither is known."""
    wait = getattr(exc, "retry_after", None) or getattr(exc, "wait", None)
    return max(1, math.ceil(wait)) if wait else DEFAULT_RETRY_AFTER_SECONDS


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    # Imported here: rest_framework.views loads the authentication classes, which load the models that
    # import this module's errors.
    from rest_framework.views import set_rollback

    response = _error_response(exc, context)
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response["Retry-After"] = str(_retry_after(exc))
    set_rollback()
    return response


def _error_response(exc: Exception, context: dict[str, Any]) -> Response:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.code, exc.message, exc.fields), status=exc.status_code)
    if isinstance(exc, UNAVAILABLE_SERVICE_ERRORS):
        # The cache or the broker is down: the client may retry later, and nothing was half-written.
        logger.warning("Service unavailable in %s: %r", type(context.get("view")).__name__, exc)
        return Response(
            error_body(
                "service_unavailable",
                _("A service the platform depends on is unavailable: retry in a minute."),
            ),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DEFAULT_RETRY_AFTER_SECONDS)},
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
        headers: dict[str, str] = {}
        # Set by DRF on the exceptions that have them (a 401's challenge).
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        code = _explicit_code(exc) or next(
            (c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error"
        )
        if isinstance(exc, exceptions.ValidationError):
            detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
            return Response(
                error_body(code, _("The request has invalid fields."), detail),
                status=exc.status_code,
                headers=headers,
            )
        return Response(error_body(code, str(exc.detail)), status=exc.status_code, headers=headers)
    view = context.get("view")
    logger.exception("Unhandled error in %s", type(view).__name__ if view else "API", exc_info=exc)
    return Response(
        error_body("server_error", _("Something went wrong on our side. It has been logged.")),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


# Chinese as characters, not \u escapes, as DRF's renderer writes it.
_READABLE_JSON = {"ensure_ascii": False}


# Exempt: a POST to a wrong address is answered with this 404, not with the CSRF check's HTML 403.
@csrf_exempt
def json_not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """The answer to an address that names nothing: Django's handler404, and the last URL pattern, so that
    it answers so with DEBUG on too (instead of the HTML debug page). A path that exists with a trailing
    slash says so; it is not redirected, since a redirect would drop a POST's body."""
    path = request.path_info
    message = _("No such address: %(path)s.") % {"path": path}
    if not path.endswith("/"):
        try:
            match = resolve(f"{path}/")
        except Resolver404:
            match = None
        if match is not None and match.url_name != "not-found":
            message = _("No such address: %(path)s. The address ends with a slash: %(suggestion)s") % {
                "path": path,
                "suggestion": f"{request.path}/",
            }
    return JsonResponse(error_body("not_found", message), status=404, json_dumps_params=_READABLE_JSON)


def json_server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body("server_error", _("Something went wrong on our side. It has been logged.")),
        status=500,
        json_dumps_params=_READABLE_JSON,
    )
