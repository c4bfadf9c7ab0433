"""Retried requests are harmless: Idempotency-Key on the creating POSTs (core.idempotency)."""

import threading
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.utils import timezone

from core.models import IdempotencyKey
from core.tasks import delete_expired_idempotency_keys
from imports.models import ImportJob
from insurance.models import ContributionRecord, InsuranceRelationship, ParticipationCertificate, Scheme
from tests.factories import (
    EMPLOYER_CODE,
    AgencyStaffFactory,
    AgencySystemFactory,
    CitizenFactory,
    authenticated_client,
    make_id_number,
)

pytestmark = pytest.mark.django_db

KEY = "3f1c9c1e-7a55-4d0e-9a43-3c1f0b1d2e11"


def contributions_url(person) -> str:
    return f"/api/v1/agency/persons/{person.pk}/contributions"


def months(*periods: int, base: str = "12000.00") -> dict:
    return {
        "scheme": Scheme.EMPLOYEE_PENSION,
        "months": [{"period": str(p), "base": base, "employer_code": EMPLOYER_CODE} for p in periods],
    }


def post(client, url, body, key=KEY, **kwargs):
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post(url, body, format=kwargs.pop("format", "json"), headers=headers, **kwargs)


def recorded(person) -> list[int]:
    return list(
        ContributionRecord.objects.filter(person=person).order_by("period").values_list("period", flat=True)
    )


@pytest.fixture
def clerk(paying_person):
    return AgencyStaffFactory(province="11")


@pytest.fixture
def staff_client(clerk):
    return authenticated_client(clerk)


def test_a_retry_with_the_same_key_returns_the_first_answer_and_writes_nothing(staff_client, paying_person):
    first = post(staff_client, contributions_url(paying_person), months(202404, 202405))
    retry = post(staff_client, contributions_url(paying_person), months(202404, 202405))

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert (first.get("Idempotent-Replayed"), retry["Idempotent-Replayed"]) == (None, "true")
    assert recorded(paying_person) == [202401, 202402, 202403, 202404, 202405]


def test_without_a_key_a_retry_is_still_a_duplicate(staff_client, paying_person):
    post(staff_client, contributions_url(paying_person), months(202404), key=None)
    again = post(staff_client, contributions_url(paying_person), months(202404), key=None)

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "contribution_already_recorded"


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(staff_client, paying_person):
    post(staff_client, contributions_url(paying_person), months(202404))

    other = post(staff_client, contributions_url(paying_person), months(202405))

    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert recorded(paying_person) == [202401, 202402, 202403, 202404]


def test_the_same_key_on_another_address_is_refused(staff_client, paying_person):
    post(staff_client, contributions_url(paying_person), months(202404))

    other = post(
        staff_client, f"/api/v1/agency/persons/{paying_person.pk}/death", {"date_of_death": "2024-06-01"}
    )

    assert other.json()["error"]["code"] == "idempotency_key_reused"
    paying_person.refresh_from_db()
    assert paying_person.date_of_death is None


def test_the_body_is_compared_by_content_not_by_key_order(staff_client, paying_person):
    body = months(202404)
    reordered = {"months": body["months"], "scheme": body["scheme"]}

    post(staff_client, contributions_url(paying_person), body)
    retry = post(staff_client, contributions_url(paying_person), reordered)

    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"


def test_keys_are_per_caller(staff_client, paying_person):
    other_clerk = authenticated_client(AgencyStaffFactory(province="11"))
    post(staff_client, contributions_url(paying_person), months(202404))

    theirs = post(other_clerk, contributions_url(paying_person), months(202404))

    # Not the first clerk's answer: their own request, a real duplicate.
    assert theirs.status_code == 409
    assert theirs.json()["error"]["code"] == "contribution_already_recorded"
    assert IdempotencyKey.objects.filter(key=KEY).count() == 2


def test_a_refusal_is_answered_again_and_still_writes_nothing(staff_client, paying_person):
    refused = post(staff_client, contributions_url(paying_person), months(202403))
    retry = post(staff_client, contributions_url(paying_person), months(202403))

    assert refused.status_code == retry.status_code == 409
    assert retry.content == refused.content
    assert recorded(paying_person) == [202401, 202402, 202403]


@pytest.mark.parametrize("key", ["", "x" * 256, "has space", "中文"])
def test_a_malformed_key_is_refused(staff_client, paying_person, key):
    response = post(staff_client, contributions_url(paying_person), months(202404), key=key)

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_invalid"
    assert recorded(paying_person) == [202401, 202402, 202403]
    assert not IdempotencyKey.objects.exists()


def test_an_expired_key_runs_the_request_again(staff_client, paying_person):
    post(staff_client, contributions_url(paying_person), months(202404))
    IdempotencyKey.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    again = post(staff_client, contributions_url(paying_person), months(202404))

    assert again.status_code == 409  # run afresh: the month is already recorded
    assert again.json()["error"]["code"] == "contribution_already_recorded"


def test_keys_expire_after_the_configured_time_and_the_purge_deletes_only_expired_ones(
    staff_client, paying_person, settings
):
    settings.IDEMPOTENCY_KEY_TTL_SECONDS = 3600
    post(staff_client, contributions_url(paying_person), months(202404))
    post(staff_client, contributions_url(paying_person), months(202405), key="second")
    first = IdempotencyKey.objects.get(key=KEY)
    assert timedelta(minutes=59) < first.expires_at - first.created_at <= timedelta(hours=1)
    IdempotencyKey.objects.filter(key=KEY).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert delete_expired_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["second"]
    assert delete_expired_idempotency_keys() == 0


def test_a_registration_retried_registers_and_enrols_once(paying_person, configured_years):
    client = authenticated_client(AgencySystemFactory(province="11"))
    body = {
        "id_number": make_id_number(province="11", sequence=7),
        "name": "王五",
        "enrolment": {
            "scheme": Scheme.EMPLOYEE_PENSION,
            "start_period": "202401",
            "employer_code": EMPLOYER_CODE,
        },
    }

    first = post(client, "/api/v1/agency/registrations", body)
    retry = post(client, "/api/v1/agency/registrations", body)

    assert first.status_code == retry.status_code == 201  # not "200, already registered"
    assert retry.json() == first.json()
    assert InsuranceRelationship.objects.filter(person_id=first.json()["person"]["id"]).count() == 1


def test_an_upload_retried_with_a_new_multipart_boundary_returns_the_first_job(paying_person):
    client = authenticated_client(AgencySystemFactory(province="11"))
    content = f"id_number,name\n{make_id_number(province='11', sequence=9)},赵六\n".encode()

    def upload(data: bytes):
        body = {"kind": "persons", "file": SimpleUploadedFile("persons.csv", data), "dry_run": "true"}
        return post(client, "/api/v1/imports", body, format="multipart")

    first, retry = upload(content), upload(content)
    other = upload(content + f"{make_id_number(province='11', sequence=10)},钱七\n".encode())

    assert first.status_code == retry.status_code == 202
    assert retry.json()["id"] == first.json()["id"]
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert ImportJob.objects.count() == 1


def test_a_certificate_retried_is_the_same_pdf_issued_once(paying_person):
    client = authenticated_client(CitizenFactory(id_number=paying_person.id_number))

    first = post(client, "/api/v1/me/certificates", None)
    retry = post(client, "/api/v1/me/certificates", None)

    assert first.status_code == retry.status_code == 201
    assert retry.content == first.content
    assert retry["Content-Type"] == "application/pdf"
    assert retry["Content-Disposition"] == first["Content-Disposition"]
    assert ParticipationCertificate.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_retries_with_one_key_run_once_and_all_get_its_answer(staff_client, paying_person):
    url, body, racers = contributions_url(paying_person), months(202404, 202405, 202406), 6
    barrier = threading.Barrier(racers)
    answers: list = []

    def retry() -> None:
        try:
            barrier.wait()
            answers.append(post(staff_client, url, body))
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [answer.status_code for answer in answers] == [201] * racers
    assert len({answer.content for answer in answers}) == 1
    assert sorted(answer.get("Idempotent-Replayed", "") for answer in answers) == [""] + ["true"] * (
        racers - 1
    )
    assert recorded(paying_person) == [202401, 202402, 202403, 202404, 202405, 202406]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_retry_while_the_first_still_runs_gets_idempotency_in_progress(
    clerk, staff_client, paying_person, settings
):
    settings.IDEMPOTENCY_WAIT_SECONDS = 0.3
    url, body = contributions_url(paying_person), months(202404)
    holder_ready, release = threading.Event(), threading.Event()

    def first_request_still_running() -> None:
        # Another request's claim of the key, in a transaction that has not committed yet.
        try:
            with transaction.atomic():
                IdempotencyKey.objects.create(
                    user_id=clerk.pk, key=KEY, fingerprint="x", expires_at=timezone.now() + timedelta(hours=1)
                )
                holder_ready.set()
                release.wait(30)
                transaction.set_rollback(True)  # the first request failed: nothing of it remains
        finally:
            connection.close()

    holder = threading.Thread(target=first_request_still_running)
    holder.start()
    try:
        holder_ready.wait(30)
        waiting = post(staff_client, url, body)
    finally:
        release.set()
        holder.join()

    assert waiting.status_code == 409
    assert waiting.json()["error"]["code"] == "idempotency_in_progress"
    assert recorded(paying_person) == [202401, 202402, 202403]
    # The first request rolled back: the retry now runs.
    assert post(staff_client, url, body).status_code == 201
    assert recorded(paying_person) == [202401, 202402, 202403, 202404]
