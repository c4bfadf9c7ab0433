import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.db.models import Q

from accounts.models import Role, User
from accounts.scope import Scope
from core.exceptions import ForbiddenError
from insurance.models import InsuredPerson, Scheme
from tests.factories import (
    AdministratorFactory,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    ServicePointFactory,
    make_id_number,
    open_relationship,
    register_person,
)

pytestmark = pytest.mark.django_db

NOTHING = Q(pk__in=[])
# The user table has both kinds of field a person table has, so the scope can be run against it.
USER_FIELDS = {"id_hash_field": "id_number_hash", "province_field": "province"}


def test_citizen_sees_only_the_person_with_their_id_number_hash():
    citizen = CitizenFactory()
    scope = Scope.of(citizen)

    assert scope == Scope(role=Role.CITIZEN, id_number_hash=citizen.id_number_hash)
    assert scope.persons_filter() == Q(id_number_hash=citizen.id_number_hash)
    assert scope.persons_filter(id_hash_field="person__id_number_hash") == Q(
        person__id_number_hash=citizen.id_number_hash
    )


@pytest.mark.parametrize("factory", [AgencyStaffFactory, AgencySystemFactory])
def test_agency_users_see_people_with_a_relationship_in_their_province(factory):
    scope = Scope.of(factory(province="44"))

    assert scope.persons_filter() == Q(relationships__province="44")
    assert scope.persons_filter(province_field="person__relationships__province") == Q(
        person__relationships__province="44"
    )


def test_service_point_sees_no_person():
    assert Scope.of(ServicePointFactory()).persons_filter() == NOTHING


def test_administrator_sees_everyone():
    assert Scope.of(AdministratorFactory()).persons_filter() == Q()


@pytest.mark.parametrize("user", [AnonymousUser(), User(role=Role.ADMINISTRATOR, is_active=False)])
def test_anonymous_and_disabled_users_see_nothing(user):
    scope = Scope.of(user)

    assert scope == Scope(role=None)
    assert scope.persons_filter() == NOTHING
    assert scope.allows_province("11") is False


def test_filter_persons_applies_the_scope_to_a_queryset():
    citizen = CitizenFactory()
    staff_44 = AgencyStaffFactory(province="44")
    AgencySystemFactory(province="44")
    AgencyStaffFactory(province="11")
    admin = AdministratorFactory()

    def visible(user):
        return set(Scope.of(user).filter_persons(User.objects.all(), **USER_FIELDS))

    assert visible(citizen) == {citizen}
    assert visible(staff_44) == set(User.objects.filter(province="44"))
    assert len(visible(staff_44)) == 2
    assert visible(ServicePointFactory()) == set()
    assert visible(admin) == set(User.objects.all())


def test_filter_persons_keeps_the_callers_other_conditions():
    staff = AgencyStaffFactory(province="44", is_active=True)
    AgencyStaffFactory(province="44", is_active=False)

    visible = Scope.of(staff).filter_persons(User.objects.filter(is_active=True), **USER_FIELDS)

    assert list(visible) == [staff]


def test_agency_users_act_only_for_their_own_province():
    scope = Scope.of(AgencyStaffFactory(province="44"))

    assert scope.allows_province("44") is True
    assert scope.allows_province("11") is False
    scope.require_province("44")
    with pytest.raises(ForbiddenError) as refused:
        scope.require_province("11")
    assert (refused.value.code, refused.value.status_code) == ("province_out_of_scope", 403)


def test_administrator_acts_for_every_province():
    scope = Scope.of(AdministratorFactory())

    assert scope.allows_province("11") is True
    assert scope.allows_province("65") is True


@pytest.mark.parametrize("factory", [CitizenFactory, ServicePointFactory])
def test_citizens_and_service_points_act_for_no_province(factory):
    scope = Scope.of(factory())

    assert scope.allows_province("11") is False
    with pytest.raises(ForbiddenError):
        scope.require_province("11")


def test_scope_is_frozen():
    scope = Scope.of(AgencyStaffFactory(province="44"))

    with pytest.raises(AttributeError):
        scope.province_code = "11"


def _visible_through_sql(user) -> set:
    condition = Scope.of(user).persons_sql("person")
    if condition is None:
        return set()
    sql, params = condition
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT person.id FROM insurance_insuredperson person WHERE {sql}", params)
        return set(InsuredPerson.objects.filter(pk__in=[row[0] for row in cursor.fetchall()]))


def test_the_sql_condition_shows_each_user_the_same_people_as_the_queryset_filter():
    beijing = register_person(id_number=make_id_number(province="11", sequence=1), name="张一")
    open_relationship(person=beijing, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202001)
    # One relationship in Guangdong, two in Beijing: seen once by each agency.
    moved = register_person(id_number=make_id_number(province="44", sequence=2), name="李二")
    for scheme, province in (
        (Scheme.EMPLOYEE_PENSION, "44"),
        (Scheme.EMPLOYEE_MEDICAL, "11"),
        (Scheme.UNEMPLOYMENT, "11"),
    ):
        open_relationship(person=moved, scheme=scheme, province_id=province, opened_period=202001)
    register_person(id_number=make_id_number(province="31", sequence=3), name="王三")  # no relationship
    users = [
        CitizenFactory(id_number=beijing.id_number),
        CitizenFactory(id_number=make_id_number(province="31", sequence=9)),  # no record
        AgencyStaffFactory(province="11"),
        AgencySystemFactory(province="44"),
        AgencyStaffFactory(province="65"),
        ServicePointFactory(),
        AdministratorFactory(),
        AnonymousUser(),
    ]

    for user in users:
        expected = set(Scope.of(user).filter_persons(InsuredPerson.objects.all()))
        assert _visible_through_sql(user) == expected, user
    assert _visible_through_sql(users[2]) == {beijing, moved}
    assert _visible_through_sql(users[0]) == {beijing}
