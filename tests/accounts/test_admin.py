import pytest
from django.test import Client

from accounts.models import AuthToken, Role, User
from accounts.roles import NATIONAL_ADMINISTRATORS, PROVINCIAL_CLERKS
from accounts.services import auth_token_issue
from core.crypto import keyed_hash
from tests.factories import (
    AdministratorFactory,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    ServicePointFactory,
)

# These tests read the admin's English texts.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

ID = "11010519491231002X"
PASSWORD = "a-long-test-passphrase-42"
USERS = "/admin/accounts/user/"


@pytest.fixture
def admin_site() -> Client:
    client = Client()
    client.force_login(AdministratorFactory(username="root"))
    return client


def found(response) -> list[str]:
    return [user.username for user in response.context["cl"].result_list]


def test_admin_finds_a_citizen_by_exact_id_number_in_any_case(admin_site):
    CitizenFactory(username="zhang.san", id_number=ID)
    CitizenFactory(username="li.si")

    assert found(admin_site.get(USERS, {"q": ID})) == ["zhang.san"]
    assert found(admin_site.get(USERS, {"q": ID.lower()})) == ["zhang.san"]


def test_admin_search_by_username_still_works_and_partial_id_numbers_find_nothing(admin_site):
    CitizenFactory(username="zhang.san", id_number=ID)

    assert found(admin_site.get(USERS, {"q": "zhang"})) == ["zhang.san"]
    assert found(admin_site.get(USERS, {"q": ID[:14]})) == []


def test_user_list_shows_the_masked_id_number_and_never_the_ciphertext(admin_site):
    citizen = CitizenFactory(id_number=ID)

    page = admin_site.get(USERS).content.decode()
    change_page = admin_site.get(f"{USERS}{citizen.pk}/change/").content.decode()

    assert "110105********002X" in page
    assert "110105********002X" in change_page
    for content in (page, change_page):
        assert ID not in content
        assert citizen.id_number_ciphertext not in content
        assert citizen.id_number_hash not in content


def test_user_list_filters_by_role_and_province(admin_site):
    AgencyStaffFactory(username="gd", province="44")
    AgencyStaffFactory(username="bj", province="11")

    assert found(admin_site.get(USERS, {"role__exact": "agency_staff", "province__code__exact": "44"})) == [
        "gd"
    ]


def _add(admin_site, **fields):
    data = {"username": "new.user", "usable_password": "true", "password1": PASSWORD, "password2": PASSWORD}
    return admin_site.post(f"{USERS}add/", {**data, **fields})


def test_admin_adds_a_citizen_with_an_encrypted_id_number(admin_site):
    response = _add(admin_site, role="citizen", id_number=ID.lower())

    assert response.status_code == 302
    citizen = User.objects.get(username="new.user")
    assert (citizen.role, citizen.id_number, citizen.id_number_hash) == (Role.CITIZEN, ID, keyed_hash(ID))
    assert ID not in citizen.id_number_ciphertext
    assert citizen.password.startswith("argon2")


def test_admin_adds_agency_staff_bound_to_a_province(admin_site):
    assert _add(admin_site, role="agency_staff", province="44").status_code == 302

    staff = User.objects.get(username="new.user")
    assert (staff.role, staff.province_id, staff.is_staff, staff.is_superuser) == (
        Role.AGENCY_STAFF,
        "44",
        True,
        False,
    )
    assert [group.name for group in staff.groups.all()] == [PROVINCIAL_CLERKS]


def test_admin_added_administrator_can_use_the_admin_site(admin_site):
    assert _add(admin_site, role="administrator").status_code == 302

    admin = User.objects.get(username="new.user")
    assert (admin.is_staff, admin.is_superuser) == (True, False)
    assert [group.name for group in admin.groups.all()] == [NATIONAL_ADMINISTRATORS]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"role": "citizen"}, "id_number", "A citizen account needs an ID number."),
        ({"role": "agency_staff"}, "province", "An agency account needs a province."),
        ({"role": "citizen", "id_number": ID, "province": "11"}, "province", None),
        ({"role": "service_point", "id_number": ID}, "id_number", "Only citizen accounts have an ID number."),
    ],
)
def test_admin_add_form_refuses_a_wrong_binding(admin_site, fields, field, message):
    response = _add(admin_site, **fields)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert not User.objects.filter(username="new.user").exists()


def test_admin_add_form_refuses_a_second_account_for_an_id_number(admin_site):
    CitizenFactory(id_number=ID)

    response = _add(admin_site, role="citizen", id_number=ID)

    assert response.context["adminform"].form.errors["id_number"] == [
        "An account is already registered for this ID number."
    ]
    assert User.objects.filter(role=Role.CITIZEN).count() == 1


def test_role_and_binding_cannot_be_changed_after_creation(admin_site):
    staff = AgencyStaffFactory(username="gd", province="44")

    response = admin_site.post(
        f"{USERS}{staff.pk}/change/",
        {"username": "gd", "role": "administrator", "province": "11", "is_active": "on", "email": "a@b.cn"},
    )

    assert response.status_code == 302
    staff.refresh_from_db()
    assert (staff.role, staff.province_id, staff.is_staff, staff.email) == (
        Role.AGENCY_STAFF,
        "44",
        False,
        "a@b.cn",
    )


def test_auth_tokens_are_read_only_in_the_admin(admin_site):
    staff = AgencyStaffFactory()
    auth_token_issue(user=staff)
    token = AuthToken.objects.get()

    assert admin_site.get("/admin/accounts/authtoken/").status_code == 200
    assert admin_site.get("/admin/accounts/authtoken/add/").status_code == 403
    admin_site.post(f"/admin/accounts/authtoken/{token.pk}/change/", {"expires_at": "2099-01-01 00:00:00"})
    assert AuthToken.objects.get().expires_at == token.expires_at


@pytest.mark.parametrize("factory", [CitizenFactory, AgencySystemFactory, ServicePointFactory])
def test_accounts_outside_the_back_office_cannot_enter_the_admin_site(factory):
    client = Client()
    client.force_login(factory())

    response = client.get(USERS)

    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")
