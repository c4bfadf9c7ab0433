"""Reads of cards, already restricted to what the caller may see: a citizen their own cards, agency staff
the cards their province issued, an administrator every card. A card outside the scope is answered
exactly as a missing one. The photo and the full bank account are read only here, and each read is
logged (PIPL Art. 28)."""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.scope import Scope
from cards.models import (
    VALID_CARD_STATUSES,
    Card,
    CardAccountEntry,
    CardDataRead,
    CardDataReadLog,
    CardNumber,
    CardPhoto,
    CardStatus,
    MedicalFiling,
    ProductionBatch,
    ServicePoint,
)
from core.crypto import decrypt_bytes, decrypt_text, keyed_hash
from core.exceptions import NotFoundError
from core.models import StateEvent
from core.sql import ModelColumns, prepared_cursor
from core.states import events_of
from insurance.models import InsuredPerson
from insurance.selectors import person_id_number_reveal


def cards_visible(*, scope: Scope) -> QuerySet[Card]:
    cards = Card.objects.all()
    if scope.is_administrator:
        return cards
    if scope.is_agency:
        return cards.filter(province_id=scope.province_code)
    if scope.id_number_hash:
        person = InsuredPerson.objects.filter(id_number_hash=scope.id_number_hash).values("pk")
        return cards.filter(person_id__in=person)
    return cards.none()


def cards_of_citizen(*, scope: Scope) -> QuerySet[Card]:
    """The citizen's cards, the newest application first: the valid card, an application in progress,
    the cards that ended."""
    return cards_visible(scope=scope).order_by("-applied_at", "-pk")


def card_current_of_citizen(*, scope: Scope) -> Card:
    """The citizen's card as they know it: the newest card (an application in progress counts; it is
    what they follow)."""
    card = cards_of_citizen(scope=scope).first()
    if card is None:
        raise NotFoundError(_("You have no social security card, nor an application for one."))
    return card


def card_valid_of_citizen(*, scope: Scope) -> Card:
    """The citizen's valid card (issued, not ended): the one lost, replaced, used or shown as an e-card."""
    card = cards_visible(scope=scope).filter(status__in=VALID_CARD_STATUSES).first()
    if card is None:
        raise NotFoundError(_("You hold no valid social security card."))
    return card


def card_replaceable_of_citizen(*, scope: Scope) -> Card:
    """The card a citizen's replacement replaces: the valid one, else the newest formally lost one."""
    card = (
        cards_visible(scope=scope)
        .filter(status__in=(*VALID_CARD_STATUSES, CardStatus.FORMALLY_LOST))
        .order_by("-applied_at", "-pk")
        .first()
    )
    if card is None:
        raise NotFoundError(_("You hold no card that can be replaced."))
    return card


def card_get(*, scope: Scope, card_id: int) -> Card:
    card = cards_visible(scope=scope).filter(pk=card_id).first()
    if card is None:
        raise NotFoundError(_("No such card."))
    return card


def card_by_number(*, number: str) -> Card | None:
    """Any card by its number, through the nationwide look-up (for a service point, which is not scoped
    to persons: it checks cards presented to it)."""
    found = CardNumber.objects.filter(number=number).first()
    if found is None:
        return None
    return Card.objects.filter(person_id=found.person_id, pk=found.card_id).first()


def cards_search(*, scope: Scope, number: str = "", id_number: str = "", status: str = "") -> QuerySet[Card]:
    cards = cards_visible(scope=scope)
    if number:
        cards = cards.filter(number=number)
    if id_number:
        person = InsuredPerson.objects.filter(id_number_hash=keyed_hash(id_number)).values("pk")
        cards = cards.filter(person_id__in=person)
    if status:
        cards = cards.filter(status=status)
    return cards.order_by("-applied_at", "-pk")


def card_events(*, card: Card) -> QuerySet[StateEvent]:
    return events_of(entity=Card, object_id=card.pk)


def valid_card_of_person(*, person_id: int) -> Card | None:
    """The person's valid card, if any: where a pension is paid and whose photo is the face reference."""
    return Card.objects.filter(person_id=person_id, status__in=VALID_CARD_STATUSES).first()


def _read_logged(*, card: Card, what: str, reader_id: int | None, purpose: str) -> None:
    CardDataReadLog.objects.create(
        person_id=card.person_id,
        card_id=card.pk,
        what=what,
        reader_id=reader_id,
        purpose=purpose[: CardDataReadLog._meta.get_field("purpose").max_length or 200],
    )


def card_photo_read(*, card: Card, reader_id: int | None, purpose: str) -> tuple[bytes, str] | None:
    """The card's face photo (content and media type), decrypted; the read is logged. None when the
    card has no photo (any more: it is deleted with the card's retention). Certification's face check
    reads the face reference here."""
    photo = CardPhoto.objects.filter(card_id=card.pk).first()
    if photo is None:
        return None
    _read_logged(card=card, what=CardDataRead.PHOTO, reader_id=reader_id, purpose=purpose)
    return decrypt_bytes(photo.ciphertext), photo.content_type


def card_bank_account_of(*, card: Card) -> str:
    """The full account number, for the card service's own use (a replacement keeps the account):
    never shown, never leaves the platform, so not logged."""
    return decrypt_text(card.bank_account_ciphertext)


def card_bank_account_reveal(*, card: Card, reader_id: int | None, purpose: str) -> str:
    """The card's full bank account number, for paying into it (certification's payment run); logged."""
    _read_logged(card=card, what=CardDataRead.BANK_ACCOUNT, reader_id=reader_id, purpose=purpose)
    return decrypt_text(card.bank_account_ciphertext)


def card_account_entries(*, card: Card) -> QuerySet[CardAccountEntry]:
    return CardAccountEntry.objects.filter(person_id=card.person_id, card_id=card.pk).order_by("-at", "-pk")


def medical_filing_in_force(*, person_id: int, province_id: str, day: datetime.date | None = None) -> bool:
    """Has the person a cross-province medical filing for `province_id` in force on `day` (today)?"""
    day = day or timezone.localdate()
    return (
        MedicalFiling.objects.filter(person_id=person_id, province_id=province_id, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .exists()
    )


def medical_filings_of(*, person_id: int) -> QuerySet[MedicalFiling]:
    return MedicalFiling.objects.filter(person_id=person_id).order_by("-valid_from", "-pk")


@dataclass(frozen=True, slots=True)
class VerificationFacts:
    """What an online check of a token needs besides the token: the card its number names (None: no
    such card), its holder's name and encrypted ID number, the checking service point (None: the account
    is no service point), and whether the holder has a medical filing in force in the point's province."""

    card: Card | None
    holder_name: str
    id_number_ciphertext: str
    point: ServicePoint | None
    has_medical_filing: bool


_CARD_COLUMNS = ModelColumns(Card, "card")
_POINT_COLUMNS = ModelColumns(ServicePoint, "point")
# card_by_number, service_point_of and medical_filing_in_force, and the holder's name and ID, in one
# statement: the online check runs on every presented code, and these four reads through the ORM cost
# more than the signature, the replay check and PostgreSQL together (bench/ecard_bench.py).
# tests/cards/test_selectors.py holds it to those reads.
_VERIFICATION_FACTS = f"""
    SELECT {_CARD_COLUMNS.sql}, person.name, person.id_number_ciphertext, {_POINT_COLUMNS.sql},
           point.user_id IS NOT NULL AND EXISTS (
               SELECT FROM {MedicalFiling._meta.db_table} filing
                WHERE filing.person_id = card.person_id AND filing.province_id = point.province_id
                  AND filing.valid_from <= %s AND (filing.valid_until IS NULL OR filing.valid_until >= %s))
      FROM (SELECT %s::bigint AS user_id) AS asking
      LEFT JOIN {ServicePoint._meta.db_table} point ON point.user_id = asking.user_id
      LEFT JOIN {CardNumber._meta.db_table} number ON number.number = %s
      LEFT JOIN {Card._meta.db_table} card ON card.person_id = number.person_id AND card.id = number.card_id
      LEFT JOIN {InsuredPerson._meta.db_table} person ON person.id = card.person_id
"""  # noqa: S608 - names from the models; values are parameters


def ecard_verification_facts(*, card_number: str, point_user_id: int) -> VerificationFacts:
    today = timezone.localdate()
    with prepared_cursor() as cursor:
        cursor.execute(_VERIFICATION_FACTS, [today, today, point_user_id, card_number])
        row = cursor.fetchone()
    cards_end = len(_CARD_COLUMNS)
    card_values, (name, ciphertext) = row[:cards_end], row[cards_end : cards_end + 2]
    point_values = row[cards_end + 2 : cards_end + 2 + len(_POINT_COLUMNS)]
    return VerificationFacts(
        card=_CARD_COLUMNS.instance(card_values) if card_values[0] is not None else None,
        holder_name=name or "",
        id_number_ciphertext=ciphertext or "",
        point=_POINT_COLUMNS.instance(point_values) if point_values[0] is not None else None,
        has_medical_filing=bool(row[-1]),
    )


def service_point_of(*, user_id: int) -> ServicePoint:
    point = ServicePoint.objects.filter(user_id=user_id).first()
    if point is None:
        raise NotFoundError(_("This account is not set up as a service point."))
    return point


def production_batches_visible(*, scope: Scope) -> QuerySet[ProductionBatch]:
    batches = ProductionBatch.objects.order_by("-created_at", "-pk")
    if scope.is_administrator:
        return batches
    if scope.is_agency:
        return batches.filter(province_id=scope.province_code)
    return batches.none()


def production_batch_get(*, scope: Scope, batch_id: int) -> ProductionBatch:
    batch = production_batches_visible(scope=scope).filter(pk=batch_id).first()
    if batch is None:
        raise NotFoundError(_("No such production batch."))
    return batch


# The columns of the file sent to the card maker: what is printed on the card's face (DOMAIN.md §5).
BATCH_FILE_COLUMNS = (
    "card_number", "name", "sex", "birth_date", "id_number", "province", "bank_name", "bank_account_masked",
)  # fmt: skip


def production_batch_file(*, batch: ProductionBatch, reader: User) -> str:
    """The batch as the card maker's CSV file. The maker prints the full social security number on the
    card's face, so each number is read through the registry's one full-ID reader, which logs it."""
    cards = list(Card.objects.filter(production_batch_id=batch.pk).order_by("pk"))
    people = InsuredPerson.objects.in_bulk([card.person_id for card in cards])
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(BATCH_FILE_COLUMNS)
    endpoint = f"cards/production-batches/{batch.pk}/file"
    for card in cards:
        person = people[card.person_id]
        writer.writerow(
            [
                card.number,
                person.name,
                person.sex,
                person.birth_date.isoformat(),
                person_id_number_reveal(reader=reader, person=person, endpoint=endpoint),
                card.province_id,
                card.bank_name,
                card.bank_account_masked,
            ]
        )
    return output.getvalue()
