"""What the platform keeps about its own use of personal data: ID-number reads and certificates issued."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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


class ParticipationCertificate(models.Model):
    """A participation certificate (参保证明) as issued: anyone holding the verification code can check
    that a copy is genuine (the code exists) and unaltered (its PDF hashes to `pdf_sha256`)."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="certificates")
    verification_code = models.CharField(max_length=32, unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    content = models.JSONField(help_text=_("The facts printed on the certificate, as issued."))
    content_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return _("certificate %(verification_code)s") % {"verification_code": self.verification_code}
