"""Participation certificates (参保证明): issued from the records, verifiable by anyone with the code."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.db.models import F, Max, Min, Sum
from django.utils import timezone

from core.models import Region
from insurance.certificates import (
    CertificateContent,
    CertificateRow,
    certificate_content_digest,
    certificate_render_pdf,
)
from insurance.models import ContributionRecord, InsuredPerson, ParticipationCertificate, Scheme
from insurance.selectors import contribution_months_of

SCHEME_NAMES_ZH = {
    Scheme.EMPLOYEE_PENSION: "企业职工基本养老保险",
    Scheme.RESIDENT_PENSION: "城乡居民基本养老保险",
    Scheme.EMPLOYEE_MEDICAL: "职工基本医疗保险",
    Scheme.RESIDENT_MEDICAL: "城乡居民基本医疗保险",
    Scheme.UNEMPLOYMENT: "失业保险",
    Scheme.WORK_INJURY: "工伤保险",
}
# Unambiguous characters only (no 0/O, 1/I), so a code read off paper is typed right.
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
_CODE_LENGTH = 16


def _verification_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))


def _history_rows(person: InsuredPerson) -> tuple[CertificateRow, ...]:
    province_names = dict(Region.objects.values_list("code", "name_zh"))
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
            scheme=SCHEME_NAMES_ZH[Scheme(group["scheme"])],
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


@transaction.atomic
def certificate_issue(
    *, person: InsuredPerson, verify_base_url: str
) -> tuple[ParticipationCertificate, bytes]:
    """Issue a certificate of the person's contribution history as it stands now, and its PDF.
    What was printed is kept, with the digests of the facts and of the PDF, for verification."""
    content = CertificateContent(
        person_name=person.name,
        masked_id_number=person.id_number_masked,
        issue_date=timezone.localdate(),
        verification_code=_verification_code(),
        rows=_history_rows(person),
    )
    pdf = certificate_render_pdf(content=content, verify_base_url=verify_base_url)
    certificate = ParticipationCertificate.objects.create(
        person=person,
        verification_code=content.verification_code,
        content=content.to_json(),
        content_sha256=certificate_content_digest(content),
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
    )
    return certificate, pdf


def certificate_matches_pdf(*, certificate: ParticipationCertificate, pdf: bytes) -> bool:
    """Is this file the very PDF that was issued under the certificate's code?"""
    return secrets.compare_digest(hashlib.sha256(pdf).hexdigest(), certificate.pdf_sha256)
