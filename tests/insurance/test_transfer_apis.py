"""The transfers' API: the citizen applies and follows the timeline, the two agencies act on their own
side, each agency's queue, and scope: only the person and the two provinces see a transfer."""

from decimal import Decimal

import pytest

from insurance.models import InboxMessage, Scheme, Transfer, TransferStatus
from insurance.services.contributions import ContributionMonth
from insurance.services.relationships import relationship_suspend
from tests.factories import (
    EMPLOYER_CODE,
    TEST_ACTOR,
    AgencyStaffFactory,
    CitizenFactory,
    authenticated_client,
    make_id_number,
    open_relationship,
    record_contributions,
    register_person,
)

pytestmark = pytest.mark.django_db
EP = Scheme.EMPLOYEE_PENSION


@pytest.fixture
def mover(paying_person):
    relationship = paying_person.relationships.get(scheme=EP, province_id="11")
    relationship_suspend(relationship=relationship, period=202404, actor=TEST_ACTOR)
    open_relationship(person=paying_person, scheme=EP, province_id="44", opened_period=202405)
    record_contributions(
        person=paying_person,
        scheme=EP,
        province_id="44",
        months=[ContributionMonth(period=202405, declared_base=Decimal("8000"), employer_code=EMPLOYER_CODE)],
    )
    return paying_person


@pytest.fixture
def citizen(mover):
    return authenticated_client(CitizenFactory(id_number=mover.id_number))


@pytest.fixture
def staff_in():
    return authenticated_client(AgencyStaffFactory(province="44"))


@pytest.fixture
def staff_out():
    return authenticated_client(AgencyStaffFactory(province="11"))


def _error(response):
    return response.json()["error"]["code"]


def test_one_transfer_walked_through_the_api_by_the_person_and_both_provinces(citizen, staff_in, staff_out):
    applied = citizen.post("/api/v1/me/transfers", {"scheme": "EP"}, format="json")
    assert applied.status_code == 201, applied.json()
    transfer_id = applied.json()["id"]
    assert applied.json()["status"] == "applied"
    assert applied.json()["waiting_for"] == "transfer_in"
    assert applied.json()["due_date"] is not None

    # The transfer-out province cannot accept; the transfer-in province can.
    refused = staff_out.post(f"/api/v1/agency/transfers/{transfer_id}/accept")
    assert (refused.status_code, _error(refused)) == (403, "province_out_of_scope")
    assert staff_in.post(f"/api/v1/agency/transfers/{transfer_id}/accept").json()["status"] == "accepted"

    refused = staff_in.post(f"/api/v1/agency/transfers/{transfer_id}/send")
    assert (refused.status_code, _error(refused)) == (403, "province_out_of_scope")
    sent = staff_out.post(f"/api/v1/agency/transfers/{transfer_id}/send")
    assert sent.status_code == 200, sent.json()
    assert sent.json()["money"]["pooled_amount"] == "4320.00"
    assert sent.json()["money"]["years"][0]["months"] == 3

    done = staff_in.post(f"/api/v1/agency/transfers/{transfer_id}/complete")
    assert done.json()["status"] == "completed"

    mine = citizen.get(f"/api/v1/me/transfers/{transfer_id}").json()
    assert [step["step"] for step in mine["timeline"]] == [
        "offered",
        "applied",
        "accepted",
        "funds_sent",
        "completed",
    ]
    assert [document["kind"] for document in mine["documents"]] == [
        "contact_letter",
        "transfer_certificate",
        "information_table",
    ]
    messages = citizen.get("/api/v1/me/messages").json()["results"]
    assert sum(message["kind"] == "transfer_step" for message in messages) == 5


def test_a_second_application_is_refused_with_its_code(citizen):
    assert citizen.post("/api/v1/me/transfers", {"scheme": "EP"}, format="json").status_code == 201
    again = citizen.post("/api/v1/me/transfers", {"scheme": "EP"}, format="json")
    assert (again.status_code, _error(again)) == (409, "transfer_already_open")
    assert Transfer.objects.count() == 1


def test_the_citizen_withdraws_and_declines(citizen, mover):
    offer = Transfer.objects.get(person=mover)
    declined = citizen.post(f"/api/v1/me/transfers/{offer.pk}/decline")
    assert declined.json()["status"] == "declined"
    applied = citizen.post("/api/v1/me/transfers", {"scheme": "EP"}, format="json").json()
    assert citizen.post(f"/api/v1/me/transfers/{applied['id']}/withdraw").json()["status"] == "withdrawn"


def test_a_rejection_through_the_api_needs_a_reason(citizen, staff_in):
    transfer_id = citizen.post("/api/v1/me/transfers", {"scheme": "EP"}, format="json").json()["id"]
    empty = staff_in.post(f"/api/v1/agency/transfers/{transfer_id}/reject", {"reason": ""}, format="json")
    assert empty.status_code == 400
    rejected = staff_in.post(
        f"/api/v1/agency/transfers/{transfer_id}/reject", {"reason": "Employer not confirmed"}, format="json"
    )
    assert (rejected.json()["status"], rejected.json()["rejection_reason"]) == (
        "rejected",
        "Employer not confirmed",
    )


def test_only_the_person_and_the_two_provinces_see_a_transfer(citizen, staff_in, staff_out, configured_years):
    transfer_id = citizen.post("/api/v1/me/transfers", {"scheme": "EP"}, format="json").json()["id"]
    stranger = register_person(id_number=make_id_number(province="31", sequence=5), name="孙八")
    others = [
        authenticated_client(AgencyStaffFactory(province="31")),
        authenticated_client(CitizenFactory(id_number=stranger.id_number)),
    ]
    for client in (citizen, staff_in, staff_out):
        path = "/api/v1/me/transfers" if client is citizen else "/api/v1/agency/transfers"
        assert client.get(f"{path}/{transfer_id}").status_code == 200
    for client, path in zip(others, ("/api/v1/agency/transfers", "/api/v1/me/transfers"), strict=True):
        answer = client.get(f"{path}/{transfer_id}")
        assert (answer.status_code, _error(answer)) == (404, "not_found")
    outsider = others[0].post(f"/api/v1/agency/transfers/{transfer_id}/accept")
    assert outsider.status_code == 404
    assert others[0].get("/api/v1/agency/transfers").json()["results"] == []
    assert Transfer.objects.get(pk=transfer_id).status == TransferStatus.APPLIED


def test_each_agency_queue_lists_its_transfers_by_step_scheme_side_and_overdue(citizen, staff_in, staff_out):
    transfer_id = citizen.post("/api/v1/me/transfers", {"scheme": "EP"}, format="json").json()["id"]

    def ids(client, query=""):
        return [row["id"] for row in client.get(f"/api/v1/agency/transfers{query}").json()["results"]]

    assert ids(staff_in) == ids(staff_out) == [transfer_id]
    assert ids(staff_in, "?side=transfer_in&step=applied&scheme=EP") == [transfer_id]
    assert ids(staff_in, "?side=transfer_out") == []
    assert ids(staff_in, "?step=accepted") == []
    assert ids(staff_in, "?scheme=EM") == []
    assert ids(staff_in, "?overdue=true") == []
    assert ids(staff_in, "?overdue=false") == [transfer_id]
    Transfer.objects.filter(pk=transfer_id).update(due_date="2020-01-01")
    assert ids(staff_in, "?overdue=true") == [transfer_id]
    page = staff_in.get("/api/v1/agency/transfers").json()
    assert set(page) == {"next", "previous", "results"}  # cursor pagination, no count
    invalid = staff_in.get("/api/v1/agency/transfers?step=nowhere")
    assert invalid.status_code == 400


def test_the_citizen_asks_where_the_pension_would_be_paid_and_why(citizen):
    response = citizen.get("/api/v1/me/benefit-province")
    assert response.status_code == 200, response.json()
    answer = response.json()
    # Current relationship in Guangdong (1 month), hukou Beijing: no branch before the fourth decides.
    assert (answer["province"], answer["branch"], answer["hukou_province"]) == ("11", 4, "11")
    assert [(b["branch"], b["province"], b["months"], b["applies"]) for b in answer["branches"]] == [
        (1, "44", 1, False),
        (2, "44", 1, False),
        (3, "11", 3, False),
        (4, "11", 3, True),
    ]


def test_messages_tell_the_person_of_each_step(citizen, mover, staff_in):
    transfer_id = citizen.post("/api/v1/me/transfers", {"scheme": "EP"}, format="json").json()["id"]
    staff_in.post(f"/api/v1/agency/transfers/{transfer_id}/accept")
    kinds = list(
        InboxMessage.objects.filter(person=mover, subject_id=transfer_id).values_list("kind", flat=True)
    )
    assert kinds == ["transfer_step"] * 3  # offered, applied, accepted
