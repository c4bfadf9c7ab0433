"""DRF fields shared by every app's serializers."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.identity import IdentityNumber, InvalidIdentityNumber, mask_id_number
from core.money import amount_text


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


class AmountField(serializers.DecimalField):
    """A DecimalField whose text input is folded with NFKC and then takes ASCII digits only
    (core.money.amount_text): full-width `９０００` is 9000, Arabic-Indic `٩٠٠٠` is refused as invalid."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str):
            text = amount_text(data)
            if text is None:
                self.fail("invalid")
            data = text
        return super().to_internal_value(data)
