"""A real Celery worker killed with SIGKILL in the middle of an import loses and doubles nothing, and the
next worker to start takes the job over by itself: no beat, no manual re-queue."""

import datetime
from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count

from core.crypto import encrypt_text, keyed_hash
from imports.models import ImportChunk, ImportJob, ImportJobLease, ImportState
from imports.services import import_upload
from insurance.models import (
    ContributionRecord,
    InsuranceRelationship,
    InsuredPerson,
    LedgerEntry,
    Scheme,
)
from tests.factories import EMPLOYER_CODE, AgencySystemFactory, make_id_number
from tests.faults.processes import kill_group, service_env, start_worker, wait_for

# serialized_rollback: an earlier transactional test flushes the tables, regions and calendar included;
# this one needs them back as the migrations seeded them.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PERSONS = 2_500
PERIODS = [year * 100 + month for year in (2023, 2024) for month in range(1, 13)]
CHUNK_ROWS = 2_000


def register_paying_persons() -> list[str]:
    id_numbers = [
        make_id_number(birth_date=datetime.date(1970, 1, 1) + timedelta(days=n // 400), sequence=n % 400)
        for n in range(PERSONS)
    ]
    persons = InsuredPerson.objects.bulk_create(
        InsuredPerson(
            id_number_ciphertext=encrypt_text(number),
            id_number_hash=keyed_hash(number),
            name="测试",
            sex="M",
            birth_date=datetime.date(1970, 1, 1),
            hukou_province_id="11",
        )
        for number in id_numbers
    )
    InsuranceRelationship.objects.bulk_create(
        InsuranceRelationship(
            person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202301
        )
        for person in persons
    )
    return id_numbers


def contributions_file(id_numbers: list[str]) -> bytes:
    lines = ["id_number,scheme,period,base,payment_type,employer_code,temporary_account"]
    lines += [
        f"{number},EP,{period},12000.00,normal,{EMPLOYER_CODE},false"
        for number in id_numbers
        for period in PERIODS
    ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def broker():
    """The messages the killed worker held unacknowledged stay in Redis: remove them after the test."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    yield client
    client.delete("celery", "unacked", "unacked_index", "unacked_mutex")


def test_worker_killed_mid_import_resumes_to_exactly_one_copy_of_every_row(
    configured_years, employer, broker
):
    id_numbers = register_paying_persons()
    system = AgencySystemFactory(province="11")
    expected = PERSONS * len(PERIODS)
    env = service_env(IMPORT_CHUNK_ROWS=str(CHUNK_ROWS))
    workers = [start_worker("crash-first", env)]
    try:
        job, _ = import_upload(
            user=system,
            kind="contributions",
            province_id="11",
            uploaded=SimpleUploadedFile("contributions.csv", contributions_file(id_numbers)),
            enqueue=True,
        )
        wait_for(lambda: ImportChunk.objects.filter(job=job).exists(), timeout=60, what="the first chunk")
        kill_group(workers[0])
        job.refresh_from_db()
        chunks_at_kill = job.chunks.count()
        assert job.state == ImportState.RUNNING
        assert 0 < chunks_at_kill < expected // CHUNK_ROWS
        dead_owner = ImportJobLease.objects.get(job=job).owner

        # The lease is fresh (the dead run renewed it at its last chunk): only the new worker's start-up
        # sweep, seeing the owner's process gone from this host, hands the job on before the lease expires.
        workers.append(start_worker("crash-second", env))
        wait_for(
            lambda: ImportJob.objects.get(pk=job.pk).state == ImportState.SUCCEEDED,
            timeout=60,
            what="the resumed job",
        )
        # The run that finished releases the job's lease just after the end it committed: no lease is left
        # behind (waited for before the workers are stopped, which could otherwise cut the release short).
        wait_for(lambda: not ImportJobLease.objects.exists(), timeout=30, what="the lease released")
    finally:
        for worker in workers:
            kill_group(worker)

    job.refresh_from_db()
    print(
        f"\n[faults] worker killed mid-import: {expected} rows, killed after {chunks_at_kill} of "
        f"{expected // CHUNK_ROWS} chunks (owner {dead_owner}); resumed by the next worker's start: "
        f"{job.rows_accepted} accepted, {job.rows_rejected} refused"
    )
    records = ContributionRecord.objects.filter(province_id="11")
    assert (job.rows_total, job.rows_processed, job.rows_accepted, job.rows_rejected) == (
        expected,
        expected,
        expected,
        0,
    )
    assert records.count() == expected
    assert records.values("person_id", "scheme", "period").distinct().count() == expected
    assert LedgerEntry.objects.filter(kind="contribution").count() == expected
    assert records.filter(account_credit__gt=0).count() == expected
    assert list(job.chunks.order_by("number").values_list("number", flat=True)) == list(
        range(expected // CHUNK_ROWS)
    )
    assert not job.chunks.values("number").annotate(n=Count("id")).filter(n__gt=1).exists()
