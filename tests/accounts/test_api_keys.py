"""Agency systems authenticate with API keys: stored hashed, shown once, rotated with an overlap."""

import datetime
import re

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.services import api_key_issue, api_key_revoke, token_digest
from core.exceptions import ApplicationError
from tests.factories import AdministratorFactory, AgencyStaffFactory, AgencySystemFactory

pytestmark = pytest.mark.django_db

ME = "/api/v1/auth/me"


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def system():
    return AgencySystemFactory(username="gd.system", province="44")


def test_a_key_authenticates_its_system_and_only_its_digest_is_stored(system):
    issued = api_key_issue(user=system)

    response = with_key(issued.key).get(ME)

    assert response.status_code == 200
    assert (response.json()["username"], response.json()["role"]) == ("gd.system", "agency_system")
    stored = ApiKey.objects.get()
    prefix, secret = issued.key.split(".")
    assert (stored.prefix, stored.digest) == (prefix, token_digest(secret))
    assert secret not in str(list(ApiKey.objects.values()))


@pytest.mark.parametrize("key", ["nonsense", "abc.def", ""])
def test_an_unknown_or_malformed_key_is_refused(system, key):
    api_key_issue(user=system)
    response = with_key(key).get(ME)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_right_prefix_with_a_wrong_secret_is_refused(system):
    prefix = api_key_issue(user=system).key.split(".")[0]

    response = with_key(f"{prefix}.not-the-secret").get(ME)

    assert response.json()["error"]["code"] == "authentication_failed"


def test_a_rotation_keeps_the_old_key_working_for_the_overlap_then_ends_it(system, settings):
    settings.API_KEY_ROTATION_OVERLAP = datetime.timedelta(hours=24)
    old = api_key_issue(user=system)
    new = api_key_issue(user=system)

    assert with_key(old.key).get(ME).status_code == 200
    assert with_key(new.key).get(ME).status_code == 200
    old.api_key.refresh_from_db()
    assert old.api_key.expires_at == pytest.approx(
        timezone.now() + datetime.timedelta(hours=24), abs=datetime.timedelta(minutes=1)
    )
    assert ApiKey.objects.get(pk=new.api_key.pk).expires_at is None

    ApiKey.objects.filter(pk=old.api_key.pk).update(expires_at=timezone.now())
    response = with_key(old.key).get(ME)
    assert (response.status_code, response.json()["error"]["code"]) == (401, "api_key_expired")
    assert with_key(new.key).get(ME).status_code == 200


def test_a_revoked_key_is_refused_at_once(system):
    issued = api_key_issue(user=system)
    api_key_revoke(api_key=issued.api_key)

    assert with_key(issued.key).get(ME).json()["error"]["code"] == "api_key_expired"


def test_a_deactivated_systems_key_is_refused(system):
    issued = api_key_issue(user=system)
    system.is_active = False
    system.save()

    assert with_key(issued.key).get(ME).json()["error"]["code"] == "account_disabled"


def test_only_agency_systems_get_keys():
    with pytest.raises(ApplicationError) as refusal:
        api_key_issue(user=AgencyStaffFactory(province="44"))

    assert refusal.value.code == "api_key_role_not_allowed"
    assert not ApiKey.objects.exists()


def test_a_key_is_not_locked_by_wrong_passwords_for_its_system(system, settings, api_client):
    settings.LOGIN_FAILURE_LIMIT = 2
    issued = api_key_issue(user=system)
    for _ in range(5):
        api_client.post("/api/v1/auth/login", {"username": "gd.system", "password": "wrong-password-1"})

    assert with_key(issued.key).get(ME).status_code == 200


def test_the_admin_issues_a_key_shown_once_and_revokes_keys(system, english):
    admin_site = Client()
    admin_site.force_login(AdministratorFactory(username="root"))

    response = admin_site.post("/admin/accounts/apikey/add/", {"user": system.pk}, follow=True)

    shown = [str(message) for message in response.context["messages"]]
    key = re.search(r"shown only now: (\S+)", shown[0]).group(1)
    assert with_key(key).get(ME).status_code == 200
    assert ApiKey.objects.count() == 1
    # Later pages never show it again.
    page = admin_site.get(f"/admin/accounts/apikey/{ApiKey.objects.get().pk}/change/")
    assert key.split(".")[1] not in page.content.decode()

    admin_site.post(
        "/admin/accounts/apikey/",
        {"action": "revoke", "_selected_action": [ApiKey.objects.get().pk]},
    )
    assert with_key(key).get(ME).json()["error"]["code"] == "api_key_expired"


def test_the_admin_offers_only_agency_systems(system):
    admin_site = Client()
    admin_site.force_login(AdministratorFactory(username="root"))
    staff = AgencyStaffFactory(province="44")

    response = admin_site.post("/admin/accounts/apikey/add/", {"user": staff.pk})

    assert response.status_code == 200  # the form again, with its error
    assert not ApiKey.objects.exists()
