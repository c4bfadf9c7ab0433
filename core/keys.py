"""The keys of identity numbers against the stored data: refused at start when they do not match.

The first start (or migration) on a database records a check value of each key (`KeyCheck`): HMAC-SHA256
of a constant under the key, whose first 12 hex characters name the key in messages (a "key id"). Every
start after that compares: the hashing key must be the recorded one, and every recorded encryption key
must still be configured (data may be encrypted with any of them); an encryption key added in front (a
rotation) is recorded. A database that holds ID numbers from before the check values existed is tested
on one of its rows: it must decrypt, and hash to its stored hash, with the configured keys.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction

from core.models import KeyCheck, ProtectedIdentityNumber

_CHECK_CONSTANT = b"social-insurance platform: identity key check v1"


def key_check_value(key: str) -> str:
    return hmac.new(key.encode(), _CHECK_CONSTANT, hashlib.sha256).hexdigest()


def key_id(check_value: str) -> str:
    return check_value[:12]


def _ids(check_values: Sequence[str]) -> str:
    return ", ".join(key_id(value) for value in check_values) or "none"


def _tables_exist() -> bool:
    return KeyCheck._meta.db_table in connection.introspection.table_names()


def _sample_mismatch() -> str | None:
    """For data written before check values were kept: one stored ID number that the configured keys
    cannot decrypt, or whose hash they do not reproduce, as a message; None when they match or no
    table holds one yet."""
    existing = set(connection.introspection.table_names())
    fernet = MultiFernet([Fernet(key.encode()) for key in settings.IDENTITY_ENCRYPTION_KEYS])
    for model in apps.get_models():
        if not issubclass(model, ProtectedIdentityNumber) or model._meta.db_table not in existing:
            continue
        # Any: each concrete model declares `id_number_hash` itself (ProtectedIdentityNumber).
        manager: Any = model._base_manager
        row: Any = (
            manager.exclude(id_number_ciphertext="").values("id_number_ciphertext", "id_number_hash").first()
        )
        if row is None:
            continue
        try:
            number = fernet.decrypt(row["id_number_ciphertext"].encode()).decode()
        except InvalidToken:
            return (
                f"the ID numbers in {model._meta.db_table} were encrypted with keys that are not among "
                "IDENTITY_ENCRYPTION_KEYS"
            )
        digest = hmac.new(settings.IDENTITY_HMAC_KEY.encode(), number.encode(), hashlib.sha256).hexdigest()
        if digest != row["id_number_hash"]:
            return f"the ID numbers in {model._meta.db_table} were hashed with another IDENTITY_HMAC_KEY"
    return None


def keys_verify(*, record: bool = True) -> None:
    """Refuse (ImproperlyConfigured, naming the keys the data needs) when the configured keys do not match
    the data; otherwise record the check values not recorded yet (when `record`). Before the migrations
    have made the tables, there is nothing to compare."""
    if not _tables_exist():
        mismatch = _sample_mismatch()
        if mismatch:
            raise ImproperlyConfigured(f"The identity keys do not match the data: {mismatch}.")
        return
    hmac_check = key_check_value(settings.IDENTITY_HMAC_KEY)
    encryption_checks = [key_check_value(key) for key in settings.IDENTITY_ENCRYPTION_KEYS]
    with transaction.atomic():
        recorded = list(KeyCheck.objects.select_for_update().values_list("kind", "check_value"))
        recorded_hmac = [value for kind, value in recorded if kind == KeyCheck.Kind.HMAC]
        recorded_encryption = [value for kind, value in recorded if kind == KeyCheck.Kind.ENCRYPTION]
        problems = []
        if recorded_hmac and hmac_check not in recorded_hmac:
            problems.append(
                f"the data's ID numbers are hashed with IDENTITY_HMAC_KEY id {_ids(recorded_hmac)}, "
                f"the configured one has id {key_id(hmac_check)}"
            )
        missing = [value for value in recorded_encryption if value not in encryption_checks]
        if missing:
            problems.append(
                f"the data needs IDENTITY_ENCRYPTION_KEYS with ids {_ids(recorded_encryption)} "
                f"(missing: {_ids(missing)}), the configured ones have ids {_ids(encryption_checks)}"
            )
        if not recorded:
            mismatch = _sample_mismatch()
            if mismatch:
                problems.append(mismatch)
        if problems:
            raise ImproperlyConfigured(
                "The identity keys do not match the data in this database: " + "; ".join(problems) + ". "
                "Configure the keys the data was written with (a local run keeps them in "
                ".data/local-secrets.env of the checkout that created the database)."
            )
        if record:
            KeyCheck.objects.bulk_create(
                [KeyCheck(kind=KeyCheck.Kind.HMAC, check_value=hmac_check)]
                + [KeyCheck(kind=KeyCheck.Kind.ENCRYPTION, check_value=value) for value in encryption_checks],
                ignore_conflicts=True,
            )


def keys_verify_at_start() -> None:
    """For the processes that serve (gunicorn's master, a Celery worker): verify, then close the
    connection, so that no connection is shared with the processes forked after."""
    try:
        keys_verify()
    except DatabaseError:
        # The database is not reachable yet: each request reports it; this check runs at the next start.
        pass
    finally:
        connection.close()
