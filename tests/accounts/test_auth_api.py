import datetime

import pytest
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from accounts.models import AuthToken, SignInFailures
from accounts.services import auth_token_issue, auth_token_verify, token_digest, user_login
from accounts.tasks import delete_expired_auth_tokens
from core.exceptions import ApplicationError
from tests.factories import (
    DEFAULT_PASSWORD,
    AgencyStaffFactory,
    CitizenFactory,
    authenticated_client,
)

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


def login(client: APIClient, username: str, password: str = DEFAULT_PASSWORD, **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def error_code(response) -> str:
    return response.json()["error"]["code"]


@pytest.fixture
def staff():
    return AgencyStaffFactory(username="gd.staff", province="44")


# Signing in


def test_login_returns_a_token_that_expires_after_the_configured_ttl(api_client, staff, settings):
    settings.AUTH_TOKEN_TTL = datetime.timedelta(hours=2)
    before = timezone.now()

    response = login(api_client, "gd.staff")

    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"username": "gd.staff", "role": "agency_staff", "province": "44"}
    token = AuthToken.objects.get()
    assert token.digest == token_digest(body["token"])
    assert token.user == staff
    assert (
        before + datetime.timedelta(hours=2)
        <= token.expires_at
        <= timezone.now() + datetime.timedelta(hours=2)
    )
    assert datetime.datetime.fromisoformat(body["expires_at"]) == token.expires_at
    staff.refresh_from_db()
    assert staff.last_login is not None


def test_only_the_digest_of_the_token_is_stored(api_client, staff):
    token = login(api_client, "gd.staff").json()["token"]

    assert list(AuthToken.objects.values_list("digest", flat=True)) == [token_digest(token)]
    assert token not in token_digest(token)


@pytest.mark.parametrize(("username", "password"), [("gd.staff", "wrong-password-123"), ("nobody", "x")])
def test_wrong_password_and_unknown_user_are_refused_alike(api_client, staff, username, password):
    response = login(api_client, username, password, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "invalid_credentials",
            "message": "The username or password is wrong.",
            "fields": {},
        }
    }
    assert not AuthToken.objects.exists()


def test_inactive_user_cannot_sign_in(api_client):
    AgencyStaffFactory(username="gone", is_active=False)

    response = login(api_client, "gone")

    assert response.status_code == 401
    assert error_code(response) == "invalid_credentials"
    assert not AuthToken.objects.exists()


def test_login_without_password_is_invalid(api_client):
    response = api_client.post(LOGIN, {"username": "gd.staff"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "invalid",
        "message": "The request has invalid fields.",
        "fields": {"password": ["This field is required."]},
    }


def test_login_ignores_a_stale_token_sent_along(api_client, staff):
    api_client.credentials(HTTP_AUTHORIZATION="Bearer no-longer-valid")

    assert login(api_client, "gd.staff").status_code == 200


# Lockout


def test_login_is_locked_after_the_failure_limit_even_with_the_right_password(api_client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(3):
        assert error_code(login(api_client, "gd.staff", "wrong-password-123")) == "invalid_credentials"

    response = login(api_client, "gd.staff")
    english = api_client.post(
        LOGIN, {"username": "gd.staff", "password": DEFAULT_PASSWORD}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == english.status_code == 429
    # The lockout's wait, in seconds, as the header every 429 carries.
    assert 15 * 60 - 5 <= int(response.headers["Retry-After"]) <= 15 * 60
    error = response.json()["error"]
    assert error["code"] == english.json()["error"]["code"] == "login_locked"
    assert error["message"].startswith("登录失败次数过多。请在 15 分钟后（")
    assert english.json()["error"]["message"].startswith(
        "Too many failed sign-in attempts. Try again in 15 minutes, after "
    )
    assert not AuthToken.objects.exists()


def test_lockout_counts_names_ignoring_case_and_works_for_unknown_names(api_client, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    login(api_client, "Ghost", "x")
    login(api_client, " ghost ", "x")

    assert error_code(login(api_client, "GHOST", "x")) == "login_locked"
    assert error_code(login(api_client, "other", "x")) == "invalid_credentials"


def test_lockout_holds_for_guesses_sent_at_once(staff, settings, monkeypatch):
    settings.LOGIN_FAILURE_LIMIT = 3
    checked = []

    def slow_authenticate(*, username, password):
        checked.append(password)
        if len(checked) == 1:
            # Five more guesses arrive while the first password is still being hashed.
            for number in range(5):
                with pytest.raises(ApplicationError):
                    user_login(username="gd.staff", password=f"guess-{number}", client_address="127.0.0.1")
        return None

    monkeypatch.setattr("accounts.services.authenticate", slow_authenticate)
    with pytest.raises(ApplicationError):
        user_login(username="gd.staff", password="first-guess", client_address="127.0.0.1")

    assert checked == ["first-guess", "guess-0", "guess-1"]
    with pytest.raises(ApplicationError) as refusal:
        user_login(username="gd.staff", password=DEFAULT_PASSWORD, client_address="127.0.0.1")
    assert refusal.value.code == "login_locked"
    assert not AuthToken.objects.exists()


def _sign_in_failures_age(by: datetime.timedelta) -> None:
    """Time passes for the failure counts (PostgreSQL rows): a real wait would race the password hash,
    which on a loaded machine takes longer than a short lockout."""
    SignInFailures.objects.update(
        window_started_at=F("window_started_at") - by,
        last_attempt_at=F("last_attempt_at") - by,
        locked_until=F("locked_until") - by,
    )


def test_lockout_lifts_after_the_lockout_window(api_client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_LOCKOUT = datetime.timedelta(minutes=10)
    login(api_client, "gd.staff", "wrong-password-123")
    login(api_client, "gd.staff", "wrong-password-123")
    assert error_code(login(api_client, "gd.staff")) == "login_locked"

    _sign_in_failures_age(datetime.timedelta(minutes=9))
    assert error_code(login(api_client, "gd.staff")) == "login_locked"
    _sign_in_failures_age(datetime.timedelta(minutes=1, seconds=1))

    assert login(api_client, "gd.staff").status_code == 200


def test_successful_login_resets_the_failure_count(api_client, staff, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    login(api_client, "gd.staff", "wrong-password-123")
    login(api_client, "gd.staff", "wrong-password-123")
    assert login(api_client, "gd.staff").status_code == 200

    login(api_client, "gd.staff", "wrong-password-123")
    login(api_client, "gd.staff", "wrong-password-123")

    assert login(api_client, "gd.staff").status_code == 200


def test_login_is_throttled_per_client(api_client, staff, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "2/min")
    login(api_client, "gd.staff")
    login(api_client, "gd.staff")

    response = login(api_client, "gd.staff")

    assert response.status_code == 429
    assert error_code(response) == "throttled"
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert AuthToken.objects.count() == 2


def test_login_throttle_ignores_a_client_supplied_forwarded_for_address(api_client, staff, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "login", "2/min")
    for address in ("203.0.113.1", "203.0.113.2"):
        api_client.post(
            LOGIN, {"username": "gd.staff", "password": DEFAULT_PASSWORD}, HTTP_X_FORWARDED_FOR=address
        )

    response = api_client.post(
        LOGIN, {"username": "gd.staff", "password": DEFAULT_PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.3"
    )

    assert response.status_code == 429
    assert error_code(response) == "throttled"
    assert AuthToken.objects.count() == 2


# Token authentication


def test_me_describes_a_citizen_with_the_masked_id_number():
    citizen = CitizenFactory(username="zhang.san", id_number="11010519491231002X")

    response = authenticated_client(citizen).get(ME)

    assert response.status_code == 200
    assert response.json() == {
        "username": "zhang.san",
        "role": "citizen",
        "province": None,
        "id_number_masked": "110105********002X",
    }


def test_me_describes_agency_staff_with_the_province_code(staff):
    response = authenticated_client(staff).get(ME)

    assert response.json() == {
        "username": "gd.staff",
        "role": "agency_staff",
        "province": "44",
        "id_number_masked": None,
    }


def test_token_keyword_is_accepted_as_well_as_bearer(staff):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {auth_token_issue(user=staff).token}")

    assert client.get(ME).status_code == 200


def test_me_without_a_token_is_not_authenticated(api_client):
    response = api_client.get(ME)

    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.parametrize("header", ["Bearer unknown-token", "Bearer", "Bearer two parts"])
def test_unknown_or_malformed_token_is_refused(api_client, header):
    api_client.credentials(HTTP_AUTHORIZATION=header)

    response = api_client.get(ME)

    assert response.status_code == 401
    assert error_code(response) == "authentication_failed"


def test_expired_token_is_refused_as_expired(staff):
    client = authenticated_client(staff)
    AuthToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = client.get(ME, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 401
    assert response.json()["error"] == {
        "code": "token_expired",
        "message": "The token has expired: sign in again.",
        "fields": {},
    }


def test_token_of_a_deactivated_user_is_refused(staff):
    client = authenticated_client(staff)
    staff.is_active = False
    staff.save()

    response = client.get(ME)

    assert response.status_code == 401
    assert error_code(response) == "account_disabled"


def _stored_values(instance) -> dict:
    return {field.attname: getattr(instance, field.attname) for field in instance._meta.concrete_fields}


def test_a_token_is_verified_with_its_user_in_one_query(staff, django_assert_num_queries):
    issued = auth_token_issue(user=staff)

    with django_assert_num_queries(1):
        auth_token = auth_token_verify(token=issued.token)
        user = auth_token.user

    stored = AuthToken.objects.select_related("user").get(digest=token_digest(issued.token))
    assert _stored_values(auth_token) == _stored_values(stored)
    assert _stored_values(user) == _stored_values(stored.user)
    assert (user.pk, user.role, user.province_id) == (staff.pk, "agency_staff", "44")


def test_logout_revokes_only_the_current_token(staff):
    client = authenticated_client(staff)
    other = auth_token_issue(user=staff)

    response = client.post(LOGOUT)

    assert response.status_code == 204
    assert list(AuthToken.objects.values_list("digest", flat=True)) == [token_digest(other.token)]
    assert error_code(client.get(ME)) == "authentication_failed"


def test_cleanup_task_deletes_only_expired_tokens(staff):
    citizen = CitizenFactory()
    auth_token_issue(user=staff)
    kept = auth_token_issue(user=citizen)
    AuthToken.objects.filter(user=staff).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    assert delete_expired_auth_tokens.apply().get() == 1
    assert delete_expired_auth_tokens.apply().get() == 0
    assert list(AuthToken.objects.values_list("digest", flat=True)) == [token_digest(kept.token)]


def test_cleanup_is_scheduled_hourly_in_the_database_beat_scheduler():
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="accounts.delete_expired_auth_tokens")

    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "hours")
