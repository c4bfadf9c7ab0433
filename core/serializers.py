"""DRF fields shared by every app's serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.identity import IdentityNumber, InvalidIdentityNumber, mask_id_number


class IdentityNumberField(serializers.CharField):
    """Parses input with `IdentityNumber.parse` into an `IdentityNumber`.

    A refusal is a ValidationError whose detail carries the parser's stable code (`id_number_format`,
    `id_number_province`, `id_number_birth_date`, `id_number_checksum`). Output is always masked
    (`110105********002X`): the full number is sensitive and is never echoed back.
    """

    # The stubs fix a CharField's parsed value to str; this field parses further, as DRF allows.
    def to_internal_value(self, data: Any) -> IdentityNumber:  # type: ignore[override]
        value = super().to_internal_value(data)
        try:
            return IdentityNumber.parse(value)
        except InvalidIdentityNumber as exc:
            raise serializers.ValidationError(exc.message, code=exc.code) from None

    def to_representation(self, value: IdentityNumber | str) -> str:
        return mask_id_number(str(value))


class DocumentUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The document's PDF, to check that it is the one issued.")


class DocumentVerificationSerializer(serializers.Serializer):
    verification_code = serializers.CharField(help_text="The code printed on the document.")
    genuine = serializers.BooleanField(help_text="Always true: a code that was never issued answers 404.")
    kind = serializers.CharField(help_text="The kind of document, e.g. insurance.participation_certificate.")
    title = serializers.CharField(help_text="Its title, as printed.")
    issuer = serializers.CharField(help_text="The issuing agency, as printed.")
    status = serializers.ChoiceField(
        ["valid", "expired", "revoked"],
        help_text="`valid` until `valid_until`, then `expired`; `revoked` once the agency revoked it.",
    )
    issued_at = serializers.DateTimeField(help_text="When it was issued.")
    valid_until = serializers.DateField(help_text="The last day it verifies as valid.")
    revoked_at = serializers.DateTimeField(allow_null=True, help_text="When it was revoked, if it was.")
    sections = serializers.JSONField(
        help_text="What it states, as printed (ID numbers masked): sections with a heading and blocks of "
        "type `text`, `fields` (label and value pairs) or `table` (header and rows)."
    )
    content = serializers.JSONField(help_text="The facts it states, as issued, in the kind's own form.")
    content_sha256 = serializers.CharField(help_text="SHA-256 over the canonical JSON of `content`.")
    unaltered = serializers.BooleanField(
        allow_null=True, help_text="Whether the uploaded PDF is the one issued; null when none was uploaded."
    )
