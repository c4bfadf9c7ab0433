"""Thin Celery adapters of the transfers' periodic jobs (scheduled by migration 0016). Each is set-based
and idempotent: a second run, or a run after a worker died mid-way, finds nothing more to do."""

import logging

from celery import shared_task

from core.states import Actor
from insurance.services.transfers import transfer_offers_make, transfers_flag_overdue, transfers_reconcile

logger = logging.getLogger(__name__)


@shared_task(name="insurance.transfers_flag_overdue", acks_late=True)
def transfers_flag_overdue_task() -> int:
    flagged = transfers_flag_overdue()
    logger.info("Flagged %d overdue transfer steps", flagged)
    return flagged


@shared_task(name="insurance.transfers_reconcile", acks_late=True)
def transfers_reconcile_task() -> int:
    return len(transfers_reconcile())


@shared_task(name="insurance.transfers_offer", acks_late=True)
def transfers_offer_task() -> int:
    offered = transfer_offers_make(actor=Actor.periodic("insurance.transfers_offer"))
    logger.info("Offered %d transfers", offered)
    return offered
