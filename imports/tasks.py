"""Thin Celery adapters: take primary keys, call a service."""

import logging

from celery import shared_task

from imports.dispatch import imports_resume_stalled
from imports.services import import_files_purge, import_job_run

logger = logging.getLogger(__name__)


# acks_late with reject_on_worker_lost: a worker killed mid-job leaves the message to be delivered again;
# the run is idempotent (chunk markers, ON CONFLICT writes) and owned through a lease (imports.dispatch).
@shared_task(name="imports.run_job", acks_late=True, reject_on_worker_lost=True)
def import_job_run_task(job_id: int) -> str:
    return import_job_run(job_id=job_id).state


# Scheduled in the database by django-celery-beat (migrations 0004 of insurance, 0003 of imports), and sent
# by every worker when it starts (config/celery.py).
@shared_task(name="imports.resume_stalled_jobs")
def resume_stalled_imports_task() -> int:
    resumed = imports_resume_stalled()
    if resumed:
        logger.warning("Queued stalled import jobs again: %s", resumed)
    return len(resumed)


# Scheduled in the database by django-celery-beat (migration 0006 of imports): the retention rule.
@shared_task(name="imports.purge_expired_files")
def purge_expired_import_files_task() -> int:
    return import_files_purge()
