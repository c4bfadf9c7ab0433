"""Periodic card jobs, scheduled by this app's migrations: each is idempotent."""

import logging

from celery import shared_task

from cards.services.cards import card_photos_purge, cards_temporary_loss_lapse
from cards.services.ecard import ecard_keys_rotate

logger = logging.getLogger(__name__)


@shared_task(name="cards.temporary_losses_lapse", acks_late=True)
def temporary_losses_lapse() -> int:
    lapsed = cards_temporary_loss_lapse()
    logger.info("%d temporary card losses lapsed", lapsed)
    return lapsed


@shared_task(name="cards.photos_purge", acks_late=True)
def photos_purge() -> int:
    deleted = card_photos_purge()
    logger.info("Deleted %d face photos past their card's retention", deleted)
    return deleted


@shared_task(name="cards.ecard_keys_rotate", acks_late=True)
def ecard_keys_rotate_task() -> str:
    return ecard_keys_rotate().kid
