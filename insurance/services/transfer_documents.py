"""A transfer's documents, issued at their steps as signed PDFs (insurance.transfer_documents): kept with
the facts they state, downloaded again byte for byte by the person and the two provinces' staff, and
verifiable by anyone with the code."""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.utils import timezone

from core.documents import (
    DEFAULT_LANGUAGE,
    DocumentFacts,
    Verification,
    document_code_bind,
    document_code_claim,
    document_render,
    document_verify_url,
)
from core.exceptions import NotFoundError
from core.models import Region
from insurance.models import InsuredPerson, Scheme, Transfer, TransferDocument, TransferDocumentKind
from insurance.services.certificates import issuer_of, scheme_name
from insurance.transfer_documents import (
    DOCUMENT_KIND_NAMES,
    transfer_document_digest,
    transfer_document_sections,
    transfer_document_title,
)


def transfer_documents_issue(
    *, transfer: Transfer, kinds: Sequence[str], language: str = DEFAULT_LANGUAGE
) -> list[TransferDocument]:
    """Issue the documents of the step the transfer has just taken, in the caller's transaction: the
    contact letter by the transfer-in province's agency, the certificate and the information table by the
    transfer-out province's (with the money as frozen on the transfer)."""
    person = InsuredPerson.objects.get(pk=transfer.person_id)
    names = "name" if language == "en" else "name_zh"
    provinces = Region.objects.in_bulk(
        [transfer.from_province_id, transfer.to_province_id], field_name="code"
    )
    issued_on = timezone.localdate()
    valid_until = issued_on + datetime.timedelta(days=settings.TRANSFER_DOCUMENT_VALID_DAYS)
    scheme = Scheme(transfer.scheme)
    documents = []
    for kind in kinds:
        province = provinces[
            transfer.to_province_id
            if kind == TransferDocumentKind.CONTACT_LETTER
            else transfer.from_province_id
        ]
        issuer = issuer_of(province, language)
        code = document_code_claim(kind=DOCUMENT_KIND_NAMES[TransferDocumentKind(kind)], person_id=person.pk)
        content = {
            "person_name": person.name,
            "masked_id_number": person.id_number_masked,
            "scheme": scheme_name(scheme, language),
            "from_province": getattr(provinces[transfer.from_province_id], names),
            "to_province": getattr(provinces[transfer.to_province_id], names),
            "transfer_id": transfer.pk,
            "issue_date": issued_on.isoformat(),
            "verification_code": code.code,
        }
        if kind != TransferDocumentKind.CONTACT_LETTER:
            content["statement"] = transfer.statement
        pdf = document_render(
            kind=DOCUMENT_KIND_NAMES[TransferDocumentKind(kind)],
            title=transfer_document_title(kind, language),
            sections=transfer_document_sections(kind, content, language=language),
            language=language,
            verification=Verification(
                code=code.code,
                url=document_verify_url(base_url=settings.DOCUMENT_VERIFY_BASE_URL, code=code.code),
                valid_until=valid_until,
            ),
            issuer=issuer,
            issued_on=issued_on,
        )
        document = TransferDocument.objects.create(
            person_id=person.pk,
            transfer=transfer,
            kind=kind,
            verification_code=code.code,
            issuer_province=province,
            issuer_name=issuer.name,
            language=language,
            valid_until=valid_until,
            content=content,
            content_sha256=transfer_document_digest(content),
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            pdf=ContentFile(pdf, name=f"{code.code}.pdf"),
        )
        document_code_bind(code=code, record_id=document.pk)
        documents.append(document)
    return documents


def transfer_document_pdf(*, transfer: Transfer, kind: str) -> tuple[TransferDocument, bytes]:
    """The transfer's document of `kind` and its signed PDF as issued, byte for byte (the caller has
    found the transfer in its scope). Not found until its step is taken."""
    document = TransferDocument.objects.filter(
        person_id=transfer.person_id, transfer=transfer, kind=kind
    ).first()
    if document is None:
        raise NotFoundError()
    with document.pdf.open("rb") as stored:
        data: bytes = stored.read()
    return document, data


def transfer_document_facts(*, person_id: int, record_id: int, language: str) -> DocumentFacts:
    """What a transfer document states, for its verification page (core.documents.DOCUMENT_KINDS)."""
    document = TransferDocument.objects.get(person_id=person_id, pk=record_id)
    return DocumentFacts(
        kind=DOCUMENT_KIND_NAMES[TransferDocumentKind(document.kind)],
        title=transfer_document_title(document.kind, document.language),
        issuer=document.issuer_name,
        issued_at=document.issued_at,
        valid_until=document.valid_until,
        revoked_at=None,
        # As printed: the facts are stored in the language the document was issued in.
        sections=transfer_document_sections(document.kind, document.content, language=document.language),
        content=document.content,
        content_sha256=document.content_sha256,
        pdf_sha256=document.pdf_sha256,
    )
