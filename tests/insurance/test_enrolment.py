"""Enrolment (参保登记), registration with enrolment, suspension and resumption, through the API."""

import datetime
from decimal import Decimal

import pytest

from core.models import Channel, StateEvent
from core.states import Actor, events_of
from insurance.models import (
    ContributionRecord,
    InsuranceRelationship,
    InsuredPerson,
    RelationshipStatus,
    Scheme,
)
from insurance.services.contributions import ContributionMonth
from insurance.states import RELATIONSHIP_STATES
from tests.factories import (
    EMPLOYER_CODE,
    AgencyStaffFactory,
    authenticated_client,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def beijing_staff():
    return AgencyStaffFactory(province="11")


@pytest.fixture
def guangdong_staff():
    return AgencyStaffFactory(province="44")


def _enrol(staff, **body):
    data = {"scheme": "EP", "start_period": "202401", **body}
    return authenticated_client(staff).post("/api/v1/agency/enrolments", data, format="json")


def _everything() -> tuple:
    return (
        list(InsuranceRelationship.objects.values_list("pk", "status", "province_id").order_by("pk")),
        StateEvent.objects.count(),
    )


def test_an_agency_enrols_a_registered_person_in_its_province_with_an_event(beijing_staff, person, employer):
    response = _enrol(beijing_staff, id_number=person.id_number, employer_code=EMPLOYER_CODE)

    assert response.status_code == 201
    body = response.json()
    assert (body["scheme"], body["province"], body["status"], body["employer"]) == (
        "EP",
        "11",
        "paying",
        EMPLOYER_CODE,
    )
    assert (body["opened_period"], body["is_temporary_account"]) == (202401, False)
    (event,) = events_of(entity=InsuranceRelationship, object_id=body["id"])
    assert (event.from_state, event.to_state, event.channel, event.actor_id, event.person_id) == (
        "",
        "paying",
        Channel.API,
        beijing_staff.pk,
        person.pk,
    )


def test_a_flexible_worker_is_enrolled_without_an_employer(beijing_staff, person):
    response = _enrol(beijing_staff, id_number=person.id_number)

    assert response.status_code == 201
    assert response.json()["employer"] is None


def test_paying_in_another_province_is_refused_naming_it_and_nothing_is_written(guangdong_staff, person):
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202001)
    before = _everything()

    response = _enrol(guangdong_staff, id_number=person.id_number)

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["fields"]["province"]) == ("relationship_paying_elsewhere", ["11"])
    assert _everything() == before


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        ({"start_period": "198912"}, "period_too_early", 400),
        ({"start_period": "209901"}, "period_in_future", 400),
        ({"start_period": "202413"}, "period_format", 400),
        (
            {"employer_code": "91110000600037341L", "id_number": make_id_number(province="31")},
            "person_not_found",
            404,
        ),
    ],
)
def test_enrolment_refusals_have_their_codes_and_write_nothing(beijing_staff, person, body, code, status):
    before = _everything()

    response = _enrol(beijing_staff, **{"id_number": person.id_number, **body})

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert _everything() == before


def test_enrolling_a_deceased_person_is_refused(beijing_staff, person):
    person.status, person.date_of_death = "deceased", datetime.date(2023, 1, 1)
    person.save()

    response = _enrol(beijing_staff, id_number=person.id_number)

    assert (response.status_code, response.json()["error"]["code"]) == (409, "person_deceased")


def test_re_enrolling_in_a_province_left_earlier_opens_a_new_relationship_there(beijing_staff, person):
    left = open_relationship(
        person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=201501
    )
    RELATIONSHIP_STATES.move(left.pk, to=RelationshipStatus.TRANSFERRED_OUT, actor=Actor.periodic("test"))

    response = _enrol(beijing_staff, id_number=person.id_number, start_period="202401")

    assert response.status_code == 201
    assert list(
        InsuranceRelationship.objects.filter(person=person)
        .order_by("pk")
        .values_list("status", "opened_period")
    ) == [("transferred_out", 201501), ("paying", 202401)]


def test_an_older_worker_away_from_the_hukou_province_is_enrolled_in_a_temporary_account(guangdong_staff):
    man = register_person(
        id_number=make_id_number(province="11", birth_date=datetime.date(1970, 1, 1)), name="赵六"
    )
    beijing = open_relationship(
        person=man, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=200001
    )
    RELATIONSHIP_STATES.move(
        beijing.pk,
        to=RelationshipStatus.SUSPENDED,
        actor=Actor.periodic("test"),
        values={"closed_period": 202401},
    )

    temporary = _enrol(guangdong_staff, id_number=man.id_number)
    InsuranceRelationship.objects.filter(pk=temporary.json()["id"]).delete()
    approved = _enrol(guangdong_staff, id_number=man.id_number, approved_transfer=True)

    assert temporary.json()["is_temporary_account"] is True
    assert approved.json()["is_temporary_account"] is False


def test_a_batch_is_enrolled_whole_or_not_at_all(beijing_staff, configured_years):
    people = [register_person(id_number=make_id_number(sequence=n), name=f"人{n}") for n in range(3)]
    open_relationship(
        person=people[2], scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202001
    )
    client = authenticated_client(beijing_staff)
    items = [{"id_number": p.id_number, "scheme": "EP", "start_period": "202401"} for p in people]
    before = _everything()

    refused = client.post("/api/v1/agency/enrolments/batch", {"enrolments": items}, format="json")
    after_refusal = _everything()
    accepted = client.post("/api/v1/agency/enrolments/batch", {"enrolments": items[:2]}, format="json")

    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "batch_refused"
    assert list(error["fields"]) == ["enrolments[2].scheme"]
    assert error["fields"]["enrolments[2].scheme"][0].startswith("relationship_paying_elsewhere:")
    assert after_refusal == before
    assert accepted.status_code == 201
    assert [row["province"] for row in accepted.json()] == ["11", "11"]


def test_suspension_and_resumption_are_moves_with_events(beijing_staff, paying_person):
    relationship = paying_person.relationships.get()
    client = authenticated_client(beijing_staff)
    base = f"/api/v1/agency/persons/{paying_person.pk}/relationships/{relationship.pk}"

    too_early = client.post(f"{base}/suspend", {"period": "202403"}, format="json")
    suspended = client.post(f"{base}/suspend", {"period": "202404", "reason": "Left the job"}, format="json")
    resumed_too_early = client.post(f"{base}/resume", {"period": "202403"}, format="json")
    resumed = client.post(f"{base}/resume", {"period": "202406"}, format="json")

    assert (too_early.status_code, too_early.json()["error"]["code"]) == (
        409,
        "contributions_after_suspension",
    )
    assert (suspended.status_code, suspended.json()["status"], suspended.json()["closed_period"]) == (
        200,
        "suspended",
        202404,
    )
    assert resumed_too_early.json()["error"]["code"] == "period_before_suspension"
    assert (resumed.status_code, resumed.json()["status"], resumed.json()["closed_period"]) == (
        200,
        "paying",
        None,
    )
    moves = events_of(entity=InsuranceRelationship, object_id=relationship.pk).exclude(from_state="")
    assert [(e.from_state, e.to_state, e.reason, e.actor_id) for e in moves] == [
        ("paying", "suspended", "Left the job", beijing_staff.pk),
        ("suspended", "paying", "Enrolled again: payment resumes", beijing_staff.pk),
    ]


def test_another_provinces_staff_cannot_suspend_or_see_the_relationship(guangdong_staff, paying_person):
    relationship = paying_person.relationships.get()

    response = authenticated_client(guangdong_staff).post(
        f"/api/v1/agency/persons/{paying_person.pk}/relationships/{relationship.pk}/suspend",
        {"period": "202404"},
        format="json",
    )

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    relationship.refresh_from_db()
    assert relationship.status == RelationshipStatus.PAYING


def test_registration_with_enrolment_makes_the_person_visible_to_the_province(
    beijing_staff, configured_years
):
    number = make_id_number(province="44", sequence=3)
    client = authenticated_client(beijing_staff)

    response = client.post(
        "/api/v1/agency/registrations",
        {"id_number": number, "name": "李四", "enrolment": {"scheme": "EP", "start_period": "202401"}},
        format="json",
    )
    again = client.post("/api/v1/agency/registrations", {"id_number": number, "name": "李四"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["created"], body["person"]["hukou_province"], body["relationship"]["province"]) == (
        True,
        "44",
        "11",
    )
    assert client.get(f"/api/v1/agency/persons/{body['person']['id']}").status_code == 200
    assert (again.status_code, again.json()["created"], again.json()["relationship"]) == (200, False, None)


def test_a_registration_whose_enrolment_is_refused_registers_nobody(beijing_staff):
    before = InsuredPerson.objects.count(), StateEvent.objects.count()

    response = authenticated_client(beijing_staff).post(
        "/api/v1/agency/registrations",
        {
            "id_number": make_id_number(),
            "name": "王五",
            "enrolment": {"scheme": "EP", "start_period": "198001"},
        },
        format="json",
    )

    assert (response.status_code, response.json()["error"]["code"]) == (400, "period_too_early")
    assert (InsuredPerson.objects.count(), StateEvent.objects.count()) == before


def test_a_month_already_paid_in_another_province_is_refused_naming_it(
    guangdong_staff, paying_person, employer
):
    beijing = paying_person.relationships.get()
    RELATIONSHIP_STATES.move(
        beijing.pk,
        to=RelationshipStatus.SUSPENDED,
        actor=Actor.periodic("test"),
        values={"closed_period": 202404},
    )
    open_relationship(
        person=paying_person, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202403
    )
    before = ContributionRecord.objects.count()

    response = authenticated_client(guangdong_staff).post(
        f"/api/v1/agency/persons/{paying_person.pk}/contributions",
        {
            "scheme": "EP",
            "months": [{"period": "202403", "base": "8000.00"}, {"period": "202404", "base": "8000"}],
        },
        format="json",
    )

    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["fields"]) == (
        "period_paid_elsewhere",
        {"province": ["11"], "periods": ["202403"]},
    )
    assert ContributionRecord.objects.count() == before
    record_contributions(
        person=paying_person,
        scheme=Scheme.EMPLOYEE_PENSION,
        province_id="44",
        months=[ContributionMonth(period=202404, declared_base=Decimal("8000"))],
    )
    assert ContributionRecord.objects.count() == before + 1


def test_registering_someone_insured_only_elsewhere_shows_and_changes_nothing_of_them(beijing_staff, person):
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="44", opened_period=202001)

    response = authenticated_client(beijing_staff).post(
        "/api/v1/agency/registrations", {"id_number": person.id_number, "name": "冒名"}, format="json"
    )

    assert (response.status_code, response.json()["person"], response.json()["created"]) == (200, None, False)
    person.refresh_from_db()
    assert person.name == "张三"
