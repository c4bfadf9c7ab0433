"""Cross-province transfers of the employee pension and the employee medical insurance (DOMAIN.md §3): the
transfer and its steps, each province's pooled-fund ledger, and the alerts of the reconciliation that
holds money leaving to money arriving."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import Region
from insurance.models.registry import MONEY, InsuranceRelationship, InsuredPerson, Scheme, valid_period

# The schemes whose relationship moves by a transfer.
TRANSFER_SCHEMES = (Scheme.EMPLOYEE_PENSION, Scheme.EMPLOYEE_MEDICAL)


class TransferKind(models.TextChoices):
    TRANSFER = "transfer", _("Transfer of the relationship")
    # A temporary account sealed on a further move or at retirement, its contributions with interest
    # gathered to the basic relationship's province or the benefit province (DOMAIN.md §3). It moves the
    # money and the history as a transfer does, in one step: written completed, with no application.
    GATHERING = "gathering", _("Gathering of a temporary account")


class TransferStatus(models.TextChoices):
    # Made by the platform for a person who enrolled in a new province (an offered transfer): nothing
    # moves until they confirm it, which makes it an application.
    OFFERED = "offered", _("Offered, awaiting the person's confirmation")
    DECLINED = "declined", _("Declined by the person")
    APPLIED = "applied", _("Applied for at the transfer-in province")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")
    REJECTED = "rejected", _("Rejected by the transfer-in province")
    ACCEPTED = "accepted", _("Contact letter sent to the transfer-out province")
    FUNDS_SENT = "funds_sent", _("Certificate and information table issued, funds sent")
    COMPLETED = "completed", _("History and funds recorded at the transfer-in province")


# A person has at most one of these per scheme (the partial unique index below).
OPEN_TRANSFER_STATUSES = (
    TransferStatus.OFFERED,
    TransferStatus.APPLIED,
    TransferStatus.ACCEPTED,
    TransferStatus.FUNDS_SENT,
)
# The steps that run against a deadline, and which side acts in each.
STEP_SIDE: dict[str, str] = {
    TransferStatus.APPLIED: "transfer_in",
    TransferStatus.ACCEPTED: "transfer_out",
    TransferStatus.FUNDS_SENT: "transfer_in",
}


class Transfer(models.Model):
    """One person's transfer of one scheme from the province of a suspended relationship to the province
    where they pay now. The moves are `insurance.states.TRANSFER_STATES` (each a `core.StateEvent`, with
    who and when); `due_date` is the deadline of the step the transfer is in. The money is computed when
    the funds are sent (`statement`: per year months, bases, account and pooled amounts, and the months
    paid in both provinces) and written to both provinces' ledgers when the transfer completes. A
    gathering of a temporary account (`kind`) is the same money moved in one step, written completed.

    A person's row: every index leads with the person, and the relationships it names are the person's
    own (STYLE.md, "Built to outgrow one machine")."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="+", db_index=False)
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    kind = models.CharField(max_length=16, choices=TransferKind.choices, default=TransferKind.TRANSFER)
    status = models.CharField(max_length=16, choices=TransferStatus.choices)
    # No database foreign keys to the regions, for the reason given on ContributionRecord.province.
    from_province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    to_province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    from_relationship = models.ForeignKey(
        InsuranceRelationship, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # Empty only for a gathering at retirement into a benefit province where the person was never insured
    # (the 10-year rule's last branch: everything gathers in the hukou province).
    to_relationship = models.ForeignKey(
        InsuranceRelationship,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        null=True,
        blank=True,
    )
    rejection_reason = models.TextField(blank=True)
    due_date = models.DateField(null=True, blank=True, help_text=_("The deadline of the current step."))
    due_provisional = models.BooleanField(
        default=False, help_text=_("The deadline counted days of a year whose schedule is not entered yet.")
    )
    step_started_on = models.DateField(help_text=_("The day the current step began."))
    overdue_since = models.DateField(null=True, blank=True, help_text=_("Set by the overdue job."))
    # The money, computed when the funds are sent.
    interest_up_to_period = models.PositiveIntegerField(null=True, blank=True)
    account_amount = models.DecimalField(**MONEY, null=True, blank=True)
    pooled_amount = models.DecimalField(**MONEY, null=True, blank=True)
    refund_amount = models.DecimalField(**MONEY, null=True, blank=True)
    statement = models.JSONField(null=True, blank=True, help_text=_("The information table (信息表)."))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        permissions = [("act_transfer", "Can take a transfer's steps for the province")]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "scheme"],
                condition=Q(status__in=OPEN_TRANSFER_STATUSES),
                name="one_open_transfer_per_person_scheme",
            ),
            models.CheckConstraint(
                name="transfer_scheme_transferable", condition=Q(scheme__in=TRANSFER_SCHEMES)
            ),
            models.CheckConstraint(
                name="transfer_provinces_differ", condition=~Q(from_province=models.F("to_province"))
            ),
            models.CheckConstraint(
                name="gathering_written_completed",
                condition=Q(kind=TransferKind.TRANSFER) | Q(status=TransferStatus.COMPLETED),
            ),
            models.CheckConstraint(
                name="transfer_into_a_relationship",
                condition=Q(kind=TransferKind.GATHERING) | Q(to_relationship__isnull=False),
            ),
            models.CheckConstraint(
                name="transfer_rejected_with_reason",
                condition=~Q(status=TransferStatus.REJECTED) | ~Q(rejection_reason=""),
            ),
            models.CheckConstraint(
                name="transfer_money_once_sent",
                condition=Q(
                    status__in=[TransferStatus.FUNDS_SENT, TransferStatus.COMPLETED],
                    account_amount__isnull=False,
                    pooled_amount__isnull=False,
                    refund_amount__isnull=False,
                    statement__isnull=False,
                )
                | ~Q(status__in=[TransferStatus.FUNDS_SENT, TransferStatus.COMPLETED]),
            ),
        ]
        indexes = [
            models.Index(fields=["person", "scheme", "-created_at"], name="transfer_by_person"),
            # The agencies' queues: the open transfers involving a province, oldest deadline first.
            models.Index(
                fields=["to_province", "status", "due_date"],
                condition=Q(status__in=OPEN_TRANSFER_STATUSES),
                name="transfer_open_into_province",
            ),
            models.Index(
                fields=["from_province", "status", "due_date"],
                condition=Q(status__in=OPEN_TRANSFER_STATUSES),
                name="transfer_open_out_of_province",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.person_id} {self.scheme} {self.from_province_id} -> {self.to_province_id} ({self.status})"
        )


class TransferEscalation(models.Model):
    """A step found past its deadline by the overdue job: written once per transfer and step (the unique
    key makes the job idempotent), and shown in the transfer's timeline."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="+", db_index=False)
    transfer = models.ForeignKey(
        Transfer, on_delete=models.PROTECT, related_name="escalations", db_index=False
    )
    step = models.CharField(max_length=16, choices=TransferStatus.choices)
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False,
        help_text=_("The province whose step is overdue."),
    )  # fmt: skip
    due_date = models.DateField()
    escalated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "transfer", "step"], name="one_escalation_per_transfer_step"
            )
        ]

    def __str__(self) -> str:
        return f"transfer {self.transfer_id} {self.step} overdue since {self.due_date}"


class FundEntryKind(models.TextChoices):
    CONTRIBUTION = "contribution", _("Pooled contribution")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")


class FundEntry(models.Model):
    """A pooled-fund entry that is not a contribution: the pooled part of a transfer, leaving one province
    and arriving in the other. Append-only (a database trigger refuses UPDATE and DELETE). The whole fund
    ledger, with the pooled part of every contribution record, is `FundLedgerEntry`."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="+", db_index=False)
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    kind = models.CharField(max_length=16, choices=FundEntryKind.choices)
    amount = models.DecimalField(**MONEY)
    period = models.PositiveIntegerField(help_text=_("The month (YYYYMM) the entry belongs to."))
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+", db_index=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("fund entries")
        constraints = [
            models.CheckConstraint(
                name="fund_entry_is_a_transfer",
                condition=(Q(kind=FundEntryKind.TRANSFER_OUT) & Q(amount__lte=0))
                | (Q(kind=FundEntryKind.TRANSFER_IN) & Q(amount__gte=0)),
            ),
            models.CheckConstraint(name="fund_entry_period_valid", condition=valid_period("period")),
            models.UniqueConstraint(fields=["person", "transfer", "kind"], name="one_fund_leg_per_transfer"),
        ]
        indexes = [models.Index(fields=["province", "scheme"], name="fund_entry_by_province")]

    def __str__(self) -> str:
        return f"{self.province_id} {self.kind} {self.amount}"


class FundLedgerEntry(models.Model):
    """Each province's pooled-fund ledger, read-only: a database view of the pooled part of every
    employee-pension contribution record (what is paid and not credited to the personal account) and the
    `FundEntry` rows. A province's fund balance is the sum of its amounts: no row is ever updated."""

    id = models.CharField(primary_key=True, max_length=24)
    person = models.ForeignKey(InsuredPerson, on_delete=models.DO_NOTHING, related_name="+")
    province = models.ForeignKey(Region, on_delete=models.DO_NOTHING, related_name="+")
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    kind = models.CharField(max_length=16, choices=FundEntryKind.choices)
    amount = models.DecimalField(**MONEY)
    period = models.PositiveIntegerField()
    transfer = models.ForeignKey(Transfer, on_delete=models.DO_NOTHING, null=True, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "insurance_fund_ledger"
        verbose_name = _("pooled-fund ledger entry")
        verbose_name_plural = _("pooled-fund ledger")

    def __str__(self) -> str:
        return f"{self.province_id} {self.kind} {self.amount}"


class ReconciliationAlert(models.Model):
    """A completed transfer whose legs did not sum to zero, found by the periodic reconciliation: shown to
    administrators until someone resolves it. One open alert per transfer."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="+", db_index=False)
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+", db_index=False)
    imbalance = models.DecimalField(**MONEY, help_text=_("What the legs sum to (zero when balanced)."))
    detail = models.TextField()
    found_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "transfer"],
                condition=Q(resolved_at__isnull=True),
                name="one_open_alert_per_transfer",
            )
        ]

    def __str__(self) -> str:
        return f"transfer {self.transfer_id} off by {self.imbalance}"


class TransferDocumentKind(models.TextChoices):
    CONTACT_LETTER = "contact_letter", _("Contact letter (联系函)")
    TRANSFER_CERTIFICATE = "transfer_certificate", _("Transfer certificate (参保缴费凭证)")
    INFORMATION_TABLE = "information_table", _("Information table (信息表)")


class TransferDocument(models.Model):
    """A document of a transfer as issued at its step: the contact letter when the transfer-in province
    accepts, the transfer certificate and the information table when the transfer-out province sends. The
    signed PDF itself (downloaded again byte for byte), the facts it states and their digests; verified
    by its code (core.DocumentCode) like the participation certificate."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="+", db_index=False)
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField(max_length=24, choices=TransferDocumentKind.choices)
    verification_code = models.CharField(max_length=32)
    issued_at = models.DateTimeField(auto_now_add=True)
    issuer_province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False,
        help_text=_("Whose agency issued it."),
    )  # fmt: skip
    issuer_name = models.CharField(max_length=128, help_text=_("The issuer as printed."))
    language = models.CharField(max_length=8)
    valid_until = models.DateField(help_text=_("The last day it verifies as valid."))
    content = models.JSONField(help_text=_("The facts printed on the document, as issued."))
    content_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)
    pdf = models.FileField(upload_to="documents/transfers/%Y/%m/", help_text=_("The signed PDF as issued."))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "transfer", "kind"], name="one_document_per_transfer_kind"
            ),
            models.UniqueConstraint(fields=["person", "verification_code"], name="transfer_document_code"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.verification_code}"
