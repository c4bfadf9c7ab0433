"""Participation certificates (参保证明): issued from the records as signed PDFs, listed and downloaded
again by their holder, verifiable by anyone with the code, revocable by the agency."""

from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Max, Min, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.documents import (
    DEFAULT_LANGUAGE,
    DocumentFacts,
    Issuer,
    Verification,
    document_code_bind,
    document_code_claim,
    document_verify_url,
)
from core.models import Region
from core.states import Actor
from insurance.certificates import (
    KIND,
    CertificateContent,
    CertificateRow,
    certificate_content_digest,
    certificate_render_pdf,
    certificate_sections,
    certificate_title,
)
from insurance.models import (
    CertificateStatus,
    ContributionRecord,
    InsuredPerson,
    ParticipationCertificate,
    Scheme,
)
from insurance.selectors import contribution_months_of
from insurance.states import CERTIFICATE_STATES


def scheme_name(scheme: Scheme, language: str) -> str:
    """A scheme's name in a document's language: the statutory Chinese names (the catalogue's), or the
    platform's English labels."""
    with translation.override(language):
        return str(scheme.label)


def _history_rows(person: InsuredPerson, language: str) -> tuple[CertificateRow, ...]:
    field = "name" if language == "en" else "name_zh"
    province_names = dict(Region.objects.values_list("code", field))
    groups = (
        ContributionRecord.objects.filter(person=person)
        .values("scheme", "province_id")
        .annotate(
            period_from=Min("period"),
            period_to=Max("period"),
            base_min=Min("base"),
            base_max=Max("base"),
            amount=Sum(F("employer_amount") + F("individual_amount")),
        )
        .order_by("period_from", "scheme")
    )
    months = {
        scheme: contribution_months_of(person=person, scheme=scheme).by_province
        for scheme in {group["scheme"] for group in groups}
    }
    return tuple(
        CertificateRow(
            scheme=scheme_name(Scheme(group["scheme"]), language),
            province=province_names[group["province_id"]],
            period_from=group["period_from"],
            period_to=group["period_to"],
            months=months[group["scheme"]][group["province_id"]].total_months,
            base_min=group["base_min"],
            base_max=group["base_max"],
            amount=group["amount"],
        )
        for group in groups
    )


def _issuing_province(person: InsuredPerson) -> Region:
    """The agency of the province the person last paid into issues the certificate; for a person who
    has never paid, that of the hukou province."""
    latest = (
        ContributionRecord.objects.filter(person=person)
        .order_by("-period", "-id")
        .values_list("province_id", flat=True)
        .first()
    )
    return Region.objects.get(code=latest or person.hukou_province_id)


def issuer_of(region: Region, language: str) -> Issuer:
    return Issuer(
        name=region.agency_name if language == "en" else region.agency_name_zh,
        seal_name=region.agency_name_zh,
    )


@transaction.atomic
def certificate_issue(
    *, person: InsuredPerson, verify_base_url: str, actor: Actor, language: str = DEFAULT_LANGUAGE
) -> tuple[ParticipationCertificate, bytes]:
    """Issue a certificate of the person's contribution history as it stands now, as a signed PDF in
    `language`. The PDF is kept, to be downloaded again as it is, with the digests of the facts and of
    the file, for verification."""
    code = document_code_claim(kind=KIND, person_id=person.pk)
    issued_on = timezone.localdate()
    valid_until = issued_on + datetime.timedelta(days=settings.CERTIFICATE_VALID_DAYS)
    province = _issuing_province(person)
    issuer = issuer_of(province, language)
    content = CertificateContent(
        person_name=person.name,
        masked_id_number=person.id_number_masked,
        issue_date=issued_on,
        verification_code=code.code,
        rows=_history_rows(person, language),
    )
    pdf = certificate_render_pdf(
        content=content,
        language=language,
        verification=Verification(
            code=code.code,
            url=document_verify_url(base_url=verify_base_url, code=code.code),
            valid_until=valid_until,
        ),
        issuer=issuer,
    )
    certificate = ParticipationCertificate.objects.create(
        person=person,
        verification_code=code.code,
        issuer_province=province,
        issuer_name=issuer.name,
        language=language,
        valid_until=valid_until,
        content=content.to_json(),
        content_sha256=certificate_content_digest(content),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        pdf=ContentFile(pdf, name=f"{code.code}.pdf"),
    )
    document_code_bind(code=code, record_id=certificate.pk)
    CERTIFICATE_STATES.record_created([(certificate.pk, CertificateStatus.ISSUED, person.pk)], actor=actor)
    return certificate, pdf


@transaction.atomic
def certificate_revoke(*, certificate_id: int, actor: Actor, reason: str) -> None:
    """Revoke a certificate (issued in error, or on the holder's request): from now on its verification
    says so. Refused with `state_move_not_allowed` when it is revoked already."""
    CERTIFICATE_STATES.move(
        certificate_id,
        to=CertificateStatus.REVOKED,
        actor=actor,
        reason=reason,
        values={"revoked_at": timezone.now()},
    )


def certificate_pdf(*, certificate: ParticipationCertificate) -> bytes:
    """The signed PDF as issued, byte for byte."""
    with certificate.pdf.open("rb") as stored:
        data: bytes = stored.read()
    return data


def certificate_facts(*, person_id: int, record_id: int, language: str) -> DocumentFacts:
    """What a certificate states, for its verification page (core.documents.DOCUMENT_KINDS)."""
    certificate = ParticipationCertificate.objects.get(person_id=person_id, pk=record_id)
    content = CertificateContent.from_json(certificate.content)
    return DocumentFacts(
        kind=KIND,
        title=certificate_title(certificate.language),
        issuer=certificate.issuer_name or _("National social insurance public service platform"),
        issued_at=certificate.issued_at,
        valid_until=certificate.valid_until,
        revoked_at=certificate.revoked_at,
        # As printed: the facts are stored in the language the certificate was issued in.
        sections=certificate_sections(content, language=certificate.language),
        content=certificate.content,
        content_sha256=certificate.content_sha256,
        pdf_sha256=certificate.pdf_sha256,
    )
