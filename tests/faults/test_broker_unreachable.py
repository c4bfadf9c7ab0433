"""The broker and cache unreachable: a real gunicorn whose REDIS_URL and CELERY_BROKER_URL point at a
closed port. Sign-in (and its lockout), certificate verification and uploads answer without a 500; the
saved job is returned with its id and runs exactly once when a worker with a broker starts."""

import json
import uuid

import pytest
import redis
from django.conf import settings

from accounts.services import auth_token_issue
from core.models import StateEvent
from imports.models import ImportJob, ImportJobStart, ImportState
from insurance.models import ContributionRecord
from tests.factories import DEFAULT_PASSWORD, EMPLOYER_CODE, AgencySystemFactory
from tests.faults.processes import (
    CLOSED_PORT_REDIS,
    gunicorn,
    http,
    kill_group,
    service_env,
    start_worker,
    wait_for,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEADER = "id_number,scheme,period,base,payment_type,employer_code,temporary_account\n"


def post_json(url: str, body: dict, headers: dict | None = None) -> tuple[int, dict]:
    status, raw = http(
        "POST",
        url,
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    return status, json.loads(raw or b"{}")


def multipart(fields: dict[str, str], file_name: str, content: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


@pytest.fixture
def broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")


def test_with_the_broker_unreachable_nothing_answers_500_and_a_saved_job_runs_once_it_is_back(
    paying_person, broker
):
    system = AgencySystemFactory(username="bj.system", province="11")
    token = auth_token_issue(user=system).token
    content = (
        HEADER + f"{paying_person.id_number},EP,202404,12000.00,normal,{EMPLOYER_CODE},false\n"
    ).encode()
    answers: dict[str, tuple[int, str]] = {}
    down = service_env(
        REDIS_URL=CLOSED_PORT_REDIS, CELERY_BROKER_URL=CLOSED_PORT_REDIS, LOGIN_FAILURE_LIMIT="2"
    )

    with gunicorn(down) as base:
        login = f"{base}/api/v1/auth/login"
        status, body = post_json(login, {"username": "bj.system", "password": DEFAULT_PASSWORD})
        answers["login, right password"] = (status, "token" if "token" in body else body["error"]["code"])
        for attempt in (1, 2, 3):
            status, body = post_json(login, {"username": "bj.system", "password": "wrong-password-1"})
            answers[f"login, wrong password #{attempt}"] = (status, body["error"]["code"])
        status, raw = http("GET", f"{base}/api/v1/certificates/verify/NO-SUCH-CODE")
        answers["certificate verification"] = (status, json.loads(raw)["error"]["code"])
        status, raw = http("GET", f"{base}/api/health")
        answers["health"] = (status, json.loads(raw)["broker"])
        form, content_type = multipart({"kind": "contributions"}, "contributions.csv", content)
        status, raw = http(
            "POST", f"{base}/api/v1/imports", body=form,
            headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
        )  # fmt: skip
        upload = json.loads(raw)
        answers["upload"] = (status, upload.get("state", ""))

    print(f"\n[faults] broker and cache unreachable: {json.dumps(answers)}")
    assert answers == {
        "login, right password": (200, "token"),
        "login, wrong password #1": (401, "invalid_credentials"),
        "login, wrong password #2": (401, "invalid_credentials"),
        "login, wrong password #3": (429, "login_locked"),
        "certificate verification": (404, "not_found"),
        "health": (503, "unavailable"),
        "upload": (202, "queued"),
    }
    job = ImportJob.objects.get(pk=upload["id"])
    assert ImportJobStart.objects.get(job=job).published_at is None
    assert not ContributionRecord.objects.filter(person=paying_person, period=202404).exists()

    # The broker is back: a worker starts, relays the waiting start, and the job runs once.
    worker = start_worker("broker-back", service_env())
    try:
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).state == ImportState.SUCCEEDED,
            timeout=60,
            what="the job",
        )
    finally:
        kill_group(worker)
    started = StateEvent.objects.filter(
        entity="imports.importjob", object_id=job.pk, to_state=ImportState.RUNNING
    )
    print(f"[faults] after the broker came back: job {job.pk} started {started.count()} time(s)")
    assert started.count() == 1
    assert ContributionRecord.objects.filter(person=paying_person, period=202404).count() == 1
    assert not ImportJobStart.objects.exists()
