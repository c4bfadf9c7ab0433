"""Periodic pension jobs, scheduled by this app's migrations: each is idempotent, so a daily run of the
monthly payment pays the month once, and a retry after a crash finishes what the first run began."""

import dataclasses
import logging

from celery import shared_task
from django.utils import timezone

from certification.faces import TransientFaceError
from certification.services.awards import awards_pay_month
from certification.services.certifications import awards_remind_due, awards_suspend_overdue
from certification.services.comparison import nightly_comparison
from certification.services.faces import face_job_decide, selfies_purge
from insurance.periods import period_of

logger = logging.getLogger(__name__)


@shared_task(name="certification.awards_pay", acks_late=True)
def awards_pay(month: int | None = None) -> dict[str, int]:
    """Pay the month (the current one unless given) of every eligible award."""
    run = awards_pay_month(month=month or period_of(timezone.localdate()))
    logger.info(
        "Pension run %d: %d paid, %d withheld, %d waiting for a card",
        run.month,
        run.paid,
        run.withheld,
        run.refused,
    )
    return {"month": run.month, "paid": run.paid, "withheld": run.withheld, "refused": run.refused}


@shared_task(name="certification.awards_suspend_overdue", acks_late=True)
def suspend_overdue() -> int:
    """Remind those whose due date nears, and suspend those past it."""
    reminded = awards_remind_due()
    logger.info("%d pensioners reminded to certify", reminded)
    suspended = awards_suspend_overdue()
    logger.info("%d pensions suspended for overdue certification", suspended)
    return suspended


@shared_task(name="certification.nightly_comparison", acks_late=True)
def nightly_comparison_task() -> dict[str, int]:
    result = nightly_comparison()
    logger.info("Nightly comparison: %s", result)
    return dataclasses.asdict(result)


@shared_task(
    name="certification.face_job_run",
    acks_late=True,
    autoretry_for=(TransientFaceError,),
    retry_backoff=True,
    max_retries=5,
)
def face_job_run(job_id: int) -> str:
    """Decide a face certification job; retried only on a transient error of the backend."""
    return face_job_decide(job_id=job_id).status


@shared_task(name="certification.selfies_purge", acks_late=True)
def selfies_purge_task() -> int:
    deleted = selfies_purge()
    logger.info("Deleted %d selfies past their audit period", deleted)
    return deleted
