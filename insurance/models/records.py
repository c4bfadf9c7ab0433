"""What the platform keeps about its own use of personal data: ID-number reads and certificates issued."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import Region
from insurance.models.registry import InsuredPerson


class IdentityReadLog(models.Model):
    """Who read an unmasked ID number, whose, when, and through which endpoint (PIPL Art. 28)."""

    # No database foreign keys: each check would take a share lock on the reader's and the person's rows,
    # and concurrent reads by one agency system then queue on those locks. Users and persons are never
    # deleted (PROTECT here, deactivation for users), so the references stay valid.
    reader = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    endpoint = models.CharField(max_length=200)
    read_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-read_at"]

    def __str__(self) -> str:
        return _("%(reader_id)s read %(person_id)s at %(read_at)s") % {
            "reader_id": self.reader_id,
            "person_id": self.person_id,
            "read_at": f"{self.read_at:%Y-%m-%d %H:%M}",
        }


class CertificateStatus(models.TextChoices):
    ISSUED = "issued", _("Issued")
    REVOKED = "revoked", _("Revoked")


class ParticipationCertificate(models.Model):
    """A participation certificate (参保证明) as issued: the signed PDF itself (downloaded again as it is),
    the facts it states, and their digests. Anyone holding the verification code (core.DocumentCode) can
    check that a copy is genuine, unaltered (its PDF hashes to `pdf_sha256`), still valid, not revoked."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="certificates")
    verification_code = models.CharField(max_length=32)
    issued_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=16, choices=CertificateStatus.choices, default=CertificateStatus.ISSUED
    )
    issuer_province = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, related_name="+", help_text=_("Whose agency issued it.")
    )
    issuer_name = models.CharField(max_length=128, blank=True, help_text=_("The issuer as printed."))
    language = models.CharField(max_length=8, default="zh-hans")
    valid_until = models.DateField(help_text=_("The last day it verifies as valid."))
    revoked_at = models.DateTimeField(null=True, blank=True)
    content = models.JSONField(help_text=_("The facts printed on the certificate, as issued."))
    content_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(
        upload_to="documents/certificates/%Y/%m/",
        blank=True,
        help_text=_("The signed PDF as issued; empty for certificates issued before PDFs were kept."),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "verification_code"], name="certificate_code_per_person"
            )
        ]
        indexes = [models.Index(fields=["person", "-issued_at", "-id"], name="certificate_by_person")]

    def __str__(self) -> str:
        return _("certificate %(verification_code)s") % {"verification_code": self.verification_code}
