"""Request and response shapes of the card API. A card is always shown masked: the bank account by its
first and last four digits, never the PIN or the photo."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from rest_framework import serializers

from cards.models import (
    BankStatus,
    Card,
    CardAccountEntry,
    CardStatus,
    CardUse,
    MedicalFiling,
    ReplacementReason,
    ServicePointKind,
    UseDomain,
)
from core.models import StateEvent

_PIN = {"min_length": 6, "max_length": 6, "write_only": True}


class CardSerializer(serializers.ModelSerializer):
    """A card as its holder and agency staff see it."""

    id = serializers.IntegerField(read_only=True, help_text="The card's id in this API.")
    number = serializers.CharField(read_only=True, help_text="The card number, new on every replacement.")
    province = serializers.CharField(source="province_id", read_only=True, help_text="The issuing province.")
    status = serializers.ChoiceField(
        CardStatus.choices, read_only=True, help_text="Where the card is in its lifecycle."
    )
    bank_status = serializers.ChoiceField(
        BankStatus.choices, read_only=True, help_text="Whether the bank function is activated."
    )
    bank_name = serializers.CharField(read_only=True, help_text="The service bank.")
    bank_account = serializers.CharField(
        source="bank_account_masked", read_only=True, help_text="The bank account number, masked."
    )
    replaces = serializers.IntegerField(
        source="replaces_id", read_only=True, allow_null=True, help_text="The card this one replaces, if any."
    )
    replacement_reason = serializers.CharField(
        read_only=True, help_text="Why it replaces that card; empty if not."
    )
    issue_date = serializers.DateField(read_only=True, allow_null=True, help_text="When it was issued.")
    valid_until = serializers.DateField(
        read_only=True,
        allow_null=True,
        help_text="Its last valid day; empty for long term or not yet issued.",
    )
    ecard_pin_set = serializers.SerializerMethodField(help_text="Whether the electronic card's PIN is set.")
    applied_at = serializers.DateTimeField(read_only=True, help_text="When it was applied for.")

    class Meta:
        model = Card
        fields = (
            "id", "number", "province", "status", "bank_status", "bank_name", "bank_account", "replaces",
            "replacement_reason", "issue_date", "valid_until", "ecard_pin_set", "applied_at",
        )  # fmt: skip

    def get_ecard_pin_set(self, card: Card) -> bool:
        return bool(card.ecard_pin_hash)


class CardEventSerializer(serializers.ModelSerializer):
    """One move in the card's history."""

    from_state = serializers.CharField(read_only=True, help_text="The state left; empty for the application.")
    to_state = serializers.CharField(read_only=True, help_text="The state reached.")
    actor_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Who acted; empty for a job."
    )
    channel = serializers.CharField(read_only=True, help_text="api, admin, import or periodic.")
    reason = serializers.CharField(read_only=True, help_text="Why.")
    at = serializers.DateTimeField(read_only=True, help_text="When.")

    class Meta:
        model = StateEvent
        fields = ("from_state", "to_state", "actor_id", "channel", "reason", "at")


class CardWithHistorySerializer(CardSerializer):
    history = serializers.SerializerMethodField(help_text="The card's moves, oldest first.")

    class Meta(CardSerializer.Meta):
        fields = (*CardSerializer.Meta.fields, "history")

    def get_history(self, card: Card) -> list[dict]:
        return CardEventSerializer(self.context["events"][card.pk], many=True).data


class CardApplicationSerializer(serializers.Serializer):
    """A first card's application, as multipart form data with the photo."""

    province = serializers.CharField(max_length=2, help_text="The province that issues the card, e.g. 11.")
    bank_name = serializers.CharField(max_length=64, help_text="The service bank chosen.")
    bank_account = serializers.CharField(max_length=40, help_text="The bank account number, 12 to 30 digits.")
    pin = serializers.CharField(**_PIN, help_text="The card's PIN: six digits, not all the same.")
    photo = serializers.FileField(help_text="A JPEG or PNG portrait with exactly one face.")
    consent = serializers.BooleanField(
        help_text="The holder consents to the platform keeping the face photo as the card's face reference."
    )


CONSENT_TEXT = (
    "I consent to the social insurance platform keeping this face photo, encrypted, as the face reference "
    "of my social security card, for identity checks and pension certification, until the card's retention "
    "ends."
)


class CardReplacementSerializer(serializers.Serializer):
    """An application for a replacement card: multipart when a new photo is given."""

    reason = serializers.ChoiceField(ReplacementReason.choices, help_text="Why the card is replaced.")
    province = serializers.CharField(
        max_length=2, required=False, help_text="For a move: the new province, which issues the new card."
    )
    bank_name = serializers.CharField(
        max_length=64, required=False, help_text="For a change of bank: the new bank."
    )
    bank_account = serializers.CharField(
        max_length=40, required=False, help_text="For a change of bank: the new account number."
    )
    photo = serializers.FileField(required=False, help_text="A new photo; otherwise the old card's is kept.")
    consent = serializers.BooleanField(
        required=False, help_text="Consent to keeping a new photo, if one is given."
    )


class LossReportSerializer(serializers.Serializer):
    formal = serializers.BooleanField(
        default=False, help_text="True: a formal loss (in person; irreversible). False: a temporary one."
    )
    reason = serializers.CharField(required=False, default="", allow_blank=True, help_text="Why, in words.")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, default="", allow_blank=True, help_text="Why, in words.")


class PinChangeSerializer(serializers.Serializer):
    current_pin = serializers.CharField(
        **_PIN, help_text="The PIN now (for a first e-card PIN: the card's PIN)."
    )
    new_pin = serializers.CharField(**_PIN, help_text="The new PIN: six digits, not all the same.")


class QrRequestSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(
        [("identity", "Show who I am"), ("payment", "Pay")],
        default="identity",
        help_text="What the code is for.",
    )
    ecard_pin = serializers.CharField(
        required=False,
        default="",
        write_only=True,
        help_text="The electronic card's PIN; needed for payment.",
    )
    image_format = serializers.ChoiceField(
        [("svg", "SVG"), ("png", "PNG")], default="svg", help_text="The image's format."
    )


class PublicKeySerializer(serializers.Serializer):
    kid = serializers.CharField(help_text="The key id that tokens name.")
    algorithm = serializers.CharField(help_text="Always Ed25519.")
    public_key = serializers.CharField(help_text="The raw 32-byte public key, base64url without padding.")
    signing = serializers.BooleanField(help_text="Whether this key signs new tokens now.")
    created_at = serializers.DateTimeField(help_text="When the key was made.")
    retired_at = serializers.DateTimeField(allow_null=True, help_text="When it stopped signing, if it has.")


class PublicKeysSerializer(serializers.Serializer):
    token_lifetime_seconds = serializers.IntegerField(help_text="How long a token is valid.")
    keys = PublicKeySerializer(many=True, help_text="The current key and those retired recently.")


class VerifyRequestSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=400, help_text="The token read from the QR code.")


class AllowedUseSerializer(serializers.Serializer):
    domain = serializers.ChoiceField(UseDomain.choices, help_text="A use this service point offers.")
    accepted = serializers.BooleanField(help_text="Whether the card is accepted for it here.")
    code = serializers.CharField(help_text="When not: the refusal's code.")
    reason = serializers.CharField(help_text="When not: why.")


class VerificationSerializer(serializers.Serializer):
    card_number = serializers.CharField(source="card.number", help_text="The card's number.")
    card_province = serializers.CharField(source="card.province_id", help_text="The card's issuing province.")
    card_status = serializers.CharField(source="card.status", help_text="The card's status now.")
    purpose = serializers.CharField(help_text="i: identity, p: payment.")
    name = serializers.CharField(source="name_masked", help_text="The holder's name, masked.")
    id_number = serializers.CharField(source="id_number_masked", help_text="The holder's ID number, masked.")
    uses = AllowedUseSerializer(many=True, help_text="What the card may be used for here.")


class CardUseRequestSerializer(serializers.Serializer):
    domain = serializers.ChoiceField(UseDomain.choices, help_text="What the card is used for.")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, default=Decimal("0.00"), help_text="Yuan; positive for a payment."
    )
    token = serializers.CharField(
        required=False, default="", max_length=400, help_text="The QR code's token, when shown as an e-card."
    )
    card_number = serializers.CharField(
        required=False,
        default="",
        max_length=16,
        help_text="The card's number, when the card itself is read.",
    )
    pin = serializers.CharField(
        required=False, default="", write_only=True, help_text="The card's PIN, for a payment with the card."
    )

    def validate(self, attrs: dict) -> dict:
        if bool(attrs["token"]) == bool(attrs["card_number"]):
            raise serializers.ValidationError(_("Give either the QR code's token or the card's number."))
        return attrs


class CardUseSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The use's id.")
    domain = serializers.CharField(read_only=True, help_text="What the card was used for.")
    province = serializers.CharField(source="province_id", read_only=True, help_text="Where.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, read_only=True, help_text="Yuan.")
    by_ecard = serializers.BooleanField(read_only=True, help_text="Shown as an electronic card.")
    at = serializers.DateTimeField(read_only=True, help_text="When.")

    class Meta:
        model = CardUse
        fields = ("id", "domain", "province", "amount", "by_ecard", "at")


class MedicalFilingRequestSerializer(serializers.Serializer):
    province = serializers.CharField(max_length=2, help_text="Where the care is to be settled.")
    valid_from = serializers.DateField(help_text="The first day.")
    valid_until = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="The last day, if any."
    )


class MedicalFilingSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, help_text="The filing's id.")
    province = serializers.CharField(source="province_id", read_only=True, help_text="Where care is settled.")
    valid_from = serializers.DateField(read_only=True, help_text="The first day.")
    valid_until = serializers.DateField(read_only=True, allow_null=True, help_text="The last day, if any.")

    class Meta:
        model = MedicalFiling
        fields = ("id", "province", "valid_from", "valid_until")


class CardAccountEntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text="pension, subsidy or benefit.")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, help_text="Yuan paid in."
    )
    reference = serializers.CharField(read_only=True, help_text="The payer's reference.")
    description = serializers.CharField(read_only=True, help_text="What was paid.")
    at = serializers.DateTimeField(read_only=True, help_text="When.")

    class Meta:
        model = CardAccountEntry
        fields = ("kind", "amount", "reference", "description", "at")


class CardSearchSerializer(serializers.Serializer):
    number = serializers.CharField(required=False, default="", help_text="A card number.")
    id_number = serializers.CharField(required=False, default="", help_text="The holder's ID number.")
    status = serializers.ChoiceField(
        CardStatus.choices, required=False, default="", allow_blank=True, help_text="Cards in this status."
    )


class BatchCreateSerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        min_value=1, max_value=10_000, default=10_000, help_text="At most this many applications."
    )


class BatchSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="The batch's id.")
    province = serializers.CharField(source="province_id", help_text="Its province.")
    card_count = serializers.IntegerField(help_text="How many cards it holds.")
    created_at = serializers.DateTimeField(help_text="When it was made.")
    returned_at = serializers.DateTimeField(
        allow_null=True, help_text="When the maker's file last came back."
    )


class BatchReturnSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The maker's CSV: card_number,issue_date (YYYY-MM-DD).")


class BatchReturnedSerializer(serializers.Serializer):
    issued = serializers.IntegerField(help_text="Cards marked issued.")
    no_longer_in_production = serializers.ListField(
        child=serializers.CharField(), help_text="Numbers left out: cancelled since, or already issued."
    )


class ServicePointRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150, help_text="The service point's login.")
    password = serializers.CharField(write_only=True, help_text="Its password.")
    kind = serializers.ChoiceField(ServicePointKind.choices, help_text="What kind of place it is.")
    name = serializers.CharField(max_length=200, help_text="Its name, e.g. the hospital's.")


class ServicePointSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk", help_text="The service point's account id.")
    username = serializers.CharField(source="user.username", help_text="Its login.")
    province = serializers.CharField(source="province_id", help_text="Its province.")
    kind = serializers.CharField(help_text="What kind of place it is.")
    name = serializers.CharField(help_text="Its name.")
