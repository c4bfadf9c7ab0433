"""Job starts through the outbox, ownership through leases, and the sweeper (imports.dispatch)."""

import datetime
import subprocess
import sys

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from kombu.exceptions import OperationalError

from imports import dispatch
from imports.dispatch import import_lease_claim, import_starts_relay, imports_resume_stalled
from imports.models import ImportJob, ImportJobLease, ImportJobStart, ImportState
from imports.services import import_cancel, import_job_run, import_upload
from insurance.models import ContributionRecord
from tests.factories import EMPLOYER_CODE, TEST_ACTOR, AgencySystemFactory, authenticated_client

pytestmark = pytest.mark.django_db

HEADER = "id_number,scheme,period,base,payment_type,employer_code,temporary_account\n"


def contributions(person, periods) -> bytes:
    rows = "".join(f"{person.id_number},EP,{p},12000.00,normal,{EMPLOYER_CODE},false\n" for p in periods)
    return (HEADER + rows).encode()


def queue(user, content: bytes) -> ImportJob:
    job, _ = import_upload(
        user=user, kind="contributions", province_id="11", uploaded=SimpleUploadedFile("f.csv", content)
    )
    return job


@pytest.fixture
def system():
    return AgencySystemFactory(province="11")


@pytest.fixture
def broker_down(monkeypatch):
    from imports.tasks import import_job_run_task

    def refuse(args, **options):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(import_job_run_task, "apply_async", refuse, raising=False)


def test_an_upload_with_the_broker_down_is_saved_with_its_id_and_its_start_waits(
    system, paying_person, broker_down, django_capture_on_commit_callbacks
):
    client = authenticated_client(system)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports",
            {
                "kind": "contributions",
                "file": SimpleUploadedFile("f.csv", contributions(paying_person, [202404])),
            },
            format="multipart",
        )

    assert response.status_code == 202
    job = ImportJob.objects.get(pk=response.json()["id"])
    assert job.state == ImportState.QUEUED
    start = ImportJobStart.objects.get(job=job)
    assert start.published_at is None


def test_a_waiting_start_is_handed_over_once_when_the_broker_is_back_and_never_piles_up(
    system, paying_person, monkeypatch
):
    first = queue(system, contributions(paying_person, [202404]))  # the broker was down: start waits
    sent: list[int] = []
    from imports.tasks import import_job_run_task

    monkeypatch.setattr(
        import_job_run_task, "apply_async", lambda args, **o: sent.append(args[0]), raising=False
    )

    # Beat sweeps every minute while a long import keeps the only worker busy: one message, not one a sweep.
    for minutes in range(5):
        imports_resume_stalled(now=timezone.now() + datetime.timedelta(minutes=minutes))
    assert sent == [first.pk]

    # Taken by a run: the start is consumed, the job runs once, and later sweeps send nothing.
    job = import_job_run(job_id=first.pk)
    imports_resume_stalled()
    assert (job.state, sent) == (ImportState.SUCCEEDED, [first.pk])
    assert not ImportJobStart.objects.exists()
    assert ContributionRecord.objects.filter(person=paying_person, period=202404).count() == 1


@override_settings(IMPORT_START_REPUBLISH_AFTER=datetime.timedelta(minutes=30))
def test_a_start_not_taken_for_the_republish_interval_is_handed_over_again(
    system, paying_person, broker_messages
):
    job = queue(system, contributions(paying_person, [202404]))
    import_starts_relay()
    ImportJobStart.objects.filter(job=job).update(
        published_at=timezone.now() - datetime.timedelta(minutes=31)
    )

    import_starts_relay()
    import_starts_relay()

    assert broker_messages == [job.pk, job.pk]


def test_the_start_of_a_job_cancelled_while_waiting_is_dropped(system, paying_person, broker_messages):
    job = queue(system, contributions(paying_person, [202404]))
    import_cancel(job=job, actor=TEST_ACTOR)

    assert import_starts_relay() == []
    assert broker_messages == []
    assert not ImportJobStart.objects.exists()


def test_a_job_under_a_live_lease_is_not_run_a_second_time(system, paying_person, broker_messages):
    job = queue(system, contributions(paying_person, [202404]))
    owner = import_lease_claim(job_id=job.pk)

    assert import_lease_claim(job_id=job.pk) is None
    assert import_job_run(job_id=job.pk).state == ImportState.QUEUED  # returned at once, untouched
    assert imports_resume_stalled() == []
    assert ImportJobLease.objects.get(job=job).owner == owner


def test_a_stale_lease_is_taken_over_and_the_job_resumed_to_one_copy(system, paying_person, broker_messages):
    job = queue(system, contributions(paying_person, [202404, 202405]))
    import_lease_claim(job_id=job.pk)
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING)
    ImportJobLease.objects.filter(job=job).update(heartbeat_at=timezone.now() - datetime.timedelta(minutes=3))

    assert imports_resume_stalled() == [job.pk]
    assert broker_messages == [job.pk]
    job = import_job_run(job_id=job.pk)

    assert (job.state, job.rows_accepted) == (ImportState.SUCCEEDED, 2)
    assert not ImportJobLease.objects.exists()
    assert ContributionRecord.objects.filter(person=paying_person).count() == 5  # 3 before, 2 imported


def test_a_run_whose_lease_was_taken_over_stops_before_its_next_chunk(system, paying_person, monkeypatch):
    job = queue(system, contributions(paying_person, [202404, 202405]))
    from imports import services

    monkeypatch.setattr(services, "import_lease_renew", lambda **kwargs: False)

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.rows_processed) == (ImportState.RUNNING, 0)
    assert not job.chunks.exists()


def test_a_lease_whose_process_on_this_host_is_gone_is_reclaimed_at_once(
    system, paying_person, broker_messages
):
    job = queue(system, contributions(paying_person, [202404]))
    ImportJob.objects.filter(pk=job.pk).update(state=ImportState.RUNNING)
    ImportJobStart.objects.all().delete()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    ImportJobLease.objects.create(
        job=job, owner=f"{dispatch._HOST}:{dead.pid}:run", heartbeat_at=timezone.now()
    )

    assert imports_resume_stalled() == [job.pk]
    assert import_job_run(job_id=job.pk).state == ImportState.SUCCEEDED
