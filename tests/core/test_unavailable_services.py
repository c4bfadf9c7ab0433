"""The cache or the broker unreachable is a 503 with its own code, never a 500 (core.exceptions)."""

import pytest
import redis
from kombu.exceptions import OperationalError

from core.exceptions import api_exception_handler


@pytest.mark.parametrize(
    "error",
    [
        redis.ConnectionError("Error 111 connecting"),
        redis.TimeoutError("Timeout"),
        OperationalError("broker"),
    ],
)
def test_an_unreachable_cache_or_broker_is_answered_503_service_unavailable(error):
    response = api_exception_handler(error, {"view": None})

    assert response.status_code == 503
    assert response.data["error"]["code"] == "service_unavailable"
    assert response["Retry-After"] == "60"


def test_any_other_failure_is_still_a_logged_500():
    assert api_exception_handler(RuntimeError("bug"), {"view": None}).status_code == 500
