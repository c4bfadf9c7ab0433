"""Cards made through the services, as the API and the card maker would make them."""

from __future__ import annotations

import datetime
from functools import cache
from pathlib import Path

from django.utils import timezone

from cards.models import Card
from cards.photos import Photo, photo_check
from cards.services.cards import BankAccount, Consent, card_apply, card_bank_activate, card_enable
from cards.services.production import production_batch_create, production_batch_return
from tests.factories import TEST_ACTOR

# shared/ sits beside the checkout (a developer's worktree, CI's fresh clone alike).
FACES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "faces"
PIN = "902741"
BANK_ACCOUNT = "6222020200112233445"


def face(name: str = "obama_small.jpg") -> bytes:
    return (FACES / name).read_bytes()


@cache
def one_face() -> Photo:
    return photo_check(content=face())


def apply_card(person, *, province: str = "11", pin: str = PIN) -> Card:
    return card_apply(
        person_id=person.pk,
        province_id=province,
        bank=BankAccount("中国工商银行", BANK_ACCOUNT),
        pin=pin,
        photo=one_face(),
        consent=Consent(True, "I consent."),
        actor=TEST_ACTOR,
    )


def issue(card: Card, *, day: datetime.date | None = None) -> Card:
    """Put the card's province's applications into production and return the maker's file for `card`."""
    batch = production_batch_create(province_id=card.province_id, actor=TEST_ACTOR)
    card.refresh_from_db()
    day = day or timezone.localdate()
    production_batch_return(
        batch=batch, content=f"card_number,issue_date\n{card.number},{day.isoformat()}\n", actor=TEST_ACTOR
    )
    card.refresh_from_db()
    return card


def enabled_card(person, *, province: str = "11", bank: bool = True) -> Card:
    card = card_enable(card=issue(apply_card(person, province=province)), actor=TEST_ACTOR)
    if bank:
        card = card_bank_activate(card=card, actor=TEST_ACTOR)
    return card
