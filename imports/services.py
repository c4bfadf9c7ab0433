"""Provincial batch imports: upload, run in chunks, cancel, resume after a crash.

A file is refused whole before anything is written (wrong header, encoding, size, scope...). Accepted
files run chunk by chunk; each chunk's rows, its row errors, the job's counters and the chunk's marker
commit in one transaction, so a worker killed at any point loses and doubles nothing: the next run skips
the chunks already marked and the writers skip rows already present.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status

from accounts.models import User
from accounts.scope import Scope
from core.exceptions import ApplicationError, ConflictError
from core.states import Actor
from imports.dispatch import (
    import_lease_claim,
    import_lease_release,
    import_lease_renew,
    import_start_request,
)
from imports.errors import ImportFileError
from imports.formats import file_check_size
from imports.models import (
    IMPORT_FINISHED_STATES,
    ImportChunk,
    ImportJob,
    ImportRowError,
    ImportState,
)
from imports.reports import row_error_records
from imports.states import IMPORT_JOB_STATES
from imports.storage import StoredFileError, StoredUpload, stored_uploads_older_than, upload_stored
from imports.validation import Chunk, PreparedFile, file_count, file_prepare, file_validate
from imports.writers import WRITERS

logger = logging.getLogger(__name__)


def _latest_job(*, province_id: str, kind: str, sha256: str, dry_run: bool) -> ImportJob | None:
    """The latest attempt at this file: the job an identical upload returns."""
    return (
        ImportJob.objects.filter(province_id=province_id, kind=kind, file_sha256=sha256, dry_run=dry_run)
        .order_by("-attempt")
        .first()
    )


def import_upload(
    *,
    user: User,
    kind: str,
    province_id: str,
    uploaded: File,
    dry_run: bool = False,
    expected_rows: int | None = None,
    enqueue: bool = True,
) -> tuple[ImportJob, bool]:
    """Accept a file for the uploader's own province and queue its job. Returns (job, created): the same
    file (content, kind, province, dry run or not) uploaded again returns its latest job instead of a new
    one, and puts it back in the queue if it had failed or been cancelled, to resume where it stopped.
    Only the file's first bytes are read here (`file_prepare`); the job reads the rest."""
    # Stored first (an upload through the API already is, as it arrived): every refusal below deletes it.
    stored, sha256 = upload_stored(uploaded)
    kept = False
    try:
        Scope.of(user).require_province(province_id)
        file_check_size(size=uploaded.size or 0)
        existing = _latest_job(province_id=province_id, kind=kind, sha256=sha256, dry_run=dry_run)
        if existing is not None:
            job, kept = _requeue_if_stopped(existing, stored=stored, enqueue=enqueue, actor=Actor.api(user))
            return job, False
        prepared = file_prepare(source=stored.open, kind=kind)
        job = ImportJob(
            kind=kind,
            province_id=province_id,
            uploaded_by=user,
            file=stored.name,
            file_name=Path(uploaded.name or "upload").name[:255],
            file_sha256=sha256,
            header=list(prepared.source.header),
            dry_run=dry_run,
            expected_rows=expected_rows,
        )
        try:
            with transaction.atomic():
                job.save()
                IMPORT_JOB_STATES.record_created(
                    [(job.pk, job.state, None)], actor=Actor.api(user), reason="Uploaded"
                )
                if enqueue:
                    import_start_request(job_ids=[job.pk])
        except IntegrityError:
            # The same file won a race with this upload: answer with that job, keep one copy.
            winner = _latest_job(province_id=province_id, kind=kind, sha256=sha256, dry_run=dry_run)
            assert winner is not None
            return winner, False
        kept = True
        return job, True
    finally:
        if not kept:
            stored.delete()


def _requeue_if_stopped(
    job: ImportJob, *, stored: StoredUpload, enqueue: bool, actor: Actor
) -> tuple[ImportJob, bool]:
    """A failed or cancelled job goes back to the queue: the chunks it wrote are marked, so the run
    resumes after them, and its rows already written are skipped. If the retention rule had deleted its
    file, the file uploaded again takes its place. Returns the job and whether `stored` was kept."""
    values: dict[str, list] = {
        "cancel_requested": [False],
        "failure_code": [""],
        "failure_message": [""],
        "finished_at": [None],
    }
    reattach = not job.file
    if reattach:
        values |= {"file": [stored.name], "file_deleted_at": [None]}
    with transaction.atomic():
        requeued = IMPORT_JOB_STATES.move_many(
            [job.pk],
            to=ImportState.QUEUED,
            actor=actor,
            reason="Uploaded again: resumes where it stopped",
            sources=[ImportState.FAILED, ImportState.CANCELLED],
            values=values,
        )
        if requeued and enqueue:
            import_start_request(job_ids=[job.pk])
    job.refresh_from_db()
    return job, bool(requeued) and reattach


def import_cancel(*, job: ImportJob, actor: Actor) -> ImportJob:
    """Stop a job. A queued job is cancelled at once; a running one stops before its next chunk (chunks
    already written stay written, and are reported), its move made by the run."""
    if IMPORT_JOB_STATES.move_many(
        [job.pk],
        to=ImportState.CANCELLED,
        actor=actor,
        reason="Cancelled before it started",
        sources=[ImportState.QUEUED],
        values={"cancel_requested": [True], "finished_at": [timezone.now()]},
    ):
        job.refresh_from_db()
        return job
    if not ImportJob.objects.filter(pk=job.pk, state=ImportState.RUNNING).update(cancel_requested=True):
        raise ConflictError("import_already_finished", f"The job has already {job.state}.")
    job.refresh_from_db()
    return job


def import_job_run(*, job_id: int, progress: Callable[[ImportJob], None] | None = None) -> ImportJob:
    """Run (or resume) a job to its end. Safe to call twice, concurrently, or after a crash: the run that
    holds the job's lease (imports.dispatch) runs it, any other returns at once."""
    owner = import_lease_claim(job_id=job_id)
    if owner is None:
        logger.info("Import %s is being run by another worker", job_id)
        return ImportJob.objects.get(pk=job_id)
    try:
        return _run_owned(job_id, owner, progress)
    finally:
        import_lease_release(job_id=job_id, owner=owner)


def _run_owned(job_id: int, owner: str, progress: Callable[[ImportJob], None] | None) -> ImportJob:
    now = timezone.now()
    actor = _runner(job_id)
    started = (
        IMPORT_JOB_STATES.move_many(
            [job_id], to=ImportState.RUNNING, actor=actor, sources=[ImportState.QUEUED]
        )
        or ImportJob.objects.filter(pk=job_id, state=ImportState.RUNNING).exists()  # resumed
    )
    if not started:
        # Finished (e.g. cancelled while queued) before this run: it never started.
        return ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    job = ImportJob.objects.get(pk=job_id)
    try:
        prepared = _first_pass(job)
        done = set(job.chunks.values_list("number", flat=True))
        writer = WRITERS[job.kind](job)
        chunks = file_validate(prepared=prepared, chunk_size=settings.IMPORT_CHUNK_ROWS)
        for number, chunk in enumerate(_read_ahead(chunks, prefetch=writer.prefetch, done=done)):
            if number in done:
                continue
            if ImportJob.objects.filter(pk=job_id, cancel_requested=True).exists():
                return _finish(job_id, ImportState.CANCELLED)
            with transaction.atomic():
                if not import_lease_renew(job_id=job_id, owner=owner):
                    # Presumed dead and taken over (a chunk longer than IMPORT_LEASE): the new owner goes on.
                    logger.warning("Import %s: lease lost to another run, stopping", job_id)
                    return ImportJob.objects.get(pk=job_id)
                with connection.cursor() as cursor:
                    # A server crash may lose the last commits, but a chunk is lost whole with its marker,
                    # and the next run writes it again: no need to wait for the disk at every chunk.
                    cursor.execute("SET LOCAL synchronous_commit = off")
                accepted, errors = writer.write(chunk.rows, dry_run=job.dry_run)
                all_errors = sorted([*chunk.errors, *errors], key=lambda error: error.row)
                ImportRowError.objects.bulk_create(
                    row_error_records(job_id=job_id, errors=all_errors, chunk=chunk, prepared=prepared)
                )
                rows = chunk.processed
                rejected = len({error.row for error in all_errors})
                ImportChunk.objects.create(
                    job_id=job_id, number=number, rows=rows, accepted=accepted, rejected=rejected
                )
                ImportJob.objects.filter(pk=job_id).update(
                    rows_processed=F("rows_processed") + rows,
                    rows_accepted=F("rows_accepted") + accepted,
                    rows_rejected=F("rows_rejected") + rejected,
                )
            if progress is not None:
                progress(ImportJob.objects.get(pk=job_id))
    except (ImportFileError, ApplicationError) as refusal:
        # The file is refused by the first pass (its encoding, row count, archive limits), or no longer
        # passes its checks (e.g. a configuration changed): fail, visibly, with nothing written.
        return _finish(job_id, ImportState.FAILED, code=refusal.code, message=refusal.message)
    except MemoryError:
        # The process's address space limit (imports.tuning) was reached: the input is refused, and the
        # worker lives on to run the next job.
        logger.warning("Import %s reached the memory limit of its process", job_id)
        return _finish(
            job_id,
            ImportState.FAILED,
            code="import_memory_limit",
            message=_("The file needs more memory than an import may take: split it into smaller files."),
        )
    except Exception:
        logger.exception("Import %s failed", job_id)
        _finish(
            job_id,
            ImportState.FAILED,
            code="import_internal_error",
            message="The import failed; it was logged.",
        )
        raise
    return _finish_rows_read(job_id)


def _first_pass(job: ImportJob) -> PreparedFile:
    """Read the job's stored file whole once, before any row is written: refusals of the whole file
    (file_encoding naming the first bad line, file_empty, file_row_count_mismatch, the archive limits)
    happen here, and the count of rows gives the job's progress its total."""
    if not job.file:
        raise ImportFileError(
            "import_file_deleted",
            _("The job's file was deleted by the retention rule: upload it again to resume the job."),
            status_code=status.HTTP_410_GONE,
        )
    stored = StoredUpload(job.file.name)
    try:
        prepared = file_count(
            prepared=file_prepare(source=stored.open, kind=job.kind), expected_rows=job.expected_rows
        )
    except StoredFileError as error:
        logger.error("Import %s: its stored file is unreadable: %s", job.pk, error)
        raise ImportFileError(
            "import_file_unreadable", _("The job's stored file cannot be read back: upload it again.")
        ) from None
    ImportJob.objects.filter(pk=job.pk).update(rows_total=prepared.row_count)
    return prepared


def _finish_rows_read(job_id: int) -> ImportJob:
    """End a job that read all its rows, in a state that says whether, and how many, were rejected."""
    job = ImportJob.objects.only("rows_accepted", "rows_rejected").get(pk=job_id)
    if not job.rows_rejected:
        return _finish(job_id, ImportState.SUCCEEDED)
    if not job.rows_accepted:
        return _finish(
            job_id,
            ImportState.FAILED,
            code="import_all_rows_rejected",
            message=_("Every row of the file was rejected: see the job's errors."),
        )
    return _finish(job_id, ImportState.COMPLETED_WITH_ERRORS)


def _read_ahead(
    chunks: Generator[Chunk], *, prefetch: Callable[[list[tuple]], None], done: set[int]
) -> Iterator[Chunk]:
    """Yield the chunks in order, while a thread already reads and validates the next one and makes its
    look-ups (`prefetch`, on the thread's own connection): that work overlaps the database's work on the
    chunk being written. At most one chunk waits, so memory stays bounded. The chunks in `done` are
    yielded without look-ups. The two threads take turns at the interpreter lock as often as the process's
    switch interval lets them: the worker and `import_file` shorten it at start-up (imports.tuning)."""
    ahead: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()

    def offer(item: tuple) -> bool:
        while not stop.is_set():
            try:
                ahead.put(item, timeout=0.5)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for number, chunk in enumerate(chunks):
                if number not in done:
                    prefetch(chunk.rows)
                if not offer((chunk, None)):
                    return
            offer((None, None))
        except BaseException as failure:  # handed over to the consumer, which raises it
            offer((None, failure))
        finally:
            connection.close()  # this thread's own, opened by `prefetch`

    thread = threading.Thread(target=produce, name="import-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            chunk, failure = ahead.get()
            if failure is not None:
                raise failure
            if chunk is None:
                return
            yield chunk
    finally:
        stop.set()
        thread.join()
        chunks.close()


def _finish(job_id: int, state: str, *, code: str = "", message: str = "") -> ImportJob:
    IMPORT_JOB_STATES.move_many(
        [job_id],
        to=state,
        actor=_runner(job_id),
        reason=message,
        sources=[ImportState.RUNNING],
        values={"finished_at": [timezone.now()], "failure_code": [code], "failure_message": [message]},
    )
    return ImportJob.objects.get(pk=job_id)


def _runner(job_id: int) -> Actor:
    """The job's own run acts for it, in the name of its uploader."""
    return Actor.import_job(ImportJob.objects.only("pk", "uploaded_by").get(pk=job_id))


def import_rerun(*, job: ImportJob, actor: Actor) -> ImportJob:
    """Run a finished file again, on purpose: a new attempt, a job of its own (counters, errors, a copy of
    the stored file) queued from the start. The rows the first run wrote are refused as already present,
    as the API would refuse them. An identical upload still returns the file's latest job."""
    with transaction.atomic():
        latest = (
            ImportJob.objects.select_for_update()
            .filter(
                province_id=job.province_id, kind=job.kind, file_sha256=job.file_sha256, dry_run=job.dry_run
            )
            .order_by("-attempt")
            .first()
        )
        assert latest is not None
        if latest.state not in IMPORT_FINISHED_STATES:
            raise ConflictError(
                "import_not_finished",
                _("Job %(job)s of this file is %(state)s: wait for it to finish.")
                % {"job": latest.pk, "state": latest.state},
            )
        if not latest.file:
            raise ApplicationError(
                "import_file_deleted",
                _("The file was deleted by the retention rule: upload it again."),
                status_code=status.HTTP_410_GONE,
            )
        copy = StoredUpload(latest.file.name).copy()
        rerun = ImportJob(
            kind=latest.kind,
            province_id=latest.province_id,
            uploaded_by_id=actor.user_id or latest.uploaded_by_id,
            file=copy.name,
            file_name=latest.file_name,
            file_sha256=latest.file_sha256,
            header=latest.header,
            dry_run=latest.dry_run,
            attempt=latest.attempt + 1,
            expected_rows=latest.expected_rows,
        )
        try:
            with transaction.atomic():
                rerun.save()
        except IntegrityError:
            copy.delete()
            raise ConflictError("import_not_finished", _("The file is being run again already.")) from None
        IMPORT_JOB_STATES.record_created(
            [(rerun.pk, rerun.state, None)], actor=actor, reason=f"Run again on purpose after job {latest.pk}"
        )
        import_start_request(job_ids=[rerun.pk])
    return rerun


def import_files_purge(*, now: datetime | None = None) -> int:
    """The retention rule: delete the stored files of the jobs that ended more than IMPORT_FILE_RETENTION
    ago, and those of no job stored as long ago. Returns how many were deleted. Each job is cleared by a
    compare-and-set, so that a job resumed in the meantime (queued again, its end cleared) keeps its
    file."""
    now = now or timezone.now()
    cutoff = now - settings.IMPORT_FILE_RETENTION
    expired = (
        ImportJob.objects.filter(state__in=IMPORT_FINISHED_STATES, finished_at__lt=cutoff)
        .exclude(file="")
        .values_list("pk", "file")
    )
    deleted = 0
    for job_id, name in expired.iterator(chunk_size=1000):
        if ImportJob.objects.filter(pk=job_id, file=name, finished_at__lt=cutoff).update(
            file="", file_deleted_at=now
        ):
            StoredUpload(name).delete()
            deleted += 1
    # A process killed between storing an upload and saving its job leaves a file no job names.
    for stored in stored_uploads_older_than(cutoff):
        if not ImportJob.objects.filter(file=stored.name).exists():
            stored.delete()
            deleted += 1
    return deleted
