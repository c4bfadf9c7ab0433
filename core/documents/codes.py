"""Verification codes of documents, and what a code shows to whoever holds it."""

from __future__ import annotations

import datetime
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.documents.render import Section
from core.exceptions import NotFoundError
from core.models import DocumentCode

# Unambiguous characters only (no 0/O, 1/I), so a code read off paper is typed right: 32^16 = 2^80 codes.
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
CODE_LENGTH = 16
VERIFY_PATH = "/api/v1/certificates/verify/"
_CLAIM_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class DocumentFacts:
    """What a verification shows: the document as issued, in the language asked for, and its standing."""

    kind: str
    title: str
    issuer: str
    issued_at: datetime.datetime
    valid_until: datetime.date
    revoked_at: datetime.datetime | None
    sections: tuple[Section, ...]
    content: dict[str, Any]  # the facts as issued, for API clients
    content_sha256: str
    pdf_sha256: str

    @property
    def status(self) -> str:
        return document_status(valid_until=self.valid_until, revoked_at=self.revoked_at)


def document_status(*, valid_until: datetime.date, revoked_at: datetime.datetime | None) -> str:
    """`valid`, `expired` (past the last day it verifies) or `revoked`."""
    if revoked_at is not None:
        return "revoked"
    if timezone.localdate() > valid_until:
        return "expired"
    return "valid"


DocumentReader = Callable[..., DocumentFacts]  # (*, person_id: int, record_id: int, language: str)


class DocumentKinds:
    """Each kind's reader, registered by the app that issues the kind (from its AppConfig.ready())."""

    def __init__(self) -> None:
        self._readers: dict[str, DocumentReader] = {}

    def register(self, kind: str, reader: DocumentReader) -> None:
        if kind in self._readers:
            raise ValueError(f"Document kind {kind!r} is registered already.")
        self._readers[kind] = reader

    def reader(self, kind: str) -> DocumentReader:
        return self._readers[kind]


DOCUMENT_KINDS = DocumentKinds()


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def document_code_claim(*, kind: str, person_id: int) -> DocumentCode:
    """A fresh verification code, claimed in the caller's transaction for `kind` and `person_id`. The
    caller sets `record_id` once its row exists (`document_code_bind`), in the same transaction."""
    for attempt in range(_CLAIM_ATTEMPTS):
        try:
            with transaction.atomic():
                return DocumentCode.objects.create(code=_new_code(), kind=kind, person_id=person_id)
        except IntegrityError:
            # A collision in 2^80 codes: draw again.
            if attempt == _CLAIM_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def document_code_bind(*, code: DocumentCode, record_id: int) -> None:
    code.record_id = record_id
    code.save(update_fields=["record_id"])


def document_facts_by_code(*, code: str, language: str) -> DocumentFacts:
    """What the document with this code states, for anyone holding the code (codes are typed from paper:
    case and surrounding spaces do not matter)."""
    found = DocumentCode.objects.filter(code=code.strip().upper(), record_id__isnull=False).first()
    if found is None or found.record_id is None:
        raise NotFoundError(_("No document was issued with this verification code."))
    return DOCUMENT_KINDS.reader(found.kind)(
        person_id=found.person_id, record_id=found.record_id, language=language
    )


def document_verify_url(*, base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}{VERIFY_PATH}{code}"
