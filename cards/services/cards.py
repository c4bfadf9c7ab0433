"""The card's lifecycle (DOMAIN.md §5): applying, replacing, the moves of a card, its PINs, and the end
of its photo. One service per move; each move goes through `cards.states`, which writes its event."""

from __future__ import annotations

import datetime
import re
import secrets
import string
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cards.models import (
    ENDED_CARD_STATUSES,
    PENDING_CARD_STATUSES,
    USABLE_CARD_STATUSES,
    VALID_CARD_STATUSES,
    BankStatus,
    Card,
    CardNumber,
    CardPhoto,
    CardStatus,
    ReplacementReason,
)
from cards.photos import Photo
from cards.rules import card_rules_for, valid_until
from cards.selectors import card_bank_account_of
from cards.states import BANK_STATES, CARD_STATES
from core.crypto import encrypt_bytes, encrypt_text
from core.exceptions import ApplicationError, ConflictError
from core.regions import PROVINCE_NAMES
from core.sql import AnyOf
from core.states import Actor
from insurance.hooks import DeathRecorded
from insurance.models import InsuredPerson, PersonStatus

_PIN = re.compile(r"\d{6}")
_BANK_ACCOUNT = re.compile(r"\d{12,30}")
# Card numbers: a letter and eight digits, drawn at random, so that a number says nothing about its holder
# or its order of issue.
_NUMBER_LETTERS = string.ascii_uppercase


def _field_error(code: str, field: str, message: str) -> ApplicationError:
    return ApplicationError(code, message, fields={field: [message]})


def _pin_hash(pin: str, *, field: str = "pin") -> str:
    if not _PIN.fullmatch(pin) or len(set(pin)) == 1:
        raise _field_error("card_pin_format", field, _("A PIN is six digits, not all the same."))
    return make_password(pin)


def bank_account_checked(account: str) -> str:
    """The account number without spaces; refused unless 12 to 30 digits (a card's, a survivor's)."""
    account = account.replace(" ", "")
    if not _BANK_ACCOUNT.fullmatch(account):
        raise _field_error(
            "card_bank_account_format", "bank_account", _("A bank account number is 12 to 30 digits.")
        )
    return account


def bank_account_mask(account: str) -> str:
    """`6222 **** **** 1234`: the first four and the last four digits."""
    return f"{account[:4]} **** **** {account[-4:]}"


@dataclass(frozen=True, slots=True)
class BankAccount:
    name: str
    number: str


@dataclass(frozen=True, slots=True)
class Consent:
    """The holder's consent to keeping their face photo (PIPL Art. 29: separate consent)."""

    given: bool
    text: str


def _consent_checked(consent: Consent) -> Consent:
    if not consent.given or not consent.text.strip():
        raise _field_error(
            "card_photo_consent_required",
            "consent",
            _("The face photo is kept only with the holder's separate consent."),
        )
    return consent


def _card_number_reserve(card: Card) -> None:
    """Give `card` a number nobody's card has had, through the nationwide look-up table."""
    for _attempt in range(10):
        number = secrets.choice(_NUMBER_LETTERS) + f"{secrets.randbelow(10**8):08d}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {CardNumber._meta.db_table} (number, person_id, card_id) VALUES (%s, %s, %s)
                    ON CONFLICT (number) DO NOTHING RETURNING number""",  # noqa: S608 - the model's table
                [number, card.person_id, card.pk],
            )
            if cursor.fetchone() is not None:
                Card.objects.filter(pk=card.pk).update(number=number)
                card.number = number
                return
    raise RuntimeError("No free card number after ten draws: the number space is nearly full.")


def _card_create(
    *,
    person_id: int,
    province_id: str,
    bank: BankAccount,
    pin_hash: str,
    actor: Actor,
    reason: str,
    replaces: Card | None = None,
    replacement_reason: str = "",
) -> Card:
    card = Card(
        person_id=person_id,
        number=f"-{secrets.token_hex(7)}",  # a placeholder until the number is reserved
        province_id=province_id,
        bank_name=bank.name,
        bank_account_masked=bank_account_mask(bank.number),
        bank_account_ciphertext=encrypt_text(bank.number),
        pin_hash=pin_hash,
        ecard_pin_hash=replaces.ecard_pin_hash if replaces else "",
        replaces_id=replaces.pk if replaces else None,
        replacement_reason=replacement_reason,
    )
    try:
        with transaction.atomic():
            card.save()
    except IntegrityError:
        raise ConflictError(
            "card_application_pending", _("A card application of this person is already in progress.")
        ) from None
    _card_number_reserve(card)
    CARD_STATES.record_created([(card.pk, CardStatus.APPLIED, person_id)], actor=actor, reason=reason)
    return card


def _photo_store(*, card: Card, photo: Photo, consent: Consent) -> None:
    CardPhoto.objects.create(
        card=card,
        person_id=card.person_id,
        content_type=photo.content_type,
        ciphertext=encrypt_bytes(photo.content),
        consent_at=timezone.now(),
        consent_text=consent.text.strip(),
    )


def _person_locked(person_id: int) -> InsuredPerson:
    """The person, locked: applications of one person are decided one at a time."""
    person = InsuredPerson.objects.select_for_update().filter(pk=person_id).first()
    if person is None:
        raise ApplicationError("person_not_found", _("No such insured person."), status_code=404)
    if person.status == PersonStatus.DECEASED:
        raise ConflictError("person_deceased", _("The person is deceased."))
    return person


@transaction.atomic
def card_apply(
    *,
    person_id: int,
    province_id: str,
    bank: BankAccount,
    pin: str,
    photo: Photo,
    consent: Consent,
    actor: Actor,
) -> Card:
    """A first card, or a new one after the last ended (formally lost with no replacement, cancelled):
    refused while the person holds a valid card (they apply for a replacement of it) or has an
    application in progress."""
    if province_id not in PROVINCE_NAMES:
        raise _field_error("province_unknown", "province", _("There is no such province."))
    bank = BankAccount(bank.name.strip(), bank_account_checked(bank.number))
    pin_hash = _pin_hash(pin)
    consent = _consent_checked(consent)
    _person_locked(person_id)
    if Card.objects.filter(person_id=person_id, status__in=VALID_CARD_STATUSES).exists():
        raise ConflictError(
            "card_already_held", _("The person holds a valid card: apply for a replacement of it instead.")
        )
    card = _card_create(
        person_id=person_id,
        province_id=province_id,
        bank=bank,
        pin_hash=pin_hash,
        actor=actor,
        reason="Applied",
    )
    _photo_store(card=card, photo=photo, consent=consent)
    return card


@transaction.atomic
def card_replacement_apply(
    *,
    card: Card,
    reason: str,
    actor: Actor,
    province_id: str | None = None,
    bank: BankAccount | None = None,
    photo: Photo | None = None,
    consent: Consent | None = None,
) -> Card:
    """Apply for a card to replace `card`, which stays as it is until the new one is issued (and then
    becomes replaced). A move to another province is issued by the new province; a change of bank needs
    the new bank account. The PIN, the electronic card's PIN and, unless a new one is given, the photo
    carry over."""
    if reason not in ReplacementReason.values:
        raise _field_error(
            "card_replacement_reason_unknown", "reason", _("There is no such replacement reason.")
        )
    old = Card.objects.select_for_update().get(pk=card.pk)
    if old.status not in (*VALID_CARD_STATUSES, CardStatus.FORMALLY_LOST):
        raise ConflictError("card_not_replaceable", _("Only a valid or formally lost card can be replaced."))
    if reason == ReplacementReason.PROVINCE_MOVE:
        if province_id is None or province_id == old.province_id or province_id not in PROVINCE_NAMES:
            raise _field_error(
                "card_replacement_province_required",
                "province",
                _("A move to another province names that province, which issues the new card."),
            )
        new_province = province_id
    else:
        new_province = old.province_id
    if reason == ReplacementReason.CHANGED_BANK and bank is None:
        raise _field_error(
            "card_replacement_bank_required", "bank_account", _("A change of bank names the new account.")
        )
    if bank is not None:
        bank = BankAccount(bank.name.strip(), bank_account_checked(bank.number))
    else:
        bank = BankAccount(old.bank_name, card_bank_account_of(card=old))
    if photo is not None:
        consent = _consent_checked(consent or Consent(False, ""))
    _person_locked(old.person_id)
    new = _card_create(
        person_id=old.person_id,
        province_id=new_province,
        bank=bank,
        pin_hash=old.pin_hash,
        actor=actor,
        reason=f"Replacement of card {old.number}: {reason}",
        replaces=old,
        replacement_reason=reason,
    )
    if photo is not None and consent is not None:
        _photo_store(card=new, photo=photo, consent=consent)
    else:
        kept = CardPhoto.objects.filter(card_id=old.pk).first()
        if kept is not None:
            CardPhoto.objects.create(
                card=new,
                person_id=new.person_id,
                content_type=kept.content_type,
                ciphertext=kept.ciphertext,
                consent_at=kept.consent_at,
                consent_text=kept.consent_text,
            )
    return new


def _refused_move(card: Card, code: str, message: str) -> ConflictError:
    return ConflictError(code, message, fields={"status": [card.status]})


@transaction.atomic
def cards_issue(*, card_ids: Sequence[int], issue_dates: Sequence[datetime.date], actor: Actor) -> list[int]:
    """Mark cards in production issued (the card maker's returned file), each valid by its holder's age
    on its issue date, and supersede the cards they replace: those become replaced in the same
    transaction, so that the person has one valid card throughout. Returns the ids of the cards issued;
    cards no longer in production (cancelled meanwhile) are left out."""
    cards = {
        card.pk: card
        for card in Card.objects.select_for_update()
        .filter(pk__in=card_ids, status=CardStatus.IN_PRODUCTION)
        .order_by("pk")
    }
    births = dict(
        InsuredPerson.objects.filter(pk__in={card.person_id for card in cards.values()}).values_list(
            "pk", "birth_date"
        )
    )
    rules = {
        province: card_rules_for(province_id=province) for province in {c.province_id for c in cards.values()}
    }
    chosen = [(pk, day) for pk, day in zip(card_ids, issue_dates, strict=True) if pk in cards]
    replaced = [cards[pk].replaces_id for pk, _day in chosen if cards[pk].replaces_id is not None]
    if replaced:
        now = timezone.now()
        superseded = [
            pk
            for pk in Card.objects.filter(pk__in=replaced, status__in=VALID_CARD_STATUSES).values_list(
                "pk", flat=True
            )
        ]
        CARD_STATES.move_many(
            superseded,
            to=CardStatus.REPLACED,
            actor=actor,
            reason="Superseded by its replacement's issue",
            values={"ended_at": [now] * len(superseded), "resume_status": [""] * len(superseded)},
        )
    moved = CARD_STATES.move_many(
        [pk for pk, _day in chosen],
        to=CardStatus.ISSUED,
        actor=actor,
        reason="Issued by the card maker",
        sources=[CardStatus.IN_PRODUCTION],
        values={
            "issue_date": [day for _pk, day in chosen],
            "valid_until": [
                valid_until(
                    birth_date=births[cards[pk].person_id],
                    issue_date=day,
                    rules=rules[cards[pk].province_id],
                )
                for pk, day in chosen
            ],
        },
    )
    return [m.pk for m in moved]


@transaction.atomic
def card_enable(*, card: Card, actor: Actor) -> Card:
    """Enable the social-security function of a collected card (at a window, through the e-card, 12333)."""
    if card.status != CardStatus.ISSUED:
        raise _refused_move(
            card, "card_not_issued", _("Only an issued card, not yet enabled, can be enabled.")
        )
    CARD_STATES.move(
        card.pk, to=CardStatus.ENABLED, actor=actor, reason="Enabled", sources=[CardStatus.ISSUED]
    )
    return Card.objects.get(pk=card.pk)


@transaction.atomic
def card_bank_activate(*, card: Card, actor: Actor) -> Card:
    """Activate the bank function (at the service bank), separately from the social-security function."""
    if card.status not in USABLE_CARD_STATUSES:
        raise _refused_move(
            card, "card_not_usable", _("The card is not in use (lost, locked, sealed or ended).")
        )
    if card.bank_status == BankStatus.ACTIVE:
        raise _refused_move(card, "card_bank_already_active", _("The bank function is already activated."))
    BANK_STATES.move(card.pk, to=BankStatus.ACTIVE, actor=actor, reason="Bank function activated")
    return Card.objects.get(pk=card.pk)


def _suspend(card: Card, *, to: str, actor: Actor, reason: str, extra: dict | None = None) -> Card:
    """Move a valid card to a suspension (temporarily lost, locked, sealed), remembering where it resumes."""
    current = Card.objects.select_for_update().get(pk=card.pk)
    resume = current.status if current.status in USABLE_CARD_STATUSES else current.resume_status
    values = {"resume_status": resume, **(extra or {})}
    CARD_STATES.move(current.pk, to=to, actor=actor, reason=reason, sources=[current.status], values=values)
    return Card.objects.get(pk=card.pk)


def _resume(card: Card, *, source: str, actor: Actor, reason: str, extra: dict | None = None) -> Card:
    current = Card.objects.select_for_update().get(pk=card.pk)
    values = {"resume_status": "", **(extra or {})}
    CARD_STATES.move(
        current.pk, to=current.resume_status, actor=actor, reason=reason, sources=[source], values=values
    )
    return Card.objects.get(pk=card.pk)


def _card_locked_for_move(card: Card) -> Card:
    return Card.objects.select_for_update().get(pk=card.pk)


@transaction.atomic
def card_report_lost(*, card: Card, formal: bool, actor: Actor, reason: str = "") -> Card:
    """Report a card lost: temporarily (by phone or online; it lapses after the province's days unless
    withdrawn or made formal) or formally (in person; irreversible)."""
    current = _card_locked_for_move(card)
    if current.status == CardStatus.FORMALLY_LOST or (
        current.status == CardStatus.TEMPORARILY_LOST and not formal
    ):
        raise _refused_move(current, "card_already_reported_lost", _("The card is already reported lost."))
    if current.status not in VALID_CARD_STATUSES or (current.status == CardStatus.SEALED):
        raise _refused_move(
            current, "card_not_usable", _("The card is not in use (lost, locked, sealed or ended).")
        )
    if formal:
        CARD_STATES.move(
            current.pk,
            to=CardStatus.FORMALLY_LOST,
            actor=actor,
            reason=reason or "Formally reported lost",
            sources=[current.status],
            values={"ended_at": timezone.now(), "resume_status": "", "temporarily_lost_at": None},
        )
        return Card.objects.get(pk=card.pk)
    return _suspend(
        current,
        to=CardStatus.TEMPORARILY_LOST,
        actor=actor,
        reason=reason or "Temporarily reported lost",
        extra={"temporarily_lost_at": timezone.now()},
    )


def _replacement_pending(card: Card) -> bool:
    return Card.objects.filter(
        person_id=card.person_id, replaces_id=card.pk, status__in=PENDING_CARD_STATUSES
    ).exists()


@transaction.atomic
def card_loss_withdraw(*, card: Card, actor: Actor, reason: str = "") -> Card:
    """Withdraw a temporary loss: the card returns to where it was. Refused once a replacement of the
    card has been applied for (the card then ends when the replacement is issued)."""
    current = _card_locked_for_move(card)
    if current.status != CardStatus.TEMPORARILY_LOST:
        raise _refused_move(
            current, "card_not_temporarily_lost", _("The card is not temporarily reported lost.")
        )
    if _replacement_pending(current):
        raise _refused_move(
            current, "card_replacement_applied", _("A replacement of this card has been applied for.")
        )
    return _resume(
        current,
        source=CardStatus.TEMPORARILY_LOST,
        actor=actor,
        reason=reason or "Temporary loss withdrawn",
        extra={"temporarily_lost_at": None},
    )


@transaction.atomic
def cards_temporary_loss_lapse(*, now: datetime.datetime | None = None) -> int:
    """Let temporary losses older than their province's days lapse: the cards return to use, except those
    whose replacement has been applied for. Returns how many lapsed. Idempotent (a periodic task)."""
    now = now or timezone.now()
    actor = Actor.periodic("cards.temporary_loss_lapse")
    lapsed = 0
    lost = Card.objects.filter(status=CardStatus.TEMPORARILY_LOST).values_list(
        "pk", "province_id", "temporarily_lost_at", "resume_status", "person_id"
    )
    pending = set(
        Card.objects.filter(status__in=PENDING_CARD_STATUSES, replaces_id__isnull=False).values_list(
            "replaces_id", flat=True
        )
    )
    rules: dict[str, int] = {}
    due: dict[str, list[int]] = {}
    for pk, province, since, resume, _person in lost:
        if province not in rules:
            rules[province] = card_rules_for(province_id=province).temporary_loss_days
        if (
            pk not in pending
            and since is not None
            and since <= now - datetime.timedelta(days=rules[province])
        ):
            due.setdefault(resume, []).append(pk)
    for resume, pks in due.items():
        lapsed += len(
            CARD_STATES.move_many(
                pks,
                to=resume,
                actor=actor,
                reason="Temporary loss lapsed",
                sources=[CardStatus.TEMPORARILY_LOST],
                values={"resume_status": [""] * len(pks), "temporarily_lost_at": [None] * len(pks)},
            )
        )
    return lapsed


@transaction.atomic
def card_lock(*, card: Card, actor: Actor, reason: str) -> Card:
    current = _card_locked_for_move(card)
    if current.status not in USABLE_CARD_STATUSES:
        raise _refused_move(
            current, "card_not_usable", _("The card is not in use (lost, locked, sealed or ended).")
        )
    return _suspend(current, to=CardStatus.LOCKED, actor=actor, reason=reason)


@transaction.atomic
def card_unlock(*, card: Card, actor: Actor, reason: str = "") -> Card:
    """Unlock a locked card (at a window): it returns to where it was, and the wrong PINs are forgotten."""
    current = _card_locked_for_move(card)
    if current.status != CardStatus.LOCKED:
        raise _refused_move(current, "card_not_locked", _("The card is not locked."))
    return _resume(
        current,
        source=CardStatus.LOCKED,
        actor=actor,
        reason=reason or "Unlocked",
        extra={"pin_failures": 0, "ecard_pin_failures": 0},
    )


@transaction.atomic
def card_seal(*, card: Card, actor: Actor, reason: str) -> Card:
    current = _card_locked_for_move(card)
    if current.status not in (*USABLE_CARD_STATUSES, CardStatus.LOCKED):
        raise _refused_move(
            current, "card_not_usable", _("The card is not in use (lost, locked, sealed or ended).")
        )
    return _suspend(current, to=CardStatus.SEALED, actor=actor, reason=reason)


@transaction.atomic
def card_unseal(*, card: Card, actor: Actor, reason: str = "") -> Card:
    current = _card_locked_for_move(card)
    if current.status != CardStatus.SEALED:
        raise _refused_move(current, "card_not_sealed", _("The card is not sealed."))
    return _resume(current, source=CardStatus.SEALED, actor=actor, reason=reason or "Unsealed")


@transaction.atomic
def card_cancel(*, card: Card, actor: Actor, reason: str) -> Card:
    """Cancel a card (emigration; a death cancels through `cards_cancel_on_death`)."""
    current = _card_locked_for_move(card)
    if current.status in ENDED_CARD_STATUSES:
        raise _refused_move(current, "card_ended", _("The card has already ended."))
    CARD_STATES.move(
        current.pk,
        to=CardStatus.CANCELLED,
        actor=actor,
        reason=reason,
        sources=[current.status],
        values={"ended_at": timezone.now(), "resume_status": ""},
    )
    return Card.objects.get(pk=card.pk)


def cards_cancel_on_death(deaths: Sequence[DeathRecorded], actor: Actor) -> None:
    """insurance.hooks.DEATH_HOOKS: every card of the dead that has not ended is cancelled (an
    application in progress too), in the transaction that records the deaths, in one statement."""
    pks = list(
        Card.objects.filter(AnyOf(F("person_id"), [death.person_id for death in deaths]))
        .exclude(status__in=ENDED_CARD_STATUSES)
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    CARD_STATES.move_many(
        pks,
        to=CardStatus.CANCELLED,
        actor=actor,
        reason="Death of the holder",
        values={"ended_at": [now] * len(pks), "resume_status": [""] * len(pks)},
    )


# --- PINs ---------------------------------------------------------------------------------------------

_PIN_COLUMNS = {"card": ("pin_hash", "pin_failures"), "ecard": ("ecard_pin_hash", "ecard_pin_failures")}


def card_pin_check(*, card: Card, pin: str, actor: Actor, which: str = "card") -> None:
    """Check the card's PIN (`which`="card") or the electronic card's ("ecard"). A wrong PIN counts, and
    is committed as counted, whatever the caller does next; the province's limit of wrong PINs in a row
    locks the card. Called outside any transaction, so that a refusal's count is not rolled back with
    the refused request."""
    hash_column, failures_column = _PIN_COLUMNS[which]
    current = Card.objects.get(pk=card.pk)
    if current.status == CardStatus.LOCKED:
        raise _refused_move(current, "card_locked", _("The card is locked: too many wrong PINs."))
    if current.status not in USABLE_CARD_STATUSES:
        raise _refused_move(
            current, "card_not_usable", _("The card is not in use (lost, locked, sealed or ended).")
        )
    stored = getattr(current, hash_column)
    if not stored:
        raise _refused_move(current, "ecard_pin_not_set", _("The electronic card's PIN has not been set."))
    if check_password(pin, stored):
        if getattr(current, failures_column):
            Card.objects.filter(pk=card.pk).update(**{failures_column: 0})
        return
    limit = card_rules_for(province_id=current.province_id).pin_attempt_limit
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {Card._meta.db_table} SET {failures_column} = {failures_column} + 1"  # noqa: S608
                " WHERE id = %s RETURNING "
                + failures_column,  # names from this module; values are parameters
                [card.pk],
            )
            failures = cursor.fetchone()[0]
        if failures >= limit:
            moved = CARD_STATES.move_many(
                [card.pk],
                to=CardStatus.LOCKED,
                actor=actor,
                reason=f"{failures} wrong PINs in a row",
                sources=USABLE_CARD_STATUSES,
                values={"resume_status": [current.status]},
            )
        else:
            moved = []
    if moved:  # raised outside the block, which commits the count and the lock
        raise _refused_move(current, "card_locked", _("The card is locked: too many wrong PINs."))
    raise ApplicationError(
        "card_pin_wrong",
        _("The PIN is wrong: %(left)d tries left before the card locks.")
        % {"left": max(limit - failures, 0)},
        fields={"pin": [_("The PIN is wrong.")], "tries_left": [max(limit - failures, 0)]},
    )


def card_pin_change(*, card: Card, current_pin: str, new_pin: str, actor: Actor) -> None:
    new_hash = _pin_hash(new_pin, field="new_pin")
    card_pin_check(card=card, pin=current_pin, actor=actor)
    Card.objects.filter(pk=card.pk).update(pin_hash=new_hash)


def ecard_pin_set(*, card: Card, current_pin: str, new_pin: str, actor: Actor) -> None:
    """Set the electronic card's own PIN (DOMAIN.md §5): the first time with the card's PIN, afterwards
    with the electronic card's current PIN."""
    new_hash = _pin_hash(new_pin, field="new_pin")
    which = "ecard" if card.ecard_pin_hash else "card"
    card_pin_check(card=card, pin=current_pin, actor=actor, which=which)
    Card.objects.filter(pk=card.pk).update(ecard_pin_hash=new_hash)


def card_photos_purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the face photos of cards that ended more than CARD_PHOTO_RETENTION_DAYS ago (the card's
    retention). Returns how many were deleted. Idempotent (a periodic task)."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.CARD_PHOTO_RETENTION_DAYS)
    deleted, _counts = CardPhoto.objects.filter(card__ended_at__lt=cutoff).delete()
    return deleted
