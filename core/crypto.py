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


def keyed_hash(value: str) -> str:
    """HMAC-SHA256 as 64 hex characters: equal inputs give equal digests, so it serves exact look-up."""
    return hmac.new(settings.IDENTITY_HMAC_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()
