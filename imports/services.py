"""Provincial batch imports: upload, run in chunks, cancel, resume after a crash.

A file is refused whole before anything is written (wrong header, encoding, size, scope...). Accepted
files run chunk by chunk; each chunk's rows, its row errors, the job's counters and the chunk's marker
commit in one transaction, so a worker killed at any point loses and doubles nothing: the next run skips
the chunks already marked and the writers skip rows already present.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import tempfile
import threading
from collections.abc import Callable, Generator, Iterator
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scope import Scope
from core.exceptions import ApplicationError, ConflictError
from core.states import Actor
from imports.errors import ImportFileError
from imports.formats import file_check_size
from imports.models import (
    ImportChunk,
    ImportJob,
    ImportRowError,
    ImportState,
)
from imports.states import IMPORT_JOB_STATES
from imports.validation import Chunk, file_prepare, file_reopen, file_validate
from imports.writers import WRITERS

logger = logging.getLogger(__name__)

# A running job whose worker has not reported for this long is presumed dead and queued again.
STALLED_AFTER = timedelta(minutes=2)


def _store_upload(uploaded: File) -> tuple[Path, str]:
    """Copy the upload to a temporary file, hashing it on the way."""
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile(delete=False, suffix=".upload") as out:
        for block in uploaded.chunks():
            digest.update(block)
            out.write(block)
    return Path(out.name), digest.hexdigest()


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
    file (content, kind, province) uploaded again returns the first job instead of a new one, and puts
    it back in the queue if it had failed or been cancelled, to resume where it stopped."""
    Scope.of(user).require_province(province_id)
    file_check_size(size=uploaded.size)
    path, sha256 = _store_upload(uploaded)
    try:
        if not dry_run:
            existing = ImportJob.objects.filter(
                province_id=province_id, kind=kind, file_sha256=sha256, dry_run=False
            ).first()
            if existing is not None:
                return _requeue_if_stopped(existing, enqueue=enqueue, actor=Actor.api(user)), False
        prepared = file_prepare(path=path, kind=kind, expected_rows=expected_rows)
        job = ImportJob(
            kind=kind,
            province_id=province_id,
            uploaded_by=user,
            file_name=Path(uploaded.name or "upload").name[:255],
            file_sha256=sha256,
            dry_run=dry_run,
            expected_rows=expected_rows,
            rows_total=prepared.row_count or 0,  # counted: file_prepare counts the rows
        )
        with path.open("rb") as stored:
            job.file.save(f"{sha256}.{prepared.source.format}", File(stored), save=False)
        try:
            with transaction.atomic():
                job.save()
                IMPORT_JOB_STATES.record_created(
                    [(job.pk, job.state, None)], actor=Actor.api(user), reason="Uploaded"
                )
                if enqueue:
                    transaction.on_commit(lambda: _enqueue(job.pk))
        except IntegrityError:
            # The same file won a race with this upload: answer with that job, keep one copy.
            job.file.delete(save=False)
            return ImportJob.objects.get(
                province_id=province_id, kind=kind, file_sha256=sha256, dry_run=False
            ), False
        return job, True
    finally:
        path.unlink(missing_ok=True)


def _requeue_if_stopped(job: ImportJob, *, enqueue: bool, actor: Actor) -> ImportJob:
    """A failed or cancelled job goes back to the queue: the chunks it wrote are marked, so the run
    resumes after them, and its rows already written are skipped."""
    with transaction.atomic():
        requeued = IMPORT_JOB_STATES.move_many(
            [job.pk],
            to=ImportState.QUEUED,
            actor=actor,
            reason="Uploaded again: resumes where it stopped",
            sources=[ImportState.FAILED, ImportState.CANCELLED],
            values={
                "cancel_requested": [False],
                "failure_code": [""],
                "failure_message": [""],
                "finished_at": [None],
            },
        )
        if requeued and enqueue:
            transaction.on_commit(lambda: _enqueue(job.pk))
    job.refresh_from_db()
    return job


def _enqueue(job_id: int) -> None:
    from imports.tasks import import_job_run_task

    import_job_run_task.delay(job_id)


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
        raise ConflictError(
            "import_already_finished", _("The job has already %(state)s.") % {"state": job.state}
        )
    job.refresh_from_db()
    return job


def _try_lock(job_id: int) -> bool:
    """A session-level advisory lock: one runner per job. The database releases it when the runner's
    connection dies with its worker."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [0x1A907, job_id])
        return bool(cursor.fetchone()[0])


def _unlock(job_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [0x1A907, job_id])


def import_job_run(*, job_id: int, progress: Callable[[ImportJob], None] | None = None) -> ImportJob:
    """Run (or resume) a job to its end. Safe to call twice, concurrently, or after a crash."""
    if not _try_lock(job_id):
        logger.info("Import %s is being run by another worker", job_id)
        return ImportJob.objects.get(pk=job_id)
    try:
        return _run_locked(job_id, progress)
    finally:
        _unlock(job_id)


def _run_locked(job_id: int, progress: Callable[[ImportJob], None] | None) -> ImportJob:
    now = timezone.now()
    actor = _runner(job_id)
    started = IMPORT_JOB_STATES.move_many(
        [job_id],
        to=ImportState.RUNNING,
        actor=actor,
        sources=[ImportState.QUEUED],
        values={"heartbeat_at": [now]},
    ) or ImportJob.objects.filter(pk=job_id, state=ImportState.RUNNING).update(heartbeat_at=now)  # resumed
    if not started:
        # Finished (e.g. cancelled while queued) before this run: it never started.
        return ImportJob.objects.get(pk=job_id)
    ImportJob.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    job = ImportJob.objects.get(pk=job_id)
    try:
        prepared = file_reopen(path=Path(job.file.path), kind=job.kind)
        done = set(job.chunks.values_list("number", flat=True))
        writer = WRITERS[job.kind](job)
        chunks = file_validate(prepared=prepared, chunk_size=settings.IMPORT_CHUNK_ROWS)
        for number, chunk in enumerate(_read_ahead(chunks, prefetch=writer.prefetch, done=done)):
            if number in done:
                continue
            if ImportJob.objects.filter(pk=job_id, cancel_requested=True).exists():
                return _finish(job_id, ImportState.CANCELLED)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    # A server crash may lose the last commits, but a chunk is lost whole with its marker,
                    # and the next run writes it again: no need to wait for the disk at every chunk.
                    cursor.execute("SET LOCAL synchronous_commit = off")
                accepted, errors = writer.write(chunk.rows, dry_run=job.dry_run)
                all_errors = sorted([*chunk.errors, *errors], key=lambda error: error.row)
                ImportRowError.objects.bulk_create(
                    ImportRowError(
                        job_id=job_id, row=e.row, column=e.column, code=e.code, message=e.message[:500]
                    )
                    for e in all_errors
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
                    heartbeat_at=timezone.now(),
                )
            if progress is not None:
                progress(ImportJob.objects.get(pk=job_id))
    except (ImportFileError, ApplicationError) as refusal:
        # The stored file no longer passes its checks (e.g. a configuration changed): fail, visibly.
        return _finish(job_id, ImportState.FAILED, code=refusal.code, message=refusal.message)
    except Exception:
        logger.exception("Import %s failed", job_id)
        _finish(
            job_id,
            ImportState.FAILED,
            code="import_internal_error",
            message="The import failed; it was logged.",
        )
        raise
    return _finish(job_id, ImportState.SUCCEEDED)


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


def imports_resume_stalled() -> list[int]:
    """Queue again the jobs whose worker died: running without a heartbeat, or queued and never picked."""
    cutoff = timezone.now() - STALLED_AFTER
    stalled = list(
        ImportJob.objects.filter(
            Q(state=ImportState.RUNNING, heartbeat_at__lt=cutoff)
            | Q(state=ImportState.QUEUED, created_at__lt=cutoff)
        ).values_list("pk", flat=True)
    )
    for job_id in stalled:
        _enqueue(job_id)
    return stalled
