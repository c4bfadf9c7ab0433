"""The social security card, the electronic card and card uses (DOMAIN.md §5).

Shaped to be spread over database nodes by person (STYLE.md, "Built to outgrow one machine"): every
person-owned row carries `person_id` and its unique keys include it; the card number, unique across the
nation, is found through its own small table (`CardNumber`), written in the transaction of the card.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Region
from insurance.models import InsuredPerson

MONEY = {"max_digits": 14, "decimal_places": 2}


class CardStatus(models.TextChoices):
    APPLIED = "applied", _("Applied for")
    IN_PRODUCTION = "in_production", _("In production")
    ISSUED = "issued", _("Issued")
    ENABLED = "enabled", _("Social-security function enabled")
    TEMPORARILY_LOST = "temporarily_lost", _("Temporarily reported lost")
    FORMALLY_LOST = "formally_lost", _("Formally reported lost")
    LOCKED = "locked", _("Locked")
    SEALED = "sealed", _("Sealed")
    REPLACED = "replaced", _("Replaced")
    CANCELLED = "cancelled", _("Cancelled")


# The valid card (DOMAIN.md §5): issued and not replaced, cancelled or formally lost. A temporarily lost,
# locked or sealed card is still the person's valid card, and comes back to use.
VALID_CARD_STATUSES = (
    CardStatus.ISSUED,
    CardStatus.ENABLED,
    CardStatus.TEMPORARILY_LOST,
    CardStatus.LOCKED,
    CardStatus.SEALED,
)
# An application not yet issued: one at a time per person.
PENDING_CARD_STATUSES = (CardStatus.APPLIED, CardStatus.IN_PRODUCTION)
# The states a card leaves for good.
ENDED_CARD_STATUSES = (CardStatus.FORMALLY_LOST, CardStatus.REPLACED, CardStatus.CANCELLED)
# The states a suspension (a temporary loss, a lock, a seal) returns a card to.
USABLE_CARD_STATUSES = (CardStatus.ISSUED, CardStatus.ENABLED)


class BankStatus(models.TextChoices):
    INACTIVE = "inactive", _("Not activated")
    ACTIVE = "active", _("Activated")


class ReplacementReason(models.TextChoices):
    LOSS = "loss", _("Loss")
    DAMAGE = "damage", _("Damage")
    EXPIRY = "expiry", _("Expiry")
    CHANGED_DETAILS = "changed_details", _("Change of key details")
    CHANGED_BANK = "changed_bank", _("Change of service bank")
    PROVINCE_MOVE = "province_move", _("Move to another province")


class CardProvinceConfig(models.Model):
    """A province's card rules. A province without a row follows the defaults (DOMAIN.md §5): validity
    6 years under 16, 10 years from 16 to 25, 20 years from 26 to 59, long term from 60; a temporary loss
    lapses after 10 days; 3 wrong PINs lock the card."""

    province = models.OneToOneField(Region, on_delete=models.PROTECT, primary_key=True, related_name="+")
    validity_years_under_16 = models.PositiveSmallIntegerField(default=6)
    validity_years_16_to_25 = models.PositiveSmallIntegerField(default=10)
    validity_years_26_to_59 = models.PositiveSmallIntegerField(default=20)
    validity_years_from_60 = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Empty: long term (no expiry date).")
    )
    temporary_loss_days = models.PositiveSmallIntegerField(
        default=10, help_text=_("Days after which a temporary loss lapses and the card returns to use.")
    )
    pin_attempt_limit = models.PositiveSmallIntegerField(
        default=3, help_text=_("Wrong PINs in a row that lock the card.")
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="card_config_positive",
                condition=Q(validity_years_under_16__gt=0, validity_years_16_to_25__gt=0)
                & Q(validity_years_26_to_59__gt=0, temporary_loss_days__gt=0, pin_attempt_limit__gt=0)
                & (Q(validity_years_from_60__isnull=True) | Q(validity_years_from_60__gt=0)),
            )
        ]

    def __str__(self) -> str:
        return f"card rules of {self.province_id}"


class Card(models.Model):
    """One social security card (社会保障卡) of one person, from its application to its end. A replacement
    is a new card with a new number; it names the card it `replaces` (a card of the same person)."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=16, help_text=_("Opaque; unique nationwide (see CardNumber)."))
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", help_text=_("The issuing province.")
    )
    status = models.CharField(max_length=16, choices=CardStatus.choices, default=CardStatus.APPLIED)
    # Where a temporary loss, a lock or a seal returns the card to: issued, or enabled.
    resume_status = models.CharField(max_length=16, choices=CardStatus.choices, blank=True)
    bank_status = models.CharField(max_length=8, choices=BankStatus.choices, default=BankStatus.INACTIVE)
    bank_name = models.CharField(max_length=64)
    bank_account_masked = models.CharField(max_length=32)
    bank_account_ciphertext = models.TextField(editable=False)
    replaces_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("The card of the same person this one replaces.")
    )
    replacement_reason = models.CharField(max_length=16, choices=ReplacementReason.choices, blank=True)
    issue_date = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True, help_text=_("Empty once issued: long term."))
    temporarily_lost_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When it was replaced, lost or cancelled.")
    )
    pin_hash = models.CharField(max_length=128, editable=False)
    pin_failures = models.PositiveSmallIntegerField(default=0)
    ecard_pin_hash = models.CharField(max_length=128, blank=True, editable=False)
    ecard_pin_failures = models.PositiveSmallIntegerField(default=0)
    production_batch_id = models.BigIntegerField(null=True, blank=True)
    applied_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("move_card", "Can move a card through its lifecycle")]
        constraints = [
            # One valid card per person nationwide (DOMAIN.md §5).
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=VALID_CARD_STATUSES),
                name="one_valid_card_per_person",
            ),
            # One application in progress per person: two concurrent replacement applications give one card.
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(status__in=PENDING_CARD_STATUSES),
                name="one_card_applied_per_person",
            ),
            models.UniqueConstraint(fields=["person", "number"], name="card_number_per_person"),
            models.CheckConstraint(
                name="card_suspended_knows_where_it_resumes",
                condition=~Q(status__in=(CardStatus.TEMPORARILY_LOST, CardStatus.LOCKED, CardStatus.SEALED))
                | Q(resume_status__in=USABLE_CARD_STATUSES),
            ),
            models.CheckConstraint(
                name="card_replacement_has_reason",
                condition=Q(replaces_id__isnull=True, replacement_reason="")
                | (Q(replaces_id__isnull=False) & ~Q(replacement_reason="")),
            ),
            models.CheckConstraint(
                name="card_issued_has_issue_date",
                condition=Q(status__in=PENDING_CARD_STATUSES)
                | Q(issue_date__isnull=False)
                | Q(status=CardStatus.CANCELLED),
            ),
        ]
        indexes = [
            models.Index(fields=["province", "status"], name="card_by_province_status"),
            models.Index(
                fields=["temporarily_lost_at"],
                name="card_temporarily_lost",
                condition=Q(status=CardStatus.TEMPORARILY_LOST),
            ),
        ]

    def __str__(self) -> str:
        return f"card {self.number} ({self.status})"

    @property
    def is_valid(self) -> bool:
        return self.status in VALID_CARD_STATUSES


class CardNumber(models.Model):
    """The nationwide look-up of a card number: which person's card it is. Written with the card."""

    number = models.CharField(max_length=16, primary_key=True)
    person_id = models.BigIntegerField()
    card_id = models.BigIntegerField()

    def __str__(self) -> str:
        return self.number


class CardPhoto(models.Model):
    """The photo given with a card's application: the face reference that certification compares against.
    Biometric data (PIPL Art. 28): stored encrypted, read only through `cards.selectors.card_photo_read`
    (each read logged), kept with the holder's consent, and deleted with the card's retention."""

    card = models.OneToOneField(Card, on_delete=models.CASCADE, primary_key=True, related_name="photo")
    person_id = models.BigIntegerField()
    content_type = models.CharField(max_length=16)
    ciphertext = models.BinaryField(editable=False)
    consent_at = models.DateTimeField(help_text=_("When the holder consented to keeping the face photo."))
    consent_text = models.TextField(help_text=_("What the holder consented to, as shown to them."))
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"photo of card {self.card_id}"


class CardDataRead(models.TextChoices):
    PHOTO = "photo", _("Face photo")
    BANK_ACCOUNT = "bank_account", _("Full bank account number")


class CardDataReadLog(models.Model):
    """Who read a card's photo or full bank account, whose, when and what for (PIPL Art. 28)."""

    person_id = models.BigIntegerField()
    card_id = models.BigIntegerField()
    what = models.CharField(max_length=16, choices=CardDataRead.choices)
    reader_id = models.BigIntegerField(null=True, blank=True, help_text=_("Empty for a platform job."))
    purpose = models.CharField(max_length=200)
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["person_id", "read_at"], name="card_read_by_person")]

    def __str__(self) -> str:
        return f"{self.what} of card {self.card_id} read by {self.reader_id}"


class ProductionBatch(models.Model):
    """Cards of one province sent together to the card maker as one file; the maker's returned file marks
    them issued."""

    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    card_count = models.PositiveIntegerField()
    returned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"production batch {self.pk} of {self.province_id}"


class ServicePointKind(models.TextChoices):
    HOSPITAL = "hospital", _("Hospital")
    PHARMACY = "pharmacy", _("Pharmacy")
    TRANSPORT = "transport", _("Transport")
    LIBRARY = "library", _("Library")
    MUSEUM = "museum", _("Museum")
    PARK = "park", _("Park or scenic spot")
    AGENCY_HALL = "agency_hall", _("Agency service hall")


class ServicePoint(models.Model):
    """Where cards are checked and used: the account (role service_point) of one place in one province."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, primary_key=True, related_name="service_point"
    )
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ServicePointKind.choices)
    name = models.CharField(max_length=200)

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.province_id})"


class UseDomain(models.TextChoices):
    MEDICAL_SETTLEMENT = "medical_settlement", _("Medical settlement")
    CONTRIBUTION_PAYMENT = "contribution_payment", _("Contribution payment")
    BENEFIT_PAYMENT = "benefit_payment", _("Benefit or subsidy payment")
    TRANSPORT = "transport", _("Transport")
    LIBRARY = "library", _("Library")
    MUSEUM = "museum", _("Museum")
    PARK = "park", _("Park or scenic spot")


class CardUse(models.Model):
    """One accepted use of a card at a service point. Append-only."""

    person_id = models.BigIntegerField()
    card_id = models.BigIntegerField()
    domain = models.CharField(max_length=24, choices=UseDomain.choices)
    service_point_id = models.BigIntegerField()
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_constraint=False)
    amount = models.DecimalField(**MONEY)
    by_ecard = models.BooleanField(
        help_text=_("Presented as an electronic-card QR code, not the card itself.")
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(name="card_use_amount_not_negative", condition=Q(amount__gte=0))
        ]
        indexes = [models.Index(fields=["person_id", "at"], name="card_use_by_person")]

    def __str__(self) -> str:
        return f"{self.domain} with card {self.card_id} at {self.service_point_id}"


class MedicalFiling(models.Model):
    """A cross-province medical filing (异地就医备案): the person may settle medical bills with their card
    in `province`, outside their card's province, from `valid_from` (until `valid_until`, if given)."""

    person_id = models.BigIntegerField()
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    registered_by_id = models.BigIntegerField(null=True, blank=True)
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person_id", "province", "valid_from"], name="one_medical_filing_per_start"
            ),
            models.CheckConstraint(
                name="medical_filing_dates_ordered",
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
            ),
        ]

    def __str__(self) -> str:
        return f"medical filing of {self.person_id} in {self.province_id}"


class CardAccountEntryKind(models.TextChoices):
    PENSION = "pension", _("Pension")
    SUBSIDY = "subsidy", _("Subsidy")
    BENEFIT = "benefit", _("Benefit")


class CardAccountEntry(models.Model):
    """Money paid into the bank account of a card (pensions, subsidies, benefits). Append-only; the
    payer's `reference` makes a payment run's retry a no-op."""

    person_id = models.BigIntegerField()
    card_id = models.BigIntegerField()
    kind = models.CharField(max_length=8, choices=CardAccountEntryKind.choices)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(max_length=64, help_text=_("The payer's reference, unique per person."))
    description = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person_id", "reference"], name="card_credit_once_per_reference"),
            models.CheckConstraint(name="card_credit_positive", condition=Q(amount__gt=0)),
        ]
        indexes = [models.Index(fields=["person_id", "card_id", "at"], name="card_entries_by_card")]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} to card {self.card_id}"


class EcardSigningKey(models.Model):
    """An Ed25519 key that signs electronic-card tokens. The private key is kept encrypted (core.crypto);
    the newest key signs, and every key retired within the publishing window stays published, so that a
    service point verifying offline still accepts tokens signed just before a rotation."""

    kid = models.CharField(max_length=16, primary_key=True)
    private_key_ciphertext = models.TextField(editable=False)
    public_key = models.CharField(max_length=64, help_text=_("The raw public key, base64url."))
    created_at = models.DateTimeField()
    signing = models.BooleanField(default=True, help_text=_("This key signs new tokens."))
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When a newer key took over signing.")
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["signing"], condition=Q(signing=True), name="one_signing_ecard_key"
            ),
            models.CheckConstraint(
                name="ecard_key_retired_iff_not_signing",
                condition=Q(signing=True, retired_at__isnull=True)
                | Q(signing=False, retired_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.kid
