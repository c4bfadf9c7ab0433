import json
import logging

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import translation
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.authentication import ExpiringTokenAuthentication
from core.exceptions import (
    ApplicationError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    json_not_found,
    json_server_error,
)
from core.serializers import IdentityNumberField

factory = APIRequestFactory()


@pytest.fixture(autouse=True)
def english():
    """These views are called without the middleware: read their messages in English (the Chinese ones
    and the language negotiation are tested below and in tests/test_translations.py)."""
    with translation.override("en"):
        yield


class _Input(serializers.Serializer):
    id_number = IdentityNumberField()
    count = serializers.IntegerField(min_value=1)


class RaisingView(APIView):
    """Raises whatever the test puts on the class; a POST validates `_Input`."""

    authentication_classes = []
    permission_classes = [AllowAny]
    error: Exception | None = None

    def get(self, request):
        raise self.error

    def post(self, request):
        _Input(data=request.data).is_valid(raise_exception=True)
        return Response({"ok": True})


class ProtectedView(APIView):
    authentication_classes = [ExpiringTokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"ok": True})


def _get(error: Exception):
    return RaisingView.as_view(error=error)(factory.get("/raising"))


@pytest.mark.parametrize(
    ("error", "status", "body"),
    [
        (
            ApplicationError("card_already_reported_lost", "The card is already reported lost."),
            400,
            {
                "code": "card_already_reported_lost",
                "message": "The card is already reported lost.",
                "fields": {},
            },
        ),
        (
            ApplicationError("base_out_of_range", "Base too high.", fields={"base": ["Max 30000.00"]}),
            400,
            {"code": "base_out_of_range", "message": "Base too high.", "fields": {"base": ["Max 30000.00"]}},
        ),
        (
            ApplicationError("payment_required", "Pay first.", status_code=402),
            402,
            {"code": "payment_required", "message": "Pay first.", "fields": {}},
        ),
        (
            NotFoundError("No such card."),
            404,
            {"code": "not_found", "message": "No such card.", "fields": {}},
        ),
        (
            ConflictError("transfer_in_progress", "A transfer is already in progress."),
            409,
            {"code": "transfer_in_progress", "message": "A transfer is already in progress.", "fields": {}},
        ),
        (
            ForbiddenError("out_of_scope", "Not your province."),
            403,
            {"code": "out_of_scope", "message": "Not your province.", "fields": {}},
        ),
    ],
)
def test_application_errors_answer_their_code_message_fields_and_status(error, status, body):
    response = _get(error)

    assert response.status_code == status
    assert response.data == {"error": body}


def test_http404_answers_not_found():
    response = _get(Http404("secret detail"))

    assert response.status_code == 404
    assert response.data == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}


def test_django_permission_denied_answers_permission_denied():
    response = _get(DjangoPermissionDenied())

    assert response.status_code == 403
    assert response.data["error"]["code"] == "permission_denied"


def test_django_validation_error_answers_its_fields():
    response = _get(DjangoValidationError({"period": ["Enter YYYYMM."]}))

    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "invalid",
            "message": "The request has invalid fields.",
            "fields": {"period": ["Enter YYYYMM."]},
        }
    }


def test_drf_validation_error_lists_every_invalid_field():
    response = RaisingView.as_view()(
        factory.post("/raising", {"id_number": "110105194912310021", "count": 0})
    )

    assert response.status_code == 400
    assert response.data == {
        "error": {
            "code": "invalid",
            "message": "The request has invalid fields.",
            "fields": {
                "id_number": ["The ID number's check character does not match: check for a typo."],
                "count": ["Ensure this value is greater than or equal to 1."],
            },
        }
    }


def test_validation_error_without_fields_goes_under_non_field_errors():
    response = _get(exceptions.ValidationError(["Periods overlap."]))

    assert response.status_code == 400
    assert response.data["error"]["fields"] == {"non_field_errors": ["Periods overlap."]}


def test_anonymous_request_answers_not_authenticated_with_a_challenge():
    response = ProtectedView.as_view()(factory.get("/protected"))

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.data == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "fields": {},
        }
    }


def test_throttled_request_answers_retry_after():
    response = _get(exceptions.Throttled(wait=42.4))

    assert response.status_code == 429
    assert response["Retry-After"] == "43"  # DRF rounds the wait up, so the header agrees with the message
    assert response.data == {
        "error": {
            "code": "throttled",
            "message": "Request was throttled. Expected available in 43 seconds.",
            "fields": {},
        }
    }


def test_unexpected_exception_answers_500_and_is_logged(caplog):
    with caplog.at_level(logging.ERROR, logger="core.exceptions"):
        response = _get(KeyError("internal detail"))

    assert response.status_code == 500
    assert response.data == {
        "error": {
            "code": "server_error",
            "message": "Something went wrong on our side. It has been logged.",
            "fields": {},
        }
    }
    assert "internal detail" not in str(response.data)
    [record] = [r for r in caplog.records if r.name == "core.exceptions"]
    assert record.getMessage() == "Unhandled error in RaisingView"
    assert record.exc_info[0] is KeyError


# `fields` is always one flat object of lists of messages


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"base": "Too high."}, {"base": ["Too high."]}),
        ({"base": ["Too high.", "Not a number."]}, {"base": ["Too high.", "Not a number."]}),
        ({"months": [{"period": ["Enter YYYYMM."]}, {}]}, {"months.0.period": ["Enter YYYYMM."]}),
        ({"months": {1: ["Not a month."]}}, {"months.1": ["Not a month."]}),
        ({"person": {"name": "Required."}}, {"person.name": ["Required."]}),
    ],
)
def test_application_error_fields_answer_lists_of_messages(fields, expected):
    response = _get(ApplicationError("base_out_of_range", "Base too high.", fields=fields))

    assert response.data["error"]["fields"] == expected


class _Month(serializers.Serializer):
    period = serializers.IntegerField(min_value=199001)


class _Months(serializers.Serializer):
    months = _Month(many=True)
    tags = serializers.ListField(child=serializers.IntegerField())


class NestedView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def post(self, request):
        _Months(data=request.data).is_valid(raise_exception=True)
        return Response({"ok": True})


def test_nested_serializer_errors_are_named_by_their_path():
    response = NestedView.as_view()(
        factory.post("/nested", {"months": [{"period": 202401}, {"period": 1}], "tags": [1, "x"]})
    )

    assert response.status_code == 400
    assert response.data["error"]["fields"] == {
        "months.1.period": ["Ensure this value is greater than or equal to 199001."],
        "tags.1": ["A valid integer is required."],
    }


# Every 429 says when to come back


def test_application_error_429_carries_its_retry_after():
    response = _get(ApplicationError("login_locked", "Locked.", status_code=429, retry_after=90))

    assert response.status_code == 429
    assert response["Retry-After"] == "90"


def test_a_429_with_no_known_wait_still_carries_retry_after():
    for error in (ApplicationError("login_locked", "Locked.", status_code=429), exceptions.Throttled()):
        response = _get(error)

        assert response.status_code == 429
        assert response["Retry-After"] == "60"


def test_a_wait_under_a_second_is_announced_as_one_second():
    response = _get(exceptions.Throttled(wait=0.2))

    assert response["Retry-After"] == "1"


def test_an_answer_that_is_not_429_has_no_retry_after():
    response = _get(ApplicationError("payment_required", "Pay first.", status_code=402, retry_after=5))

    assert "Retry-After" not in response


# Unknown addresses and methods answer the envelope, with DEBUG on too (the local default of `make run`)


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def _envelope(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)["error"]


@pytest.mark.parametrize("path", ["/api/v1/no-such-thing/", "/api/v2/", "/nothing", "/", "/static/none.css"])
def test_unknown_address_answers_json_404(client, debug, path):
    error = _envelope(client.get(path, HTTP_ACCEPT_LANGUAGE="en"), 404)

    assert error == {"code": "not_found", "message": f"No such address: {path}.", "fields": {}}


@pytest.mark.parametrize("method", ["get", "post"])
def test_missing_trailing_slash_answers_json_404_naming_the_address(client, debug, method):
    response = getattr(client, method)("/api/schema", HTTP_ACCEPT_LANGUAGE="en")

    error = _envelope(response, 404)
    assert error["code"] == "not_found"
    assert error["message"] == "No such address: /api/schema. The address ends with a slash: /api/schema/"


@pytest.mark.django_db
def test_unknown_method_answers_json_405(client, debug):
    error = _envelope(client.delete("/api/health", HTTP_ACCEPT_LANGUAGE="en"), 405)

    assert error == {"code": "method_not_allowed", "message": 'Method "DELETE" not allowed.', "fields": {}}


def test_unknown_address_answers_in_chinese_by_default(client, debug):
    error = _envelope(client.get("/api/v1/no-such-thing/"), 404)

    assert error["code"] == "not_found"
    assert error["message"] == "没有这个地址：/api/v1/no-such-thing/。"


def test_json_error_handlers_answer_the_envelope(rf):
    assert _envelope(json_not_found(rf.get("/x"), Http404()), 404)["code"] == "not_found"
    assert _envelope(json_server_error(rf.get("/x")), 500) == {
        "code": "server_error",
        "message": "Something went wrong on our side. It has been logged.",
        "fields": {},
    }
