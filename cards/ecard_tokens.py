"""The electronic card's token: what its QR code carries, and how anyone holding the published public
keys verifies it offline. No database, no Django: a service point's own code can run this module as is.

    <payload>.<signature>      both base64url without padding

The payload is compact JSON: `k` the key id, `c` the card number, `p` the purpose (`i` identity, `p`
payment), `e` the expiry (Unix seconds), `n` a random nonce that names this token (the online check
refuses a nonce seen before). The signature is Ed25519 over the payload's base64url text.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

IDENTITY = "i"
PAYMENT = "p"
PURPOSES = (IDENTITY, PAYMENT)


class TokenRefused(Exception):
    """Why a token is refused, as a stable code: malformed, forged, expired or unknown_key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Claims:
    kid: str
    card_number: str
    purpose: str
    expires_at: int
    nonce: str


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def token_sign(
    *,
    key: Ed25519PrivateKey,
    kid: str,
    card_number: str,
    purpose: str,
    lifetime: int,
    now: float | None = None,
) -> tuple[str, Claims]:
    """A new token and its claims, valid for `lifetime` seconds from `now`."""
    claims = Claims(
        kid=kid,
        card_number=card_number,
        purpose=purpose,
        expires_at=int(now if now is not None else time.time()) + lifetime,
        nonce=b64encode(secrets.token_bytes(12)),
    )
    payload = json.dumps(
        {
            "k": claims.kid,
            "c": claims.card_number,
            "p": claims.purpose,
            "e": claims.expires_at,
            "n": claims.nonce,
        },
        separators=(",", ":"),
    )
    encoded = b64encode(payload.encode())
    return f"{encoded}.{b64encode(key.sign(encoded.encode('ascii')))}", claims


class OfflineVerifier:
    """Verifies tokens against the published public keys (key id -> raw 32-byte key): the shape, the key,
    the signature, and the expiry, in that order."""

    def __init__(self, public_keys: Mapping[str, bytes]) -> None:
        self.keys = {kid: Ed25519PublicKey.from_public_bytes(raw) for kid, raw in public_keys.items()}

    def verify(self, token: str, *, now: float | None = None) -> Claims:
        encoded, dot, signature = token.partition(".")
        try:
            if not dot:
                raise ValueError
            fields = json.loads(b64decode(encoded))
            claims = Claims(
                kid=fields["k"],
                card_number=fields["c"],
                purpose=fields["p"],
                expires_at=fields["e"],
                nonce=fields["n"],
            )
            raw_signature = b64decode(signature)
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise TokenRefused("malformed") from None
        if not (
            isinstance(claims.kid, str)
            and isinstance(claims.card_number, str)
            and claims.purpose in PURPOSES
            and isinstance(claims.expires_at, int)
            and isinstance(claims.nonce, str)
        ):
            raise TokenRefused("malformed")
        key = self.keys.get(claims.kid)
        if key is None:
            raise TokenRefused("unknown_key")
        try:
            key.verify(raw_signature, encoded.encode("ascii"))
        except (InvalidSignature, UnicodeEncodeError):
            raise TokenRefused("forged") from None
        if claims.expires_at <= (now if now is not None else time.time()):
            raise TokenRefused("expired")
        return claims
