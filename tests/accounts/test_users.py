import threading

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from accounts.models import AuthToken, Role, User
from accounts.services import (
    administrator_create,
    agency_staff_create,
    agency_system_create,
    citizen_create,
    service_point_create,
    user_create,
)
from core.crypto import keyed_hash
from core.exceptions import ApplicationError, ConflictError
from tests.factories import (
    AdministratorFactory,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    ServicePointFactory,
    make_id_number,
)

pytestmark = pytest.mark.django_db

ID = "11010519491231002X"
PASSWORD = "a-long-test-passphrase-42"


def test_citizen_create_binds_the_encrypted_id_number_and_hashes_the_password_with_argon2():
    citizen = citizen_create(username="zhang.san", password=PASSWORD, id_number="11010519491231002x")

    citizen.refresh_from_db()
    assert citizen.role == Role.CITIZEN
    assert citizen.province is None
    assert citizen.id_number == ID
    assert citizen.id_number_masked == "110105********002X"
    assert citizen.id_number_hash == keyed_hash(ID)
    assert ID not in citizen.id_number_ciphertext
    assert citizen.password.startswith("argon2")
    assert check_password(PASSWORD, citizen.password)
    assert (citizen.is_staff, citizen.is_superuser) == (False, False)


def test_second_account_for_the_same_id_number_is_refused():
    citizen_create(username="first", password=PASSWORD, id_number=ID)

    with pytest.raises(ConflictError) as refused:
        citizen_create(username="second", password=PASSWORD, id_number=ID.lower())

    assert refused.value.code == "citizen_already_registered"
    assert refused.value.status_code == 409
    assert list(User.objects.values_list("username", flat=True)) == ["first"]


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("11010519491231002Y", "id_number_format"),
        ("99010519491231002X", "id_number_province"),
        ("110105194912310021", "id_number_checksum"),
        ("", "id_number_required"),
    ],
)
def test_citizen_with_an_invalid_id_number_is_refused(id_number, code):
    with pytest.raises(ApplicationError) as refused:
        citizen_create(username="zhang.san", password=PASSWORD, id_number=id_number)

    assert refused.value.code == code
    assert list(refused.value.fields) == ["id_number"]
    assert not User.objects.exists()


def test_agency_staff_and_system_are_bound_to_their_province():
    staff = agency_staff_create(username="gd.staff", password=PASSWORD, province_code="44")
    system = agency_system_create(username="gd.system", password=PASSWORD, province_code="44")

    assert (staff.role, staff.province_id, staff.id_number_hash) == (Role.AGENCY_STAFF, "44", None)
    assert (system.role, system.province_id, system.id_number_hash) == (Role.AGENCY_SYSTEM, "44", None)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"role": Role.AGENCY_STAFF}, "province_required"),
        ({"role": Role.AGENCY_SYSTEM, "province_code": "99"}, "province_unknown"),
        ({"role": Role.SERVICE_POINT, "province_code": "44"}, "province_not_allowed"),
        ({"role": Role.CITIZEN, "id_number": ID, "province_code": "11"}, "province_not_allowed"),
        ({"role": Role.AGENCY_STAFF, "province_code": "44", "id_number": ID}, "id_number_not_allowed"),
        ({"role": Role.ADMINISTRATOR, "id_number": ID}, "id_number_not_allowed"),
        ({"role": "superhero"}, "role_unknown"),
    ],
)
def test_a_role_with_the_wrong_binding_is_refused(kwargs, code):
    with pytest.raises(ApplicationError) as refused:
        user_create(username="someone", password=PASSWORD, **kwargs)

    assert refused.value.code == code
    assert not User.objects.exists()


def test_service_point_and_administrator_have_no_binding_and_the_administrator_is_staff_not_superuser():
    point = service_point_create(username="hall.7", password=PASSWORD)
    admin = administrator_create(username="root", password=PASSWORD)

    assert (point.role, point.province_id, point.is_staff, point.is_superuser) == (
        Role.SERVICE_POINT,
        None,
        False,
        False,
    )
    assert (admin.role, admin.province_id, admin.is_staff, admin.is_superuser) == (
        Role.ADMINISTRATOR,
        None,
        True,
        False,
    )


def test_username_taken_ignoring_case_is_refused():
    service_point_create(username="Hall.7", password=PASSWORD)

    with pytest.raises(ConflictError) as refused:
        citizen_create(username="hall.7", password=PASSWORD, id_number=ID)

    assert refused.value.code == "username_taken"
    assert User.objects.count() == 1


def test_weak_password_is_refused_with_the_validators_messages():
    with pytest.raises(ApplicationError) as refused:
        service_point_create(username="hall.7", password="123")

    assert refused.value.code == "password_too_weak"
    assert (
        "This password is too short. It must contain at least 10 characters."
        in (refused.value.fields["password"])
    )
    assert not User.objects.exists()


def test_createsuperuser_creates_an_administrator(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)

    call_command("createsuperuser", "--noinput", username="root", email="root@example.cn")

    root = User.objects.get(username="root")
    assert (root.role, root.is_staff, root.is_superuser, root.province_id, root.id_number_hash) == (
        Role.ADMINISTRATOR,
        True,
        True,
        None,
        None,
    )
    assert root.password.startswith("argon2")


@pytest.mark.usefixtures("english")
def test_superuser_with_another_role_is_refused():
    with pytest.raises(ValueError, match="administrator role"):
        User.objects.create_superuser("root", "root@example.cn", PASSWORD, role=Role.SERVICE_POINT)

    assert not User.objects.exists()


def _violates(constraint: str, **fields) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        User.objects.create(username="bad", **fields)


def test_constraint_citizen_is_bound_to_an_id_number():
    _violates("citizen_is_bound_to_an_id_number", role=Role.CITIZEN)
    assert not User.objects.exists()


def test_constraint_only_citizens_have_an_id_number():
    _violates("only_citizens_have_an_id_number", role=Role.SERVICE_POINT, id_number=ID)
    assert not User.objects.exists()


@pytest.mark.parametrize("role", [Role.AGENCY_STAFF, Role.AGENCY_SYSTEM])
def test_constraint_provincial_roles_have_a_province(role):
    _violates("provincial_roles_have_a_province", role=role)
    assert not User.objects.exists()


@pytest.mark.parametrize("role", [Role.SERVICE_POINT, Role.ADMINISTRATOR])
def test_constraint_only_provincial_roles_have_a_province(role):
    _violates("only_provincial_roles_have_a_province", role=role, province_id="11")
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("role", "binding"),
    [
        (Role.CITIZEN, {"id_number": ID}),
        (Role.SERVICE_POINT, {}),
        (Role.AGENCY_SYSTEM, {"province_id": "11"}),
    ],
)
def test_constraint_only_back_office_roles_are_staff(role, binding):
    _violates("only_back_office_roles_are_staff", role=role, is_staff=True, **binding)
    assert not User.objects.exists()


@pytest.mark.parametrize("role", [Role.SERVICE_POINT, Role.AGENCY_STAFF])
def test_constraint_only_administrators_are_superusers(role):
    binding = {"province_id": "11"} if role == Role.AGENCY_STAFF else {}
    _violates("only_administrators_are_superusers", role=role, is_staff=True, is_superuser=True, **binding)
    assert not User.objects.exists()


def test_constraint_one_account_per_id_number():
    CitizenFactory(id_number=ID)

    with pytest.raises(IntegrityError, match="id_number_hash"), transaction.atomic():
        CitizenFactory(id_number=ID)
    assert User.objects.count() == 1


def test_factories_build_valid_users_of_every_role():
    users = [
        CitizenFactory(),
        CitizenFactory(id_number=make_id_number(province="44", sex="F", sequence=3)),
        AgencyStaffFactory(province="44"),
        AgencySystemFactory(),
        ServicePointFactory(),
        AdministratorFactory(),
    ]

    assert [(u.role, u.province_id) for u in users] == [
        (Role.CITIZEN, None),
        (Role.CITIZEN, None),
        (Role.AGENCY_STAFF, "44"),
        (Role.AGENCY_SYSTEM, "11"),
        (Role.SERVICE_POINT, None),
        (Role.ADMINISTRATOR, None),
    ]
    assert users[1].id_number == "440101198001010084"
    assert not AuthToken.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_registrations_for_one_id_number_leave_one_account():
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def register(username: str) -> None:
        barrier.wait()
        try:
            citizen_create(username=username, password=PASSWORD, id_number=ID)
            outcomes.append("created")
        except ConflictError as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["citizen_already_registered", "created"]
    assert User.objects.filter(id_number_hash=keyed_hash(ID)).count() == 1
