"""How an import job gets to a worker, and who owns it while it runs.

- Starts go through an outbox (`ImportJobStart`), written in the transaction that queues the job. After
  the commit the relay hands the start to the broker; if the broker is down the row waits, and the relay
  runs again when a worker starts and with every sweep of the beat. A start is handed over once, and again
  only after IMPORT_START_REPUBLISH_AFTER without a worker taking it: a long import ahead in the queue
  never piles up copies of the same message behind it.
- A run owns its job through a lease row (`ImportJobLease`) with a heartbeat renewed in every chunk's
  transaction, not through a session lock that only one database server can hold: a run that finds its
  lease taken over stops before writing another chunk.
- The sweeper queues again the running jobs whose lease went stale (or whose owner's process on this host
  is gone: a worker that starts re-claims at once the jobs of the one it replaces).
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from datetime import datetime

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from imports.models import ImportJob, ImportJobLease, ImportJobStart, ImportState

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------------------
# The outbox of starts


def import_start_request(*, job_ids: list[int]) -> None:
    """Ask for these jobs to be run: in the caller's transaction, so the request exists exactly when the
    job's queued state does. The relay runs after the commit. A job with a start waiting keeps that one."""
    if not job_ids:
        return
    now = timezone.now()
    ImportJobStart.objects.bulk_create(
        [ImportJobStart(job_id=job_id, requested_at=now) for job_id in job_ids], ignore_conflicts=True
    )
    transaction.on_commit(lambda: import_starts_relay(job_ids=job_ids))


def import_starts_relay(*, job_ids: list[int] | None = None) -> list[int]:
    """Hand the due starts (never handed over, or handed over longer ago than IMPORT_START_REPUBLISH_AFTER)
    to the broker, all of them or those of `job_ids`. Returns the jobs handed over. With the broker down it
    stops at the first failure, logs it and leaves the rest due: never an error for the caller, whose job
    is saved and will start when the relay next runs."""
    from imports.tasks import import_job_run_task

    now = timezone.now()
    with transaction.atomic():
        # Starts of jobs that ended meanwhile (cancelled while queued) have nothing left to start.
        ImportJobStart.objects.exclude(job__state__in=[ImportState.QUEUED, ImportState.RUNNING]).delete()
        due = ImportJobStart.objects.filter(
            Q(published_at__isnull=True) | Q(published_at__lt=now - settings.IMPORT_START_REPUBLISH_AFTER)
        )
        if job_ids is not None:
            due = due.filter(job_id__in=job_ids)
        # Two relays at once (a worker starting while beat sweeps) hand each start over once.
        pending = list(
            due.select_for_update(skip_locked=True).order_by("requested_at").values_list("job_id", flat=True)
        )
        published: list[int] = []
        for job_id in pending:
            try:
                # No retries here: the outbox is the retry, and the request that queued the job is waiting.
                import_job_run_task.apply_async((job_id,), retry=False)
            except BrokerError:
                logger.warning(
                    "Broker unavailable: %d import job start(s) wait in the outbox",
                    len(pending) - len(published),
                )
                break
            published.append(job_id)
        ImportJobStart.objects.filter(job_id__in=published).update(published_at=now)
    return published


# ---------------------------------------------------------------------------------------------------------
# Leases


_HOST = socket.gethostname()


def _lease_owner() -> str:
    """Host and process (so that a worker starting on the same host can tell a dead owner), and the run."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def _owner_is_gone(owner: str) -> bool:
    """Whether the owner's process ran on this host and is no longer there. An owner elsewhere, or a
    process that cannot be signalled (another user's), is presumed alive until its lease goes stale."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def import_lease_claim(*, job_id: int) -> str | None:
    """Take the job's lease if it is free or stale, and consume its waiting start. Returns the owner token
    to renew and release it with, or None when another run holds it."""
    owner = _lease_owner()
    table = ImportJobLease._meta.db_table
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {table} (job_id, owner, heartbeat_at) VALUES (%s, %s, now())
                    ON CONFLICT (job_id) DO UPDATE SET owner = EXCLUDED.owner, heartbeat_at = now()
                     WHERE {table}.heartbeat_at < now() - make_interval(secs => %s::float8)
                 RETURNING job_id""",  # noqa: S608 - the table name from the model
                [job_id, owner, settings.IMPORT_LEASE.total_seconds()],
            )
            if cursor.fetchone() is None:
                return None
        ImportJobStart.objects.filter(job_id=job_id).delete()
    return owner


def import_lease_renew(*, job_id: int, owner: str) -> bool:
    """Renew the heartbeat, in the caller's transaction (a chunk's): False if the lease was taken over."""
    return bool(ImportJobLease.objects.filter(job_id=job_id, owner=owner).update(heartbeat_at=timezone.now()))


def import_lease_release(*, job_id: int, owner: str) -> None:
    ImportJobLease.objects.filter(job_id=job_id, owner=owner).delete()


# ---------------------------------------------------------------------------------------------------------
# The sweeper


def imports_resume_stalled(*, now: datetime | None = None) -> list[int]:
    """Queue again the jobs that nobody runs: running under a stale lease (or one whose process on this
    host is gone) or under none, and queued without a start in the outbox. Then relay the due starts.
    Returns the jobs newly asked to start. Run by beat every minute and by every worker that starts."""
    now = now or timezone.now()
    stale = now - settings.IMPORT_LEASE
    stale_leases = ImportJobLease.objects.filter(job__state=ImportState.RUNNING)
    gone = [
        lease.job_id
        for lease in stale_leases.filter(heartbeat_at__gte=stale).only("job_id", "owner")
        if _owner_is_gone(lease.owner)
    ]
    if gone:
        # Stale from now on: the next run's claim takes them over at once.
        ImportJobLease.objects.filter(job_id__in=gone).update(heartbeat_at=stale - settings.IMPORT_LEASE)
    leased = ImportJobLease.objects.filter(job_id=OuterRef("pk"), heartbeat_at__gte=stale)
    orphaned = list(
        ImportJob.objects.filter(
            Q(state=ImportState.RUNNING) & ~Exists(leased) | Q(state=ImportState.QUEUED, created_at__lt=stale)
        )
        .exclude(Exists(ImportJobStart.objects.filter(job_id=OuterRef("pk"))))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        import_start_request(job_ids=orphaned)
    # The starts that waited for the broker, and those handed over so long ago that they may be lost.
    import_starts_relay()
    return orphaned
