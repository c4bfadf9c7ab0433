"""Uploads are stored encrypted (mode 0600), read back by the job without a plain copy, and deleted by
the retention rule a configured time after their job ended; identical dry runs reuse one job."""

import datetime
import hashlib
import stat

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from imports.models import ImportJob
from imports.services import import_cancel, import_files_purge, import_job_run, import_upload
from imports.storage import CHUNK, StoredFileError, StoredUpload, upload_store
from insurance.models import ContributionRecord
from tests.factories import EMPLOYER_CODE, TEST_ACTOR, AgencySystemFactory

pytestmark = pytest.mark.django_db

HEADER = "id_number,scheme,period,base,payment_type,employer_code,temporary_account\n"


def contributions(person, periods) -> bytes:
    return (
        HEADER + "".join(f"{person.id_number},EP,{p},9000,normal,{EMPLOYER_CODE},false\n" for p in periods)
    ).encode()


@pytest.fixture
def system():
    return AgencySystemFactory(province="11")


def upload(system, content: bytes, **options):
    return import_upload(
        user=system,
        kind="contributions",
        province_id="11",
        uploaded=SimpleUploadedFile("c.csv", content),
        enqueue=False,
        **options,
    )


def stored_files(media_root) -> list:
    folder = media_root / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_an_upload_is_stored_encrypted_with_mode_0600_and_imported_from_it(system, paying_person, media_root):
    job, _ = upload(system, contributions(paying_person, [202404]))

    (path,) = stored_files(media_root)
    raw = path.read_bytes()
    job = import_job_run(job_id=job.pk)

    assert paying_person.id_number.encode() not in raw
    assert b"id_number" not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((media_root / "imports").stat().st_mode) == 0o700
    assert (job.state, job.rows_accepted) == ("succeeded", 1)
    assert ContributionRecord.objects.filter(person=paying_person, period=202404).exists()


@pytest.mark.parametrize("size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_the_stored_form_reads_back_every_byte_from_any_offset(size):
    plain = bytes(range(256)) * (size // 256 + 1)
    plain = plain[:size]
    stored, sha256 = upload_store(plain[i : i + 1000] for i in range(0, size, 1000))

    with stored.open() as file:
        whole = file.read()
        file.seek(max(0, size - CHUNK - 3))
        tail = file.read()

    assert whole == plain
    assert tail == plain[max(0, size - CHUNK - 3) :]

    assert sha256 == hashlib.sha256(plain).hexdigest()


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[:-1],  # cut inside the last chunk
        lambda data: data[: 20 + CHUNK + 16],  # cut after a whole chunk: the last one is missing
        lambda data: data[:30] + bytes([data[30] ^ 1]) + data[31:],  # one bit changed
    ],
    ids=["cut", "cut_at_a_chunk", "bit_flipped"],
)
def test_a_stored_file_altered_or_cut_does_not_decrypt(damage):
    stored, _ = upload_store([b"x" * (2 * CHUNK + 100)])
    stored.path.write_bytes(damage(stored.path.read_bytes()))

    with pytest.raises(StoredFileError), stored.open() as file:
        file.read()


def test_a_stored_file_that_does_not_decrypt_fails_its_job_with_a_code(system, paying_person, media_root):
    job, _ = upload(system, contributions(paying_person, [202404]))
    (path,) = stored_files(media_root)
    path.write_bytes(path.read_bytes()[:-1])

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.failure_code) == ("failed", "import_file_unreadable")


def test_identical_dry_runs_reuse_one_job_and_one_stored_file(system, paying_person, media_root):
    content = contributions(paying_person, [202404])

    first, created = upload(system, content, dry_run=True)
    again, created_again = upload(system, content, dry_run=True)
    real, real_created = upload(system, content)

    assert (created, created_again, again.pk, real_created) == (True, False, first.pk, True)
    assert real.pk != first.pk
    assert ImportJob.objects.count() == 2
    assert len(stored_files(media_root)) == 2


def test_the_retention_rule_deletes_files_only_of_jobs_ended_long_enough_ago(
    system, paying_person, media_root, settings
):
    settings.IMPORT_FILE_RETENTION = datetime.timedelta(days=7)
    old, _ = upload(system, contributions(paying_person, [202404]))
    import_job_run(job_id=old.pk)
    recent, _ = upload(system, contributions(paying_person, [202405]))
    import_job_run(job_id=recent.pk)
    queued, _ = upload(system, contributions(paying_person, [202406]))
    ImportJob.objects.filter(pk=old.pk).update(finished_at=timezone.now() - datetime.timedelta(days=8))
    kept_before = {ImportJob.objects.get(pk=pk).file.name for pk in (recent.pk, queued.pk)}

    deleted = import_files_purge()
    again = import_files_purge()

    old.refresh_from_db()
    assert (deleted, again) == (1, 0)
    assert (old.file.name, old.file_deleted_at is not None) == ("", True)
    assert {path.relative_to(media_root).as_posix() for path in stored_files(media_root)} == kept_before


def test_the_retention_rule_runs_every_hour():
    task = PeriodicTask.objects.get(task="imports.purge_expired_files")

    assert (task.enabled, task.interval.every, task.interval.period) == (True, 1, "hours")


def test_a_cancelled_job_whose_file_was_deleted_resumes_with_the_file_uploaded_again(
    system, paying_person, media_root
):
    content = contributions(paying_person, [202404, 202405])
    job, _ = upload(system, content)
    import_cancel(job=job, actor=TEST_ACTOR)
    ImportJob.objects.filter(pk=job.pk).update(finished_at=timezone.now() - datetime.timedelta(days=30))
    import_files_purge()
    job.refresh_from_db()
    assert job.file.name == "" and stored_files(media_root) == []

    again, created = upload(system, content)
    again = import_job_run(job_id=again.pk)

    assert (again.pk, created, again.state, again.rows_accepted) == (job.pk, False, "succeeded", 2)
    assert again.file.name and len(stored_files(media_root)) == 1
    assert again.file_deleted_at is None


def test_a_queued_job_whose_file_is_gone_fails_with_its_code(system, paying_person):
    job, _ = upload(system, contributions(paying_person, [202404]))
    ImportJob.objects.filter(pk=job.pk).update(file="")

    job = import_job_run(job_id=job.pk)

    assert (job.state, job.failure_code) == ("failed", "import_file_deleted")


def test_an_upload_of_a_finished_file_keeps_no_second_copy(system, paying_person, media_root):
    content = contributions(paying_person, [202404])
    job, _ = upload(system, content)
    import_job_run(job_id=job.pk)

    upload(system, content)

    assert [path.name for path in stored_files(media_root)] == [StoredUpload(job.file.name).path.name]


def test_stored_files_from_before_encryption_are_encrypted_by_the_migration(
    system, paying_person, media_root
):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("imports.migrations.0007_stored_files_encrypted_and_retention_scheduled")
    job, _ = upload(system, contributions(paying_person, [202404]))
    plain_path = media_root / "imports" / "old-plain.csv"
    plain = contributions(paying_person, [202404])
    plain_path.write_bytes(plain)
    ImportJob.objects.filter(pk=job.pk).update(file="imports/old-plain.csv")

    migration.encrypt_stored_files(apps, None)

    job.refresh_from_db()
    assert not plain_path.exists()
    with StoredUpload(job.file.name).open() as file:
        assert file.read() == plain
    assert paying_person.id_number.encode() not in StoredUpload(job.file.name).path.read_bytes()


def test_the_retention_rule_deletes_a_stored_file_no_job_names_once_it_is_old_enough(
    system, paying_person, media_root
):
    import os

    job, _ = upload(system, contributions(paying_person, [202404]))
    orphan, _ = upload_store([b"left by a process killed before its job was saved"])
    fresh_orphan, _ = upload_store([b"an upload whose job is being saved right now"])
    long_ago = (timezone.now() - datetime.timedelta(days=8)).timestamp()
    os.utime(orphan.path, (long_ago, long_ago))
    os.utime(StoredUpload(job.file.name).path, (long_ago, long_ago))  # queued: its job keeps it

    assert import_files_purge() == 1

    assert not orphan.path.exists()
    assert fresh_orphan.path.exists() and StoredUpload(job.file.name).path.exists()


def test_an_api_upload_is_encrypted_as_it_arrives_with_no_plain_temporary_file(
    paying_person, media_root, settings, tmp_path, monkeypatch
):
    from django.core.files import uploadedfile

    from tests.factories import AgencyStaffFactory, authenticated_client

    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 10  # Django would spool this upload to a temporary file
    temporary = []
    monkeypatch.setattr(
        uploadedfile.TemporaryUploadedFile, "__init__", lambda *args, **kwargs: temporary.append(args)
    )
    client = authenticated_client(AgencyStaffFactory(province="11"))
    content = contributions(paying_person, [202404])

    answer = client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile("c.csv", content), "kind": "contributions"},
        format="multipart",
    )
    refused = client.post(
        "/api/v1/imports",
        {"file": SimpleUploadedFile("c.csv", content.replace(b"202404", b"202405")), "kind": "contributions",
         "province": "44"},
        format="multipart",
    )  # fmt: skip

    job = ImportJob.objects.get()
    assert (answer.status_code, refused.status_code) == (202, 403)
    assert temporary == []
    assert [path.name for path in stored_files(media_root)] == [StoredUpload(job.file.name).path.name]
    assert job.file_sha256 == hashlib.sha256(content).hexdigest()
    with StoredUpload(job.file.name).open() as file:
        assert file.read() == content
