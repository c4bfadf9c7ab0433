import logging

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.authentication import ExpiringTokenAuthentication
from core.exceptions import ApplicationError, ConflictError, ForbiddenError, NotFoundError
from core.serializers import IdentityNumberField

factory = APIRequestFactory()


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
