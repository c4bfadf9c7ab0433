"""Periodic pension jobs, scheduled by this app's migrations: each is idempotent, so a daily run of the
monthly payment pays the month once, and a retry after a crash finishes what the first run began."""

import dataclasses
import logging

from celery import shared_task
from django.utils import timezone

from certification.services.awards import awards_pay_month
from certification.services.certifications import awards_suspend_overdue
from certification.services.comparison import nightly_comparison
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
    suspended = awards_suspend_overdue()
    logger.info("%d pensions suspended for overdue certification", suspended)
    return suspended


@shared_task(name="certification.nightly_comparison", acks_late=True)
def nightly_comparison_task() -> dict[str, int]:
    result = nightly_comparison()
    logger.info("Nightly comparison: %s", result)
    return dataclasses.asdict(result)
