from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from core.models import ProtectedIdentityNumber, Region
from insurance.models import Scheme


class EvidenceKind(models.TextChoices):
    MEDICAL_SETTLEMENT = "medical_settlement", _("Medical settlement")
    HOSPITAL_STAY = "hospital_stay", _("Hospital stay")
    RAIL_TRAVEL = "rail_travel", _("Rail travel")
    OTHER_SERVICE = "other_service", _("Other public service")


class LifeEvidence(models.Model):
    """Recent evidence that a person is alive, from other data (DOMAIN.md §4, passive certification):
    fed by provincial batch files, used by eligibility certification."""

    person = models.ForeignKey(
        "insurance.InsuredPerson", on_delete=models.PROTECT, related_name="life_evidence"
    )
    evidence_date = models.DateField()
    kind = models.CharField(max_length=20, choices=EvidenceKind.choices)
    source = models.CharField(max_length=100)
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("life evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "evidence_date", "kind", "source"], name="one_evidence_per_event"
            )
        ]
        indexes = [models.Index(fields=["person", "-evidence_date"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.evidence_date}"


MONEY = {"max_digits": 14, "decimal_places": 2}


class AwardStatus(models.TextChoices):
    PAYING = "paying", _("Paying")
    SUSPENDED = "suspended", _("Suspended")
    STOPPED = "stopped", _("Stopped")


class SuspensionReason(models.TextChoices):
    OVERDUE = "overdue", _("Certification overdue")
    IMPRISONMENT = "imprisonment", _("Imprisonment")
    DISAPPEARANCE = "disappearance", _("Disappearance")


class PensionAward(models.Model):
    """A pension in payment (DOMAIN.md §4): who is paid, by which province and scheme, from which month.
    The monthly amount of each month is in `AwardAmount` (the yearly adjustments); `inputs` keeps every
    figure the award was computed from, as the pensioner is shown it."""

    person = models.ForeignKey(
        "insurance.InsuredPerson", on_delete=models.PROTECT, related_name="pension_awards"
    )
    province = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The paying province; it never changes."),
    )
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    monthly_amount = models.DecimalField(**MONEY, help_text=_("The amount of the first month."))
    first_month = models.PositiveIntegerField(help_text=_("The first month paid, YYYYMM."))
    status = models.CharField(max_length=10, choices=AwardStatus.choices, default=AwardStatus.PAYING)
    last_certified_on = models.DateField(help_text=_("The day of the last certification (or of the award)."))
    reminded_for_due_date = models.DateField(
        null=True, blank=True, help_text=_("The due date the pensioner was last reminded of.")
    )
    stopped_from_month = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("The first month no longer paid, YYYYMM, once stopped.")
    )
    stop_reason = models.CharField(max_length=20, blank=True)
    suspension_reason = models.CharField(
        max_length=20,
        choices=SuspensionReason.choices,
        blank=True,
        help_text=_("Why a suspended award is suspended; empty while paying."),
    )
    inputs = models.JSONField(default=dict, help_text=_("Every input of the computation, recorded at award."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["person", "scheme"], name="one_award_per_person_and_scheme"),
            models.CheckConstraint(name="award_amount_positive", condition=Q(monthly_amount__gt=0)),
        ]
        indexes = [
            models.Index(fields=["province", "status", "last_certified_on"], name="awards_due_by_province")
        ]

    def __str__(self) -> str:
        return f"award {self.pk} of person {self.person_id} ({self.status})"


class AwardAmount(models.Model):
    """The monthly amount of an award from a month on, until the next row: the award's first amount,
    then one row per yearly adjustment. Append-only."""

    person_id = models.BigIntegerField()
    award = models.ForeignKey(PensionAward, on_delete=models.PROTECT, related_name="amounts")
    from_month = models.PositiveIntegerField()
    amount = models.DecimalField(**MONEY)
    adjustment = models.ForeignKey(
        "PensionAdjustment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person_id", "award", "from_month"], name="one_amount_per_award_month"
            ),
            models.CheckConstraint(name="award_month_amount_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.amount} from {self.from_month}"


class PensionAdjustment(models.Model):
    """A province's published yearly increase of pensions in payment, from its month on: a rate of the
    amount and/or a fixed amount per month."""

    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    from_month = models.PositiveIntegerField()
    rate = models.DecimalField(max_digits=6, decimal_places=4, default=Decimal(0))
    fixed_amount = models.DecimalField(**MONEY, default=Decimal(0))
    awards_adjusted = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["province", "scheme", "from_month"], name="one_adjustment_per_month"
            ),
            models.CheckConstraint(
                name="adjustment_not_negative",
                condition=Q(rate__gte=0, fixed_amount__gte=0) & (Q(rate__gt=0) | Q(fixed_amount__gt=0)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.province_id} {self.scheme} from {self.from_month}: {self.rate} + {self.fixed_amount}"


class MonthOutcome(models.TextChoices):
    PAID = "paid", _("Paid")
    WITHHELD = "withheld", _("Withheld (suspended)")
    ESTATE = "estate", _("Payable to the estate")
    PAID_TO_ESTATE = "paid_to_estate", _("Paid to the estate")
    FORFEITED = "forfeited", _("Not payable")


class AwardMonth(models.Model):
    """What became of one month of an award: paid into the card, withheld while suspended (back-paid on a
    later certification), payable to the estate (withheld up to a death; paid to it with the survivors'
    claim of the award) or forfeited."""

    person_id = models.BigIntegerField()
    award = models.ForeignKey(PensionAward, on_delete=models.PROTECT, related_name="months")
    month = models.PositiveIntegerField()
    amount = models.DecimalField(**MONEY)
    outcome = models.CharField(max_length=16, choices=MonthOutcome.choices)
    back_paid = models.BooleanField(
        default=False, help_text=_("Paid on a certification after being withheld.")
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person_id", "award", "month"], name="one_outcome_per_award_month"
            )
        ]

    def __str__(self) -> str:
        return f"award {self.award_id} {self.month}: {self.outcome} {self.amount}"


class RecoveryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    RECOVERED = "recovered", _("Recovered")
    WRITTEN_OFF = "written_off", _("Written off")


class RecoveryCase(models.Model):
    """Pension paid for months after a death, to be recovered (DOMAIN.md §4): first by offsetting it
    against the survivors' claim of the same award when that is paid, then by repayment. `recovered` is
    the whole recovered so far, of which `recovered_from_claim` came from the claim."""

    person_id = models.BigIntegerField()
    award = models.OneToOneField(PensionAward, on_delete=models.PROTECT, related_name="recovery")
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    overpaid = models.DecimalField(**MONEY)
    months = models.JSONField(default=list, help_text=_("The months paid after the death, YYYYMM."))
    recovered = models.DecimalField(**MONEY, default=Decimal(0))
    recovered_from_claim = models.DecimalField(
        **MONEY,
        default=Decimal(0),
        help_text=_("Of what was recovered, what was offset against the survivors' claim."),
    )
    status = models.CharField(max_length=12, choices=RecoveryStatus.choices, default=RecoveryStatus.OPEN)
    write_off_proposed_by_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("Who proposed writing off what is left; another person approves.")
    )
    write_off_reason = models.CharField(max_length=200, blank=True)
    written_off_by_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("Who approved the write-off.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(name="recovery_overpaid_positive", condition=Q(overpaid__gt=0)),
            models.CheckConstraint(
                name="recovery_within_overpaid",
                condition=Q(recovered_from_claim__gte=0, recovered__gte=F("recovered_from_claim"))
                & Q(recovered__lte=F("overpaid")),
            ),
        ]

    def __str__(self) -> str:
        return f"recovery of {self.overpaid} from award {self.award_id}"

    @property
    def left(self) -> Decimal:
        return self.overpaid - self.recovered

    @property
    def recovered_by_repayment(self) -> Decimal:
        return self.recovered - self.recovered_from_claim


class CertificationProvinceConfig(models.Model):
    """A province's certification rules. A province without a row follows the defaults (DOMAIN.md §4): a
    pensioner certifies at least once in 12 months, and is reminded 30 days before the due date; a face
    distance up to 0.6 is the same person (face_recognition's own default), and a selfie is kept 30 days
    after its decision. On a pensioner's death the survivors are due a funeral grant of 2 months and a
    survivor pension (a lump sum) of 10 months of the last monthly pension: the months provinces most
    often publish, each province setting its own here."""

    province = models.OneToOneField(Region, on_delete=models.PROTECT, primary_key=True, related_name="+")
    cycle_months = models.PositiveSmallIntegerField(
        default=12, help_text=_("Months from one certification to the next due date.")
    )
    reminder_days = models.PositiveSmallIntegerField(
        default=30, help_text=_("Days before the due date when the pensioner is reminded.")
    )
    face_threshold = models.DecimalField(
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.600"),
        help_text=_("The largest face distance accepted as the same person (lower is stricter)."),
    )
    selfie_audit_days = models.PositiveSmallIntegerField(
        default=30, help_text=_("Days a selfie is kept after its decision, for audit, then deleted.")
    )
    funeral_grant_months = models.PositiveSmallIntegerField(
        default=2,
        help_text=_(
            "The funeral grant on a pensioner's death: this many months of the last monthly pension "
            "(default 2)."
        ),
    )
    survivor_pension_months = models.PositiveSmallIntegerField(
        default=10,
        help_text=_(
            "The survivor pension, paid as a lump sum: this many months of the last monthly pension "
            "(default 10)."
        ),
    )

    class Meta:
        constraints = [
            models.CheckConstraint(name="certification_cycle_positive", condition=Q(cycle_months__gt=0))
        ]

    def __str__(self) -> str:
        return f"certification rules of {self.province_id}"


class CertificationMethod(models.TextChoices):
    FACE_SELF = "face_self", _("Face recognition by the pensioner")
    FACE_FAMILY = "face_family", _("Face recognition by a family member")
    PASSIVE = "passive", _("Passive, from life evidence")
    ON_SITE = "on_site", _("On site at a community point or agency hall")
    HOME_VISIT = "home_visit", _("Home visit")
    CONSULAR = "consular", _("Consular, for pensioners abroad")


class Certification(models.Model):
    """One certification that a pensioner is alive, in any province: how, where, on what evidence and by
    whom. Append-only; the award's due date counts from the latest."""

    person_id = models.BigIntegerField()
    award = models.ForeignKey(PensionAward, on_delete=models.PROTECT, related_name="certifications")
    method = models.CharField(max_length=12, choices=CertificationMethod.choices)
    certified_on = models.DateField()
    place_province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", help_text=_("Where it was done.")
    )
    place = models.CharField(
        max_length=200, blank=True, help_text=_("The point, hall, address or consulate.")
    )
    evidence = models.CharField(
        max_length=200, help_text=_("What showed the pensioner alive: a job, an evidence record, a document.")
    )
    actor_id = models.BigIntegerField(null=True, blank=True, help_text=_("The user who acted, if any."))
    channel = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person_id", "award", "method", "certified_on", "evidence"],
                name="one_certification_per_evidence",
            )
        ]
        indexes = [
            models.Index(fields=["person_id", "award", "-certified_on"], name="certifications_of_award")
        ]

    def __str__(self) -> str:
        return f"{self.method} of award {self.award_id} on {self.certified_on}"


class StatusEvidenceKind(models.TextChoices):
    IMPRISONMENT = "imprisonment", _("Imprisonment began")
    RELEASE = "release", _("Release from prison")
    DISAPPEARANCE = "disappearance", _("Declared missing")


class StatusEvidence(models.Model):
    """A record from data comparison (public security, civil affairs) that changes whether a pension is
    paid (DOMAIN.md §4): imprisonment suspends it without back pay, release resumes it, a disappearance
    suspends it until the pensioner is certified again. `applied_at` is set by the nightly comparison that
    acted on it, so that a re-run acts on nothing twice."""

    person_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=StatusEvidenceKind.choices)
    evidence_date = models.DateField()
    source = models.CharField(max_length=100)
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    applied_at = models.DateTimeField(
        null=True, blank=True, help_text=_("When the nightly comparison acted on it.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("status evidence")
        constraints = [
            models.UniqueConstraint(
                fields=["person_id", "kind", "evidence_date", "source"], name="one_status_evidence_per_event"
            )
        ]
        indexes = [
            models.Index(
                fields=["evidence_date"], condition=Q(applied_at__isnull=True), name="status_evidence_pending"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.evidence_date}"


class FaceJobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    ACCEPTED = "accepted", _("Accepted")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")


class FaceJob(models.Model):
    """A face certification: a selfie (stored encrypted, with the consent to process it) compared by a
    worker with the card's photo. The decision records the distance, the threshold and the backend; the
    selfie is deleted once its audit period after the decision has passed."""

    person_id = models.BigIntegerField()
    award = models.ForeignKey(PensionAward, on_delete=models.PROTECT, related_name="face_jobs")
    method = models.CharField(max_length=12, choices=CertificationMethod.choices)
    status = models.CharField(max_length=10, choices=FaceJobStatus.choices, default=FaceJobStatus.QUEUED)
    selfie_ciphertext = models.BinaryField(null=True, editable=False)
    consent_text = models.TextField(help_text=_("The consent the citizen gave, as shown to them."))
    consented_at = models.DateTimeField()
    backend = models.CharField(max_length=100, blank=True)
    distance = models.DecimalField(max_digits=6, decimal_places=4, null=True, blank=True)
    threshold = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    reason = models.CharField(max_length=40, blank=True, help_text=_("Why it was refused or failed: a code."))
    requested_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    purge_after = models.DateTimeField(null=True, blank=True, help_text=_("When the selfie is deleted."))

    class Meta:
        indexes = [
            models.Index(fields=["person_id", "-created_at"], name="face_jobs_of_person"),
            models.Index(
                fields=["purge_after"], condition=Q(selfie_ciphertext__isnull=False), name="selfies_to_purge"
            ),
        ]

    def __str__(self) -> str:
        return f"face job {self.pk} ({self.status})"


class SurvivorRelationship(models.TextChoices):
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    OTHER = "other", _("Other dependant")


class SurvivorClaimStatus(models.TextChoices):
    OPENED = "opened", _("Opened")
    SUBMITTED = "submitted", _("Survivor details submitted")
    CHECKED = "checked", _("Checked")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")


class SurvivorClaim(ProtectedIdentityNumber):
    """The survivors' claim opened by a pensioner's death (DOMAIN.md §4): a funeral grant and a survivor
    pension, each a number of months of the last monthly pension by the paying province's rule (recorded
    with the amounts, as the rule stood at the death), and with them the pension withheld in a suspension
    up to and including the month of death, which is the estate's (`estate_amount`, the award's months
    `estate` when the claim opened; they become `paid_to_estate` when it is paid). Agency staff give the
    survivor's details, a second clerk checks them, and the claim is paid into the survivor's bank account
    less what the recovery case of the same award is owed (`SurvivorClaimEntry`), or rejected with a
    reason. The ID number (of
    `ProtectedIdentityNumber`) is the survivor's: encrypted, found by its keyed hash, shown masked; the
    bank account likewise."""

    person_id = models.BigIntegerField(help_text=_("The deceased pensioner."))
    award = models.ForeignKey(PensionAward, on_delete=models.PROTECT, related_name="survivor_claims")
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", help_text=_("The paying province.")
    )
    date_of_death = models.DateField()
    monthly_amount = models.DecimalField(
        **MONEY, help_text=_("The last monthly pension: the amount in force in the month of death.")
    )
    funeral_grant_months = models.PositiveSmallIntegerField(
        help_text=_("The province's rule at the death: months of the last pension.")
    )
    survivor_pension_months = models.PositiveSmallIntegerField(
        help_text=_("The province's rule at the death: months of the last pension.")
    )
    funeral_grant = models.DecimalField(**MONEY)
    survivor_pension = models.DecimalField(**MONEY)
    estate_amount = models.DecimalField(
        **MONEY,
        default=Decimal(0),
        help_text=_(
            "Pension withheld in a suspension up to and including the month of death: the estate's, paid "
            "with the claim."
        ),
    )
    status = models.CharField(
        max_length=10, choices=SurvivorClaimStatus.choices, default=SurvivorClaimStatus.OPENED
    )
    survivor_name = models.CharField(max_length=64, blank=True)
    survivor_relationship = models.CharField(max_length=8, choices=SurvivorRelationship.choices, blank=True)
    id_number_hash = models.CharField(
        max_length=64, blank=True, editable=False, help_text=_("The survivor's ID number, hashed.")
    )
    survivor_bank_name = models.CharField(max_length=64, blank=True)
    survivor_bank_account_masked = models.CharField(max_length=32, blank=True)
    survivor_bank_account_ciphertext = models.TextField(blank=True, editable=False)
    submitted_by_id = models.BigIntegerField(null=True, blank=True)
    checked_by_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("The clerk who checked it: another than who submitted it.")
    )
    rejection_reason = models.TextField(blank=True)
    recovery_offset = models.DecimalField(
        **MONEY, null=True, blank=True, help_text=_("Pension overpaid, offset against the claim when paid.")
    )
    paid_to_survivor = models.DecimalField(
        **MONEY, null=True, blank=True, help_text=_("What the survivor was paid: the claim less the offset.")
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survivors' claim")
        verbose_name_plural = _("survivors' claims")
        permissions = [("act_survivorclaim", "Can check, pay and reject survivors' claims")]
        constraints = [
            models.UniqueConstraint(fields=["person_id", "award"], name="one_survivor_claim_per_award"),
            models.CheckConstraint(
                name="survivor_claim_rejected_with_reason",
                condition=~Q(status=SurvivorClaimStatus.REJECTED) | ~Q(rejection_reason=""),
            ),
            models.CheckConstraint(
                name="survivor_claim_amounts_not_negative",
                condition=Q(
                    monthly_amount__gt=0, funeral_grant__gte=0, survivor_pension__gte=0, estate_amount__gte=0
                ),
            ),
            models.CheckConstraint(
                name="survivor_claim_submitted_names_survivor",
                condition=Q(status__in=(SurvivorClaimStatus.OPENED, SurvivorClaimStatus.REJECTED))
                | (~Q(survivor_name="") & ~Q(id_number_hash="") & ~Q(survivor_bank_account_ciphertext="")),
            ),
            # A paid claim (the estate's months with it) went whole to the recovery case and the survivor.
            models.CheckConstraint(
                name="survivor_claim_paid_in_full",
                condition=~Q(status=SurvivorClaimStatus.PAID)
                | Q(
                    paid_at__isnull=False,
                    recovery_offset__gte=0,
                    paid_to_survivor=F("funeral_grant")
                    + F("survivor_pension")
                    + F("estate_amount")
                    - F("recovery_offset"),
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["province", "status", "-created_at"], name="survivor_claims_by_province")
        ]

    def __str__(self) -> str:
        return f"survivors' claim {self.pk} of person {self.person_id} ({self.status})"

    @property
    def total(self) -> Decimal:
        return self.funeral_grant + self.survivor_pension + self.estate_amount


class SurvivorClaimEntryKind(models.TextChoices):
    RECOVERY_OFFSET = "recovery_offset", _("Offset against the pension overpaid")
    SURVIVOR_PAYMENT = "survivor_payment", _("Paid to the survivor's bank account")
    ESTATE_PAYMENT = (
        "estate_payment",
        _("Pension withheld up to the death, paid to the survivor for the estate"),
    )


class SurvivorClaimEntry(models.Model):
    """The ledger of what survivors' claims paid out of the paying province's pension fund: to the
    recovery case of the same award, and to the survivor's bank account (the account as it was paid, its
    number encrypted), the estate's withheld months as an entry of their own. Append-only (a database
    trigger refuses UPDATE and DELETE); the reference, unique per person, pays nothing twice."""

    person_id = models.BigIntegerField(help_text=_("The deceased pensioner."))
    claim = models.ForeignKey(SurvivorClaim, on_delete=models.PROTECT, related_name="entries")
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=SurvivorClaimEntryKind.choices)
    amount = models.DecimalField(**MONEY)
    reference = models.CharField(max_length=64, help_text=_("Unique per person: survivors:<claim>:<kind>."))
    recovery_case = models.ForeignKey(
        RecoveryCase, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    bank_name = models.CharField(max_length=64, blank=True)
    bank_account_masked = models.CharField(max_length=32, blank=True)
    bank_account_ciphertext = models.TextField(blank=True, editable=False)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survivors' claim payment")
        verbose_name_plural = _("survivors' claim payments")
        constraints = [
            models.UniqueConstraint(
                fields=["person_id", "reference"], name="survivor_entry_once_per_reference"
            ),
            models.CheckConstraint(name="survivor_entry_positive", condition=Q(amount__gt=0)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} of claim {self.claim_id}"
