from __future__ import annotations

from django.db import models

from core.crypto import decrypt_text, encrypt_text, keyed_hash
from core.identity import IdentityNumber, mask_id_number


class Region(models.Model):
    """A province-level division: the unit of agency jurisdiction and of insurance relationships."""

    code = models.CharField(primary_key=True, max_length=2)
    name = models.CharField(max_length=64)
    name_zh = models.CharField("Chinese name", max_length=32)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProtectedIdentityNumber(models.Model):
    """Keeps an ID number encrypted at rest, with a keyed hash (`id_number_hash`) for exact look-up.

    Subclasses declare `id_number_hash` themselves, because whether it may be empty differs.
    """

    id_number_ciphertext = models.TextField(editable=False, blank=True, default="")

    class Meta:
        abstract = True

    @property
    def id_number(self) -> str | None:
        return decrypt_text(self.id_number_ciphertext) if self.id_number_ciphertext else None

    @id_number.setter
    def id_number(self, value: IdentityNumber | str | None) -> None:
        if value is None:
            self.id_number_ciphertext, self.id_number_hash = "", None
            return
        number = value if isinstance(value, IdentityNumber) else IdentityNumber.parse(value)
        self.id_number_ciphertext = encrypt_text(number.value)
        self.id_number_hash = keyed_hash(number.value)

    @property
    def id_number_masked(self) -> str:
        number = self.id_number
        return mask_id_number(number) if number else ""
