"""The state machines of the card (core.states): the card's own lifecycle, and its bank function, which
is activated separately at the service bank (DOMAIN.md §5). Every move writes its event."""

from __future__ import annotations

from cards.models import BankStatus, Card, CardStatus
from core.states import StateMachine

S = CardStatus

CARD_STATES = StateMachine(
    Card,
    moves={
        S.APPLIED: {S.IN_PRODUCTION, S.CANCELLED},
        S.IN_PRODUCTION: {S.ISSUED, S.CANCELLED},
        S.ISSUED: {
            S.ENABLED,
            S.TEMPORARILY_LOST,
            S.FORMALLY_LOST,
            S.LOCKED,
            S.SEALED,
            S.REPLACED,
            S.CANCELLED,
        },
        S.ENABLED: {S.TEMPORARILY_LOST, S.FORMALLY_LOST, S.LOCKED, S.SEALED, S.REPLACED, S.CANCELLED},
        # A temporary loss is withdrawn (or lapses) back to where the card was, or becomes formal.
        S.TEMPORARILY_LOST: {S.ISSUED, S.ENABLED, S.FORMALLY_LOST, S.REPLACED, S.CANCELLED},
        # Unlocking and unsealing return the card to where it was.
        S.LOCKED: {
            S.ISSUED,
            S.ENABLED,
            S.TEMPORARILY_LOST,
            S.FORMALLY_LOST,
            S.SEALED,
            S.REPLACED,
            S.CANCELLED,
        },
        S.SEALED: {S.ISSUED, S.ENABLED, S.REPLACED, S.CANCELLED},
        # Formally lost, replaced and cancelled are final.
    },
)

BANK_STATES = StateMachine(Card, field="bank_status", moves={BankStatus.INACTIVE: {BankStatus.ACTIVE}})
