"""A citizen's inbox: messages sent by services in the caller's transaction, read by the person alone."""

import datetime

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.exceptions import ApplicationError
from insurance.models import InboxMessage, InsuranceRelationship
from insurance.services.inbox import OutgoingMessage, Subject, inbox_mark_read, inbox_send, inbox_send_many
from tests.factories import (
    AdministratorFactory,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    ServicePointFactory,
    authenticated_client,
    make_id_number,
    register_person,
)

pytestmark = pytest.mark.django_db

MESSAGES = "/api/v1/me/messages"


@pytest.fixture
def other(db):
    return register_person(id_number=make_id_number(province="44", sequence=7), name="陈七")


@pytest.fixture
def citizen(person):
    return authenticated_client(CitizenFactory(id_number=person.id_number))


def _send(person, count: int, *, kind: str = "notice") -> list[int]:
    """`count` messages to `person`, oldest first, each a moment after the one before; their ids."""
    inbox_send_many(
        [OutgoingMessage(person_id=person.pk, kind=kind, title=f"Message {n}") for n in range(count)]
    )
    ids = list(InboxMessage.objects.filter(person=person).order_by("id").values_list("id", flat=True))
    start = timezone.now() - datetime.timedelta(hours=1)
    for n, message_id in enumerate(ids):
        InboxMessage.objects.filter(pk=message_id).update(created_at=start + datetime.timedelta(seconds=n))
    return ids


def _state() -> list[tuple]:
    return list(InboxMessage.objects.order_by("pk").values_list("pk", "person_id", "read_at"))


# Sending


def test_one_message_is_sent_with_what_it_is_about(paying_person):
    relationship = InsuranceRelationship.objects.get(person=paying_person)

    inbox_send(
        person_id=paying_person.pk,
        kind="transfer_step",
        title="  Your transfer moved on  ",
        body="The contact letter was sent.",
        subject=relationship,
    )

    message = InboxMessage.objects.get()
    assert (message.person, message.kind, message.title, message.body) == (
        paying_person,
        "transfer_step",
        "Your transfer moved on",
        "The contact letter was sent.",
    )
    assert (message.subject_type, message.subject_id) == ("insurance.insurancerelationship", relationship.pk)
    assert message.read_at is None


def test_many_messages_are_sent_by_one_insert(person, other):
    messages = [
        OutgoingMessage(person_id=person.pk, kind="certification_due", title="Certify by June"),
        OutgoingMessage(
            person_id=other.pk,
            kind="certification_due",
            title="Certify by July",
            subject=Subject(type="insurance.insuredperson", id=other.pk),
        ),
    ]

    with CaptureQueriesContext(connection) as queries:
        sent = inbox_send_many(messages)

    assert sent == 2
    assert [query["sql"].split()[0] for query in queries.captured_queries] == ["INSERT"]
    rows = InboxMessage.objects.order_by("pk").values_list(
        "person_id", "title", "subject_type", "subject_id", "created_at"
    )
    [first, second] = rows
    assert first[:4] == (person.pk, "Certify by June", "", None)
    assert second[:4] == (other.pk, "Certify by July", "insurance.insuredperson", other.pk)
    assert first[4] == second[4]  # sent together


def test_sending_nothing_writes_nothing():
    assert inbox_send_many([]) == 0
    assert not InboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"kind": "Transfer-Step"}, "inbox_kind_invalid"),
        ({"kind": "step\n"}, "inbox_kind_invalid"),
        ({"kind": "a" * 49}, "inbox_kind_invalid"),
        ({"title": "   "}, "inbox_title_invalid"),
        ({"title": "x" * 201}, "inbox_title_invalid"),
        ({"subject": Subject(type="insurance.nothing", id=1)}, "inbox_subject_invalid"),
        ({"subject": Subject(type="nothing", id=1)}, "inbox_subject_invalid"),
    ],
)
def test_one_refused_message_refuses_the_whole_batch_and_nothing_is_written(person, message, code):
    good = OutgoingMessage(person_id=person.pk, kind="notice", title="Fine")
    bad = OutgoingMessage(**{"person_id": person.pk, "kind": "notice", "title": "Bad", **message})

    with pytest.raises(ApplicationError) as refusal:
        inbox_send_many([good, bad])

    assert refusal.value.code == code
    assert refusal.value.message.startswith("Message 2: ")
    assert not InboxMessage.objects.exists()


def test_a_message_is_written_only_with_the_change_it_tells_about(person):
    with pytest.raises(RuntimeError), transaction.atomic():
        inbox_send(person_id=person.pk, kind="notice", title="About a change that fails")
        raise RuntimeError("the caller's change failed")

    assert not InboxMessage.objects.exists()


# Marking read


def test_marking_read_is_idempotent_and_keeps_the_first_read_time(person):
    first, second = _send(person, 2)

    assert inbox_mark_read(person=person, message_ids=[first]) == 1
    read_at = InboxMessage.objects.get(pk=first).read_at
    assert inbox_mark_read(person=person, message_ids=[first]) == 0

    assert InboxMessage.objects.get(pk=first).read_at == read_at
    assert InboxMessage.objects.get(pk=second).read_at is None


def test_a_person_cannot_mark_another_persons_message(person, other):
    [theirs] = _send(other, 1)

    assert inbox_mark_read(person=person, message_ids=[theirs]) == 0
    assert InboxMessage.objects.get(pk=theirs).read_at is None


def test_marking_all_read_marks_only_the_persons_unread_messages(person, other):
    mine = _send(person, 3)
    theirs = _send(other, 1)
    inbox_mark_read(person=person, message_ids=[mine[0]])

    assert inbox_mark_read(person=person, message_ids=None) == 2
    assert InboxMessage.objects.filter(pk__in=mine, read_at__isnull=True).count() == 0
    assert InboxMessage.objects.get(pk=theirs[0]).read_at is None


# The citizen's API


def test_the_list_is_newest_first_in_cursor_pages(person, citizen):
    ids = _send(person, 25)

    first = citizen.get(MESSAGES).json()
    second = citizen.get(first["next"]).json()

    assert [m["id"] for m in first["results"]] == ids[::-1][:20]
    assert [m["id"] for m in second["results"]] == ids[::-1][20:]
    assert second["next"] is None
    assert "count" not in first  # no COUNT(*) over the table
    assert first["results"][0] == {
        "id": ids[-1],
        "kind": "notice",
        "title": "Message 24",
        "body": "",
        "subject": None,
        "read_at": None,
        "created_at": first["results"][0]["created_at"],
    }


def test_the_list_filters_unread_and_read_messages(person, citizen):
    ids = _send(person, 3)
    inbox_mark_read(person=person, message_ids=[ids[1]])

    unread = citizen.get(MESSAGES, {"unread": "true"}).json()["results"]
    read = citizen.get(MESSAGES, {"unread": "false"}).json()["results"]
    every = citizen.get(MESSAGES).json()["results"]

    assert [m["id"] for m in unread] == [ids[2], ids[0]]
    assert [m["id"] for m in read] == [ids[1]]
    assert [m["id"] for m in every] == ids[::-1]


def test_an_invalid_filter_is_refused(person, citizen):
    response = citizen.get(MESSAGES, {"unread": "maybe"})

    assert response.status_code == 400
    assert "unread" in response.json()["error"]["fields"]


def test_one_message_is_shown_with_its_subject_and_reading_it_marks_nothing(paying_person):
    client = authenticated_client(CitizenFactory(id_number=paying_person.id_number))
    relationship = InsuranceRelationship.objects.get(person=paying_person)
    inbox_send(person_id=paying_person.pk, kind="transfer_step", title="Step", subject=relationship)
    message = InboxMessage.objects.get()

    shown = client.get(f"{MESSAGES}/{message.pk}").json()

    assert shown["subject"] == {"type": "insurance.insurancerelationship", "id": relationship.pk}
    assert (shown["id"], shown["read_at"]) == (message.pk, None)
    assert InboxMessage.objects.get().read_at is None


def test_marking_read_through_the_api_is_idempotent(person, citizen):
    [message_id] = _send(person, 1)

    first = citizen.post(f"{MESSAGES}/{message_id}/read")
    again = citizen.post(f"{MESSAGES}/{message_id}/read")

    assert (first.status_code, again.status_code) == (200, 200)
    read_at = InboxMessage.objects.get().read_at
    assert read_at is not None
    assert first.json()["read_at"] == again.json()["read_at"] == first.json()["read_at"]
    assert citizen.get(f"{MESSAGES}/unread-count").json() == {"unread": 0}


def test_unread_count_and_read_all(person, other, citizen):
    _send(person, 3)
    _send(other, 2)

    assert citizen.get(f"{MESSAGES}/unread-count").json() == {"unread": 3}
    assert citizen.post(f"{MESSAGES}/read-all").json() == {"marked_read": 3}
    assert citizen.post(f"{MESSAGES}/read-all").json() == {"marked_read": 0}
    assert citizen.get(f"{MESSAGES}/unread-count").json() == {"unread": 0}
    assert InboxMessage.objects.filter(person=other, read_at__isnull=True).count() == 2


def test_the_list_reads_the_messages_by_one_query(person, citizen):
    _send(person, 3)

    with CaptureQueriesContext(connection) as queries:
        assert citizen.get(MESSAGES).status_code == 200

    messages = [q for q in queries.captured_queries if "insurance_inboxmessage" in (q["sql"] or "")]
    assert len(messages) == 1


# Scope: a citizen sees only their own messages


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("post", "/read")], ids=["detail", "mark read"])
def test_another_persons_message_is_answered_exactly_as_a_missing_one(person, other, citizen, method, suffix):
    [theirs] = _send(other, 1)
    before = _state()

    out_of_scope = getattr(citizen, method)(f"{MESSAGES}/{theirs}{suffix}")
    missing = getattr(citizen, method)(f"{MESSAGES}/{theirs + 1000}{suffix}")

    assert out_of_scope.status_code == missing.status_code == 404
    assert out_of_scope.json() == missing.json()
    assert _state() == before


def test_another_persons_messages_are_not_listed_or_counted(person, other, citizen):
    _send(other, 2)

    assert citizen.get(MESSAGES).json()["results"] == []
    assert citizen.get(f"{MESSAGES}/unread-count").json() == {"unread": 0}


def test_an_id_beyond_the_key_range_is_404(person, citizen):
    _send(person, 1)
    before = _state()

    for method, suffix in (("get", ""), ("post", "/read")):
        assert getattr(citizen, method)(f"{MESSAGES}/{2**70}{suffix}").status_code == 404
    assert _state() == before


def _paths(message_id: int) -> list[tuple[str, str]]:
    return [
        ("get", MESSAGES),
        ("get", f"{MESSAGES}/unread-count"),
        ("get", f"{MESSAGES}/{message_id}"),
        ("post", f"{MESSAGES}/{message_id}/read"),
        ("post", f"{MESSAGES}/read-all"),
    ]


@pytest.mark.parametrize("index", range(5))
@pytest.mark.parametrize(
    "factory", [AgencyStaffFactory, AgencySystemFactory, ServicePointFactory, AdministratorFactory]
)
def test_non_citizens_are_refused_and_nothing_is_written(person, index, factory):
    [message_id] = _send(person, 1)
    method, path = _paths(message_id)[index]
    before = _state()

    response = getattr(authenticated_client(factory()), method)(path)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert _state() == before


@pytest.mark.parametrize("index", range(5))
def test_anonymous_callers_are_refused_and_nothing_is_written(person, api_client, index):
    [message_id] = _send(person, 1)
    method, path = _paths(message_id)[index]
    before = _state()

    response = getattr(api_client, method)(path)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert _state() == before


@pytest.mark.parametrize("index", range(5))
def test_a_citizen_without_a_record_gets_404_and_nothing_is_written(person, index):
    [message_id] = _send(person, 1)
    method, path = _paths(message_id)[index]
    stranger = authenticated_client(CitizenFactory(id_number=make_id_number(province="31", sequence=3)))
    before = _state()

    response = getattr(stranger, method)(path)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert _state() == before


def test_the_inbox_operations_are_documented(api_client):
    paths = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]

    assert {path for path in paths if path.startswith(MESSAGES)} == {
        MESSAGES,
        f"{MESSAGES}/unread-count",
        f"{MESSAGES}/read-all",
        f"{MESSAGES}/{{message_id}}",
        f"{MESSAGES}/{{message_id}}/read",
    }
    listed = paths[MESSAGES]["get"]
    assert [p["name"] for p in listed["parameters"]] == ["cursor", "page_size", "unread"]
    assert "requestBody" not in paths[f"{MESSAGES}/read-all"]["post"]


# Admin


def test_the_admin_lists_a_searched_persons_messages_read_only_without_full_id_numbers(person, other):
    _send(person, 2)
    _send(other, 1)
    client = Client()
    client.force_login(AdministratorFactory())

    searched = client.get("/admin/insurance/inboxmessage/", {"q": person.id_number})
    [message, *_] = searched.context["cl"].result_list
    listing = client.get("/admin/insurance/inboxmessage/")
    change = client.get(f"/admin/insurance/inboxmessage/{message.pk}/change/")

    assert {m.person_id for m in searched.context["cl"].result_list} == {person.pk}
    assert len(searched.context["cl"].result_list) == 2
    for page in (searched, listing, change):
        assert page.status_code == 200
        assert person.id_number_masked in page.content.decode()
        assert other.id_number not in page.content.decode()
    # (The searched page repeats the search term, in the search box and its links.)
    for page in (listing, change):
        assert person.id_number not in page.content.decode()
    assert client.get("/admin/insurance/inboxmessage/add/").status_code == 403
    assert client.post(f"/admin/insurance/inboxmessage/{message.pk}/delete/").status_code == 403
