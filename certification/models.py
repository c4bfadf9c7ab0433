from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Region
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
    FORFEITED = "forfeited", _("Not payable")


class AwardMonth(models.Model):
    """What became of one month of an award: paid into the card, withheld while suspended (back-paid on a
    later certification), payable to the estate (withheld up to a death) or forfeited."""

    person_id = models.BigIntegerField()
    award = models.ForeignKey(PensionAward, on_delete=models.PROTECT, related_name="months")
    month = models.PositiveIntegerField()
    amount = models.DecimalField(**MONEY)
    outcome = models.CharField(max_length=10, choices=MonthOutcome.choices)
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
    """Pension paid for months after a death, to be recovered (DOMAIN.md §4)."""

    person_id = models.BigIntegerField()
    award = models.OneToOneField(PensionAward, on_delete=models.PROTECT, related_name="recovery")
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    overpaid = models.DecimalField(**MONEY)
    months = models.JSONField(default=list, help_text=_("The months paid after the death, YYYYMM."))
    recovered = models.DecimalField(**MONEY, default=Decimal(0))
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
        constraints = [models.CheckConstraint(name="recovery_overpaid_positive", condition=Q(overpaid__gt=0))]

    def __str__(self) -> str:
        return f"recovery of {self.overpaid} from award {self.award_id}"

    @property
    def left(self) -> Decimal:
        return self.overpaid - self.recovered


class CertificationProvinceConfig(models.Model):
    """A province's certification rules. A province without a row follows the defaults (DOMAIN.md §4): a
    pensioner certifies at least once in 12 months, and is reminded 30 days before the due date; a face
    distance up to 0.6 is the same person (face_recognition's own default), and a selfie is kept 30 days
    after its decision."""

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
