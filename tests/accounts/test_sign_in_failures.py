"""Failed sign-ins are counted per account and address (a lockout) and per account (a slowdown), in
PostgreSQL: nobody can lock another person out, and signing in works with the cache down."""

import datetime

import pytest
from django.test import override_settings
from django.utils import timezone

from accounts.models import AuthToken, SignInFailures
from accounts.services import sign_in_failures_delete_expired
from tests.factories import DEFAULT_PASSWORD, AgencyStaffFactory

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    }
}


@pytest.fixture
def staff():
    return AgencyStaffFactory(username="gd.staff", province="44")


def login(api_client, address: str, password: str = DEFAULT_PASSWORD, username: str = "gd.staff"):
    return api_client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def code(response) -> str:
    return response.json()["error"]["code"]


def _last_attempt_just_now() -> None:
    """The delay counts from the last attempt's start, before its password hash: on a loaded machine the
    hash alone can outlast a one- or two-second delay, so the test takes the hash's time out."""
    SignInFailures.objects.update(last_attempt_at=timezone.now())


def test_wrong_passwords_lock_out_their_address_only_and_the_right_password_works_elsewhere(
    api_client, staff, settings
):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert code(login(api_client, ATTACKER, "wrong-password-123")) == "invalid_credentials"

    locked = login(api_client, ATTACKER)
    elsewhere = login(api_client, OWNER)

    assert (locked.status_code, code(locked)) == (429, "login_locked")
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert elsewhere.status_code == 200
    assert AuthToken.objects.filter(user=staff).count() == 1


def test_past_the_account_ceiling_sign_ins_are_slowed_not_locked(api_client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_ACCOUNT_FAILURE_CEILING = 4
    settings.LOGIN_SLOWDOWN_BASE = datetime.timedelta(seconds=2)
    # Many addresses, each under its own limit: together past the account's ceiling.
    for n in range(4):
        assert code(login(api_client, f"192.0.2.{n}", "wrong-password-123")) == "invalid_credentials"
    _last_attempt_just_now()

    slowed = login(api_client, OWNER)

    assert (slowed.status_code, code(slowed)) == (429, "login_slowed")
    assert int(slowed.headers["Retry-After"]) == 2
    assert not AuthToken.objects.exists()
    # Once the delay has passed, the right password works: slower, never locked.
    SignInFailures.objects.update(last_attempt_at=timezone.now() - datetime.timedelta(seconds=3))
    assert login(api_client, OWNER).status_code == 200


def test_the_delay_past_the_ceiling_doubles_up_to_its_maximum(api_client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 100
    settings.LOGIN_ACCOUNT_FAILURE_CEILING = 1
    settings.LOGIN_SLOWDOWN_BASE = datetime.timedelta(seconds=1)
    settings.LOGIN_SLOWDOWN_MAX = datetime.timedelta(seconds=5)
    waits = []
    for _ in range(5):
        login(api_client, ATTACKER, "wrong-password-123")
        _last_attempt_just_now()
        response = login(api_client, ATTACKER, "wrong-password-123")
        waits.append(int(response.headers["Retry-After"]))
        SignInFailures.objects.update(last_attempt_at=timezone.now() - datetime.timedelta(seconds=60))

    assert waits == [1, 2, 4, 5, 5]


def test_a_successful_sign_in_does_not_count_against_the_account(api_client, staff, settings):
    settings.LOGIN_ACCOUNT_FAILURE_CEILING = 3
    for _ in range(10):
        assert login(api_client, OWNER).status_code == 200


def test_sign_in_and_its_lockout_work_with_the_cache_unreachable(api_client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    with override_settings(CACHES=UNREACHABLE_CACHE):
        assert login(api_client, OWNER).status_code == 200
        login(api_client, ATTACKER, "wrong-password-123")
        login(api_client, ATTACKER, "wrong-password-123")
        locked = login(api_client, ATTACKER)

    assert (locked.status_code, code(locked)) == (429, "login_locked")


def test_counts_keep_no_name_or_address_and_expired_ones_are_forgotten(api_client, staff, settings):
    login(api_client, ATTACKER, "wrong-password-123")
    keys = list(SignInFailures.objects.values_list("key", flat=True))
    assert len(keys) == 2
    assert not any("gd.staff" in key or ATTACKER in key for key in keys)

    assert sign_in_failures_delete_expired(now=timezone.now() + datetime.timedelta(hours=2)) == 2
    assert not SignInFailures.objects.exists()
