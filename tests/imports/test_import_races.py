"""Concurrent uploads of one file, and concurrent re-runs of one job, against the real database."""

import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from core.exceptions import ApplicationError
from imports.models import ImportJob, ImportJobStart
from imports.services import import_job_run, import_rerun, import_upload
from tests.factories import EMPLOYER_CODE, TEST_ACTOR, AgencySystemFactory

# serialized_rollback: the flush of a transactional test would take the seeded regions with it.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

HEADER = "id_number,scheme,period,base,payment_type,employer_code,temporary_account\n"


def concurrently(count: int, work) -> list:
    """Run `work()` in `count` threads released together; their results or exceptions, in any order."""
    barrier = threading.Barrier(count)
    results: list = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(work())
        except Exception as failure:
            results.append(failure)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def content(person) -> bytes:
    return f"{HEADER}{person.id_number},EP,202404,9000,normal,{EMPLOYER_CODE},false\n".encode()


@pytest.mark.parametrize("dry_run", [False, True], ids=["real", "dry_run"])
def test_one_file_uploaded_by_eight_at_once_makes_one_job_and_keeps_one_stored_file(
    paying_person, media_root, dry_run
):
    system = AgencySystemFactory(province="11")
    data = content(paying_person)

    results = concurrently(
        8,
        lambda: import_upload(
            user=system,
            kind="contributions",
            province_id="11",
            uploaded=SimpleUploadedFile("c.csv", data),
            dry_run=dry_run,
            enqueue=False,
        ),
    )

    assert {type(result) for result in results} == {tuple}
    assert len({job.pk for job, _ in results}) == 1
    assert sorted(created for _, created in results) == [False] * 7 + [True]
    assert ImportJob.objects.count() == 1
    assert len(list((media_root / "imports").iterdir())) == 1


def test_a_finished_job_run_again_by_eight_at_once_gets_exactly_one_new_attempt(
    paying_person, media_root, monkeypatch
):
    from imports import dispatch

    queued: list[int] = []  # the broker is not the subject here: record what the relay would hand over
    monkeypatch.setattr(dispatch, "import_starts_relay", lambda *, job_ids=None: queued.extend(job_ids or ()))
    system = AgencySystemFactory(province="11")
    job, _ = import_upload(
        user=system,
        kind="contributions",
        province_id="11",
        uploaded=SimpleUploadedFile("c.csv", content(paying_person)),
        enqueue=False,
    )
    import_job_run(job_id=job.pk)

    results = concurrently(8, lambda: import_rerun(job=ImportJob.objects.get(pk=job.pk), actor=TEST_ACTOR))

    reruns = [result for result in results if isinstance(result, ImportJob)]
    refusals = [result for result in results if isinstance(result, ApplicationError)]
    assert len(reruns) == 1 and reruns[0].attempt == 2
    assert [refusal.code for refusal in refusals] == ["import_not_finished"] * 7
    assert sorted(ImportJob.objects.values_list("attempt", flat=True)) == [1, 2]
    assert len(list((media_root / "imports").iterdir())) == 2
    assert queued == [reruns[0].pk]
    assert list(ImportJobStart.objects.values_list("job_id", flat=True)) == [reruns[0].pk]
