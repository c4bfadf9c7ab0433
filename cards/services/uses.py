"""Using the card (一卡通, DOMAIN.md §5): uses at service points, cross-province medical filings, the
service points themselves, and the ledger of money paid into the card's bank account."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.services import service_point_create
from cards import ecard_tokens
from cards.models import (
    VALID_CARD_STATUSES,
    BankStatus,
    Card,
    CardAccountEntry,
    CardAccountEntryKind,
    CardUse,
    MedicalFiling,
    ServicePoint,
    ServicePointKind,
)
from cards.rules import PAYMENT_DOMAINS, use_acceptance
from cards.selectors import card_by_number, medical_filing_in_force
from cards.services.cards import card_pin_check
from cards.services.ecard import ecard_status_refusal, ecard_token_claims
from core.batch import Refusal, refusal_raise
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.money import money
from core.regions import PROVINCE_NAMES
from core.states import Actor

# --- service points ---------------------------------------------------------------------------------


@transaction.atomic
def service_point_register(
    *, username: str, password: str, province_id: str, kind: str, name: str
) -> ServicePoint:
    """A service point's account: a user of the service_point role, bound to its province and kind."""
    if kind not in ServicePointKind.values:
        raise ApplicationError(
            "service_point_kind_unknown",
            _("There is no such kind of service point."),
            fields={"kind": [kind]},
        )
    if not name.strip():
        raise ApplicationError(
            "service_point_name_required", _("A service point has a name."), fields={"name": [_("Required.")]}
        )
    if province_id not in PROVINCE_NAMES:
        raise ApplicationError(
            "province_unknown", _("There is no such province."), fields={"province": [province_id]}
        )
    user = service_point_create(username=username, password=password)
    return ServicePoint.objects.create(user=user, province_id=province_id, kind=kind, name=name.strip())


# --- uses ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Presented:
    """How the card was presented: its QR code (`token`), or the card itself in a terminal (`card_number`,
    with its `pin` for a payment)."""

    token: str = ""
    card_number: str = ""
    pin: str = ""


def _card_presented(*, presented: Presented, domain: str, actor: Actor) -> tuple[Card, bool]:
    if presented.token:
        claims = ecard_token_claims(token=presented.token)
        card = card_by_number(number=claims.card_number)
        if card is None:
            raise NotFoundError(_("No card has the number this code names."))
        if domain in PAYMENT_DOMAINS and claims.purpose != ecard_tokens.PAYMENT:
            raise ApplicationError(
                "card_use_payment_code_required",
                _("A payment needs a payment code, made with the electronic card's PIN."),
            )
        refused = ecard_status_refusal(card)
        if refused is not None:
            raise refused
        return card, True
    card = card_by_number(number=presented.card_number)
    if card is None:
        raise NotFoundError(_("No such card."))
    refused = ecard_status_refusal(card)
    if refused is not None:
        raise refused
    if domain in PAYMENT_DOMAINS:
        if not presented.pin:
            raise ApplicationError(
                "card_pin_required", _("A payment needs the card's PIN."), fields={"pin": [_("Required.")]}
            )
        card_pin_check(card=card, pin=presented.pin, actor=actor)
    return card, False


def card_use_record(
    *, point: ServicePoint, domain: str, amount: Decimal, presented: Presented, actor: Actor
) -> CardUse:
    """Record a use of a card at `point`, if the card is accepted there for `domain` (cards.rules): in its
    own province for everything, across the Yangtze River Delta for everything, elsewhere for social
    security and the bank function, and for medical settlement with a cross-province medical filing.
    A payment takes the card's PIN (or a payment code). The PIN is checked before anything is written,
    outside the transaction of the use, so that a wrong PIN counts even though the use is refused."""
    amount = money(amount)
    if amount < 0 or (domain in PAYMENT_DOMAINS and amount == 0):
        raise ApplicationError(
            "card_use_amount_invalid",
            _("A payment's amount is positive; no use has a negative amount."),
            fields={"amount": [str(amount)]},
        )
    card, by_ecard = _card_presented(presented=presented, domain=domain, actor=actor)
    acceptance = use_acceptance(
        domain=domain,
        card_province=card.province_id,
        point_province=point.province_id,
        point_kind=point.kind,
        has_medical_filing=medical_filing_in_force(person_id=card.person_id, province_id=point.province_id),
    )
    if acceptance.refusal is not None:
        raise acceptance.refusal
    with transaction.atomic():
        return CardUse.objects.create(
            person_id=card.person_id,
            card_id=card.pk,
            domain=domain,
            service_point_id=point.pk,
            province_id=point.province_id,
            amount=amount,
            by_ecard=by_ecard,
        )


# --- cross-province medical filings ------------------------------------------------------------------


@transaction.atomic
def medical_filing_register(
    *,
    person_id: int,
    province_id: str,
    valid_from: datetime.date,
    valid_until: datetime.date | None,
    registered_by_id: int | None,
) -> MedicalFiling:
    """Register a cross-province medical filing (异地就医备案) for care in `province_id`, which is not the
    province of the person's valid card."""
    if province_id not in PROVINCE_NAMES:
        raise ApplicationError(
            "province_unknown", _("There is no such province."), fields={"province": [province_id]}
        )
    if valid_until is not None and valid_until < valid_from:
        raise ApplicationError(
            "medical_filing_dates_invalid",
            _("The filing cannot end before it starts."),
            fields={"valid_until": [valid_until.isoformat()]},
        )
    card = Card.objects.filter(person_id=person_id, status__in=VALID_CARD_STATUSES).first()
    if card is None:
        raise ConflictError("card_none_valid", _("The person holds no valid card."))
    if card.province_id == province_id:
        raise ApplicationError(
            "medical_filing_home_province",
            _("A filing is for care outside the card's own province, where it is accepted anyway."),
            fields={"province": [province_id]},
        )
    try:
        with transaction.atomic():
            return MedicalFiling.objects.create(
                person_id=person_id,
                province_id=province_id,
                valid_from=valid_from,
                valid_until=valid_until,
                registered_by_id=registered_by_id,
            )
    except IntegrityError:
        raise ConflictError("medical_filing_exists", _("The same filing is already registered.")) from None


# --- the card's bank account ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credit:
    """Money to pay into a person's card: `reference` is the payer's, unique per person (a payment run's
    retry pays nothing twice)."""

    person_id: int
    kind: str
    amount: Decimal
    reference: str
    description: str = ""


@transaction.atomic
def card_accounts_credit(*, credits: Sequence[Credit]) -> tuple[list[int], list[Refusal]]:
    """Pay pensions, subsidies and benefits into the bank accounts of the people's valid cards, as
    entries of each card's ledger, in a few statements per chunk. A credit whose reference the person's
    ledger already holds is taken as paid (idempotent). Refused: a person with no valid card, a card
    whose bank function is not activated, an unknown kind or an amount that is not positive. Returns the
    indexes credited (or found credited already), and the refusals."""
    cards = {
        card.person_id: card
        for card in Card.objects.filter(
            person_id__in={credit.person_id for credit in credits}, status__in=VALID_CARD_STATUSES
        )
    }
    refusals: list[Refusal] = []
    entries: list[tuple[int, CardAccountEntry]] = []
    for index, credit in enumerate(credits):
        card = cards.get(credit.person_id)
        amount = money(credit.amount)
        refused: ApplicationError | None = None
        if credit.kind not in CardAccountEntryKind.values:
            refused = ApplicationError("card_credit_kind_unknown", _("There is no such kind of payment."))
        elif amount <= 0:
            refused = ApplicationError("card_credit_amount_invalid", _("A payment into a card is positive."))
        elif card is None:
            refused = ConflictError("card_none_valid", _("The person holds no valid card."))
        elif card.bank_status != BankStatus.ACTIVE:
            refused = ConflictError(
                "card_bank_not_activated", _("The card's bank function is not activated.")
            )
        if refused is not None:
            refusals.append(Refusal(index, refused, "person_id"))
            continue
        assert card is not None
        entries.append(
            (
                index,
                CardAccountEntry(
                    person_id=credit.person_id,
                    card_id=card.pk,
                    kind=credit.kind,
                    amount=amount,
                    reference=credit.reference,
                    description=credit.description,
                ),
            )
        )
    CardAccountEntry.objects.bulk_create([entry for _index, entry in entries], ignore_conflicts=True)
    return [index for index, _entry in entries], refusals


def card_account_credit(*, credit: Credit) -> None:
    """Pay one credit into a card (see `card_accounts_credit`)."""
    _credited, refusals = card_accounts_credit(credits=[credit])
    refusal_raise(refusals)
