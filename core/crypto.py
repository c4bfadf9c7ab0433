"""Identity numbers at rest: encrypted (Fernet, rotatable keys) plus a keyed hash for exact look-up.

A database dump alone reveals neither: the ciphertext needs IDENTITY_ENCRYPTION_KEYS and the HMAC digest
cannot be reversed or brute-forced over the small ID space without IDENTITY_HMAC_KEY.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@cache
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.IDENTITY_ENCRYPTION_KEYS])


def encrypt_text(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


@cache
def _keyed_sha256(key: str) -> hmac.HMAC:
    return hmac.new(key.encode(), digestmod=hashlib.sha256)


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 as 64 hex characters: equal inputs give equal digests, so it serves exact look-up."""
    # A copy of the keyed state skips hashing the key again: an import hashes every ID number it meets.
    digest = _keyed_sha256(settings.IDENTITY_HMAC_KEY).copy()
    digest.update(value.encode())
    return digest.hexdigest()


def encrypt_bytes(value: bytes) -> bytes:
    """Binary data at rest (a face photo, a signing key), with the identity keys and their rotation."""
    return _fernet().encrypt(value)


def decrypt_bytes(token: bytes) -> bytes:
    return _fernet().decrypt(bytes(token))
