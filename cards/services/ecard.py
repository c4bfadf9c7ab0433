"""The electronic card (电子社保卡): signing keys and their rotation, QR codes, and the online check a
service point makes (DOMAIN.md §5). The token itself, and its offline check, are `cards.ecard_tokens`."""

from __future__ import annotations

import datetime
import io
import secrets
import time
from dataclasses import dataclass
from threading import Lock

import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cards import ecard_tokens
from cards.models import Card, CardStatus, EcardSigningKey, ServicePoint
from cards.rules import DOMAINS_AT, use_acceptance
from cards.selectors import ecard_verification_facts
from cards.services.cards import card_pin_check
from core.crypto import decrypt_bytes, decrypt_text, encrypt_bytes
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.identity import mask_id_number
from core.states import Actor

# --- keys ---------------------------------------------------------------------------------------------


def _key_create(now: datetime.datetime) -> EcardSigningKey:
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return EcardSigningKey.objects.create(
        kid=secrets.token_hex(4),
        private_key_ciphertext=encrypt_bytes(raw_private).decode("ascii"),
        public_key=ecard_tokens.b64encode(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
        created_at=now,
    )


@transaction.atomic
def ecard_keys_rotate(*, now: datetime.datetime | None = None, force: bool = False) -> EcardSigningKey:
    """Start signing with a new key once the current one is ECARD_KEY_ROTATION_HOURS old (or at once,
    `force`); the old key stays published for ECARD_KEY_PUBLISHED_HOURS. Returns the signing key.
    Idempotent (a periodic task); two concurrent rotations make one key."""
    now = now or timezone.now()
    current = EcardSigningKey.objects.select_for_update().filter(signing=True).first()
    if current is not None:
        if not force and current.created_at > now - datetime.timedelta(
            hours=settings.ECARD_KEY_ROTATION_HOURS
        ):
            return current
        EcardSigningKey.objects.filter(pk=current.pk).update(signing=False, retired_at=now)
    # This process signs with the new key from its next token on (others within REREAD_SECONDS); were the
    # rotation rolled back, forgetting costs one re-read.
    SIGNING_KEY.forget()
    try:
        with transaction.atomic():
            return _key_create(now)
    except IntegrityError:  # a concurrent first key: take that one
        return EcardSigningKey.objects.get(signing=True)


class _SigningKey:
    """The current signing key, decrypted, re-read at most every few seconds: a token signed with a key
    that another process has just retired is still valid, since a retired key stays published."""

    REREAD_SECONDS = 10.0

    def __init__(self) -> None:
        self._key: tuple[str, Ed25519PrivateKey] | None = None
        self._read_at = 0.0

    def get(self) -> tuple[str, Ed25519PrivateKey]:
        if self._key is None or time.monotonic() - self._read_at > self.REREAD_SECONDS:
            key = EcardSigningKey.objects.filter(signing=True).first() or ecard_keys_rotate()
            if self._key is None or self._key[0] != key.kid:
                raw = decrypt_bytes(key.private_key_ciphertext.encode("ascii"))
                self._key = (key.kid, Ed25519PrivateKey.from_private_bytes(raw))
            self._read_at = time.monotonic()
        return self._key

    def forget(self) -> None:
        self._key = None


SIGNING_KEY = _SigningKey()


def ecard_public_keys(*, now: datetime.datetime | None = None) -> list[EcardSigningKey]:
    """The keys a service point verifies with: the signing key and those retired within the window."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=settings.ECARD_KEY_PUBLISHED_HOURS)
    keys = EcardSigningKey.objects.filter(signing=True) | EcardSigningKey.objects.filter(
        retired_at__gte=since
    )
    return list(keys.order_by("-created_at"))


class _PublishedKeys:
    """The published keys as an offline verifier, re-read at most every few seconds, and at once when a
    token names a key not seen yet (a rotation on another process)."""

    REFRESH_SECONDS = 10.0

    def __init__(self) -> None:
        self._lock = Lock()
        self._verifier = ecard_tokens.OfflineVerifier({})
        self._read_at = 0.0

    def _refresh(self) -> None:
        keys = {key.kid: ecard_tokens.b64decode(key.public_key) for key in ecard_public_keys()}
        with self._lock:
            self._verifier = ecard_tokens.OfflineVerifier(keys)
            self._read_at = time.monotonic()

    def forget(self) -> None:
        self._read_at = 0.0

    def verify(self, token: str) -> ecard_tokens.Claims:
        if time.monotonic() - self._read_at > self.REFRESH_SECONDS:
            self._refresh()
        try:
            return self._verifier.verify(token)
        except ecard_tokens.TokenRefused as refused:
            if refused.reason != "unknown_key":
                raise
            self._refresh()
            return self._verifier.verify(token)


PUBLISHED_KEYS = _PublishedKeys()

# --- the card's state, as the electronic card sees it ----------------------------------------------------


def ecard_status_refusal(card: Card) -> ApplicationError | None:
    """Why the card cannot be used as an electronic card now, or None: only a card whose social-security
    function is enabled can."""
    status = card.status
    fields = {"status": [status]}
    if status == CardStatus.ENABLED:
        return None
    if status in (CardStatus.TEMPORARILY_LOST, CardStatus.FORMALLY_LOST):
        return ConflictError("card_lost", _("The card is reported lost."), fields=fields)
    if status == CardStatus.LOCKED:
        return ConflictError("card_locked", _("The card is locked."), fields=fields)
    if status == CardStatus.SEALED:
        return ConflictError("card_sealed", _("The card is sealed."), fields=fields)
    if status == CardStatus.CANCELLED:
        return ConflictError("card_cancelled", _("The card is cancelled."), fields=fields)
    if status == CardStatus.REPLACED:
        return ConflictError(
            "card_superseded", _("The card has been replaced by a newer card."), fields=fields
        )
    return ConflictError(
        "card_not_enabled", _("The card's social-security function is not enabled."), fields=fields
    )


# --- QR codes -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IssuedQr:
    token: str
    expires_at: datetime.datetime
    image: bytes
    content_type: str


def ecard_token_sign(
    *, card_number: str, purpose: str, lifetime: int | None = None
) -> tuple[str, ecard_tokens.Claims]:
    """A token for the card, signed with the current key, valid for `lifetime` (ECARD_TOKEN_TTL_SECONDS)."""
    kid, key = SIGNING_KEY.get()
    return ecard_tokens.token_sign(
        key=key,
        kid=kid,
        card_number=card_number,
        purpose=purpose,
        lifetime=settings.ECARD_TOKEN_TTL_SECONDS if lifetime is None else lifetime,
    )


def ecard_qr_issue(
    *, card: Card, purpose: str, actor: Actor, ecard_pin: str = "", image_format: str = "svg"
) -> IssuedQr:
    """A QR code of a fresh token for `card`: for showing who one is (`identity`) or for paying
    (`payment`, which takes the electronic card's PIN). Not inside a transaction: a wrong PIN's count is
    committed (cards.services.cards.card_pin_check)."""
    refused = ecard_status_refusal(card)
    if refused is not None:
        raise refused
    if purpose == ecard_tokens.PAYMENT:
        if not ecard_pin:
            raise ApplicationError(
                "ecard_pin_required",
                _("A payment code needs the electronic card's PIN."),
                fields={"ecard_pin": [_("Required for a payment code.")]},
            )
        card_pin_check(card=card, pin=ecard_pin, actor=actor, which="ecard")
    token, claims = ecard_token_sign(card_number=card.number, purpose=purpose)
    qr = segno.make(token, error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind=image_format, scale=4, border=2)
    return IssuedQr(
        token=token,
        expires_at=datetime.datetime.fromtimestamp(claims.expires_at, tz=datetime.UTC),
        image=buffer.getvalue(),
        content_type="image/svg+xml" if image_format == "svg" else "image/png",
    )


# --- the online check -----------------------------------------------------------------------------------


def _token_refusal(reason: str) -> ApplicationError:
    """The API's refusal of a token the offline check refused (cards.ecard_tokens.TokenRefused)."""
    if reason == "forged":
        message = _("The code's signature is not the platform's: it was forged or altered.")
        return ApplicationError("ecard_token_forged", message, fields={"token": [message]})
    if reason == "expired":
        message = _("The code has expired: ask for a fresh one.")
        return ApplicationError("ecard_token_expired", message, fields={"token": [message]})
    if reason == "unknown_key":
        message = _("The code is signed with a key the platform does not publish.")
        return ApplicationError("ecard_token_unknown_key", message, fields={"token": [message]})
    message = _("The code is not an electronic card's code.")
    return ApplicationError("ecard_token_malformed", message, fields={"token": [message]})


@dataclass(frozen=True, slots=True)
class AllowedUse:
    domain: str
    accepted: bool
    code: str
    reason: str


@dataclass(frozen=True, slots=True)
class Verified:
    card: Card
    purpose: str
    name_masked: str
    id_number_masked: str
    uses: list[AllowedUse]


def _name_mask(name: str) -> str:
    """张*: the family name (the first character) only."""
    return name[:1] + "*" * max(len(name) - 1, 1)


def ecard_token_claims(*, token: str) -> ecard_tokens.Claims:
    """The token's claims, once its shape, key, signature and expiry check out, and it has not been
    presented before: each token is accepted once, and Redis holds its nonce for the token's lifetime."""
    try:
        claims = PUBLISHED_KEYS.verify(token)
    except ecard_tokens.TokenRefused as refused:
        raise _token_refusal(refused.reason) from None
    lifetime = max(int(claims.expires_at - time.time()) + 1, 1)
    if not cache.add(f"ecard:seen:{claims.kid}:{claims.nonce}", 1, timeout=lifetime):
        message = _("The code has been presented before: ask for a fresh one.")
        raise ConflictError("ecard_token_replayed", message, fields={"token": [message]})
    return claims


def _uses_allowed(*, card: Card, point: ServicePoint, has_medical_filing: bool) -> list[AllowedUse]:
    """What the card may be used for at this service point, each with its refusal's code and reason."""
    uses = []
    for domain in DOMAINS_AT[point.kind]:
        acceptance = use_acceptance(
            domain=domain,
            card_province=card.province_id,
            point_province=point.province_id,
            point_kind=point.kind,
            has_medical_filing=has_medical_filing,
        )
        refusal = acceptance.refusal
        uses.append(
            AllowedUse(
                domain, refusal is None, refusal.code if refusal else "", refusal.message if refusal else ""
            )
        )
    return uses


def ecard_verify_online(*, token: str, point_user_id: int) -> Verified:
    """A service point's online check of a presented code: the token (as offline), once only, and the
    card's status now. After the signature and the replay check, one read (cards.selectors.
    ecard_verification_facts) brings the card, its holder, the service point and the medical filing."""
    claims = ecard_token_claims(token=token)
    facts = ecard_verification_facts(card_number=claims.card_number, point_user_id=point_user_id)
    if facts.point is None:
        raise NotFoundError(_("This account is not set up as a service point."))
    if facts.card is None:
        raise ApplicationError(
            "ecard_card_unknown", _("No card has the number this code names."), status_code=404
        )
    refused = ecard_status_refusal(facts.card)
    if refused is not None:
        raise refused
    return Verified(
        card=facts.card,
        purpose=claims.purpose,
        name_masked=_name_mask(facts.holder_name),
        id_number_masked=mask_id_number(decrypt_text(facts.id_number_ciphertext)),
        uses=_uses_allowed(card=facts.card, point=facts.point, has_medical_filing=facts.has_medical_filing),
    )
