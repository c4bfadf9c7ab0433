"""The personal accounts (DOMAIN.md §2-3): an append-only ledger per person, province and scheme, whose
balance is the sum of its entries, and what caused each entry: a contribution, an interest run, a transfer
or an approved correction."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import Channel, Region
from insurance.models.contributions import ContributionRecord
from insurance.models.registry import MONEY, InsuredPerson, Scheme, valid_period

# The schemes with a personal account: the employee pension, and the employee medical account, which
# moves with a medical transfer. A contribution record of either credits its `account_credit` (the
# medical share is zero unless the province's tariff gives the account one).
ACCOUNT_SCHEMES = (Scheme.EMPLOYEE_PENSION, Scheme.EMPLOYEE_MEDICAL)


class AccountEntryKind(models.TextChoices):
    CONTRIBUTION = "contribution", _("Contribution credit")
    INTEREST = "interest", _("Interest")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    # A transfer's refund to the person of the account credits of months paid in both provinces.
    REFUND = "refund", _("Refund of a duplicate month")
    CORRECTION = "correction", _("Correction")


TRANSFER_KINDS = (AccountEntryKind.TRANSFER_IN, AccountEntryKind.TRANSFER_OUT)
# The kinds of entry a transfer writes: its two legs, and the refund of duplicate months.
TRANSFER_CAUSED_KINDS = (*TRANSFER_KINDS, AccountEntryKind.REFUND)


class InterestRun(models.Model):
    """One crediting of interest by `account_interest_credit`: to every account of `scheme` held in
    `province` (in every province when it is empty), or to the persons a transfer names, for the year of
    `up_to_period` from January up to that month. One run credits many entries."""

    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    year = models.PositiveSmallIntegerField()
    up_to_period = models.PositiveIntegerField(help_text=_("Interest is credited up to this month (YYYYMM)."))
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    reference = models.CharField(max_length=64, blank=True, help_text=_("E.g. the transfer that asked."))
    ran_at = models.DateTimeField(default=timezone.now)
    entries = models.PositiveIntegerField(default=0, help_text=_("How many interest entries it credited."))
    total = models.DecimalField(**MONEY, default=0, help_text=_("What it credited in all."))

    class Meta:
        constraints = [
            models.CheckConstraint(name="interest_run_period_valid", condition=valid_period("up_to_period")),
            models.CheckConstraint(
                name="interest_run_period_in_year",
                condition=Q(up_to_period__gte=F("year") * 100 + 1, up_to_period__lte=F("year") * 100 + 12),
            ),
        ]
        ordering = ["-ran_at"]

    def __str__(self) -> str:
        return _("%(province)s %(scheme)s up to %(period)s") % {
            "province": self.province_id or _("all provinces"),
            "scheme": self.scheme,
            "period": self.up_to_period,
        }


class CorrectionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class AccountCorrection(models.Model):
    """A signed correction of one personal account, proposed by one person and approved or rejected by
    another (`account_correction_propose` / `_approve` / `_reject`; the moves are StateEvents). Approval
    writes its ledger entry; nothing is ever corrected by editing an entry."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="account_corrections")
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    # No database foreign key, for the reason given on ContributionRecord.province.
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    amount = models.DecimalField(**MONEY, help_text=_("Signed: a negative correction takes money out."))
    period = models.PositiveIntegerField(help_text=_("The month (YYYYMM) the entry belongs to."))
    reason = models.TextField()
    status = models.CharField(
        max_length=16, choices=CorrectionStatus.choices, default=CorrectionStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(name="correction_not_zero", condition=~Q(amount=0)),
            models.CheckConstraint(name="correction_period_valid", condition=valid_period("period")),
            models.CheckConstraint(
                name="correction_scheme_has_account", condition=Q(scheme__in=ACCOUNT_SCHEMES)
            ),
            models.CheckConstraint(
                name="correction_decided_once",
                condition=Q(
                    status=CorrectionStatus.PROPOSED, decided_by__isnull=True, decided_at__isnull=True
                )
                | (
                    ~Q(status=CorrectionStatus.PROPOSED)
                    & Q(decided_by__isnull=False, decided_at__isnull=False)
                ),
            ),
            models.CheckConstraint(
                name="correction_approved_by_second_person",
                condition=~Q(status=CorrectionStatus.APPROVED) | ~Q(decided_by=F("proposed_by")),
            ),
        ]
        # Proposing is adding; approving (which writes the ledger entry) is a role of its own.
        permissions = [("approve_accountcorrection", "Can approve an account correction")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.scheme} {self.province_id} {self.amount} ({self.status})"


def _cause_matches_kind(kinds: tuple[str, ...], cause: str) -> Q:
    """An entry of one of `kinds` names its cause in `cause`, and an entry of any other kind does not."""
    return Q(kind__in=kinds, **{f"{cause}__isnull": False}) | (
        ~Q(kind__in=kinds) & Q(**{f"{cause}__isnull": True})
    )


class AccountEntry(models.Model):
    """A personal-account entry that is not a contribution credit: interest, transfers and corrections,
    each naming what caused it. Like the contribution records, append-only (a database trigger refuses
    UPDATE and DELETE). The whole ledger, with the contribution credits, is `LedgerEntry`."""

    person = models.ForeignKey(
        InsuredPerson, on_delete=models.PROTECT, related_name="account_entries", db_index=False
    )
    # No database foreign key, for the reason given on ContributionRecord.province.
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    kind = models.CharField(max_length=16, choices=AccountEntryKind.choices)
    amount = models.DecimalField(**MONEY)
    period = models.PositiveIntegerField(help_text=_("The month (YYYYMM) the entry belongs to."))
    interest_run = models.ForeignKey(
        InterestRun, on_delete=models.PROTECT, null=True, blank=True, related_name="credited"
    )
    # The transfer an entry of a transfer kind (or its refund) belongs to. No foreign key: the entries of
    # both provinces' legs name it, and a transfer is the person's row like the entry (insurance.Transfer).
    transfer_id = models.BigIntegerField(null=True, blank=True)
    # Indexed by the unique key below, which leads with the person.
    correction = models.ForeignKey(
        AccountCorrection, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("interest, transfer or correction entry")
        verbose_name_plural = _("interest, transfer and correction entries")
        constraints = [
            models.CheckConstraint(
                name="account_entry_not_contribution", condition=~Q(kind=AccountEntryKind.CONTRIBUTION)
            ),
            models.CheckConstraint(
                name="account_entry_scheme_has_account", condition=Q(scheme__in=ACCOUNT_SCHEMES)
            ),
            models.CheckConstraint(
                name="entry_sign_matches_kind",
                condition=(
                    Q(kind__in=[AccountEntryKind.TRANSFER_OUT, AccountEntryKind.REFUND]) & Q(amount__lte=0)
                )
                | (Q(kind=AccountEntryKind.CORRECTION) & ~Q(amount=0))
                | (Q(kind__in=[AccountEntryKind.INTEREST, AccountEntryKind.TRANSFER_IN]) & Q(amount__gte=0)),
            ),
            models.CheckConstraint(
                name="interest_entry_has_run",
                condition=_cause_matches_kind((AccountEntryKind.INTEREST,), "interest_run"),
            ),
            models.CheckConstraint(
                name="transfer_entry_has_transfer",
                condition=_cause_matches_kind(TRANSFER_CAUSED_KINDS, "transfer_id"),
            ),
            models.CheckConstraint(
                name="correction_entry_has_correction",
                condition=_cause_matches_kind((AccountEntryKind.CORRECTION,), "correction"),
            ),
            # Interest is credited once per account and month it is credited up to (YYYY12 at year end).
            models.UniqueConstraint(
                fields=["person", "province", "scheme", "period"],
                condition=Q(kind=AccountEntryKind.INTEREST),
                name="one_interest_entry_per_period",
            ),
            models.UniqueConstraint(
                fields=["person", "correction"],
                condition=Q(correction__isnull=False),
                name="one_entry_per_correction",
            ),
        ]
        indexes = [models.Index(fields=["person", "period"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.scheme} {self.kind} {self.amount}"


# A ledger id: the letter of its source table and the row's id there.
_LEDGER_ID = re.compile(r"([a-z])([1-9][0-9]{0,18})")


class LedgerEntryQuerySet(models.QuerySet):
    def with_id(self, entry_id: str) -> LedgerEntryQuerySet:
        """The entry of a ledger id, found through its source row's key (a lookup by the view's text id
        itself would read every row of both tables). An id of no possible entry finds nothing."""
        match = _LEDGER_ID.fullmatch(str(entry_id))
        if match is None:
            return self.none()
        return self.filter(source=match[1], source_id=int(match[2]))


class LedgerEntry(models.Model):
    """The personal-account ledger, read-only: a database view (migration 0011) of the contribution
    credits of the schemes with an account (`ACCOUNT_SCHEMES`) and the `AccountEntry` rows. A balance is
    the sum of the amounts of one person, province and scheme. A credit is its contribution record, not a
    copy of it, so the two can never disagree, and an import writes each month once.

    The id is opaque text, stable for the life of the entry: clients must treat it as an opaque string,
    not parse it or count on its form or order. It is the source's letter and the source row's id ("c123"
    a contribution credit, "a45" an account entry), so that adding a source never changes an id handed
    out before."""

    id = models.CharField(primary_key=True, max_length=24)
    source = models.CharField(max_length=1)
    source_id = models.BigIntegerField()
    person = models.ForeignKey(InsuredPerson, on_delete=models.DO_NOTHING, related_name="+")
    province = models.ForeignKey(Region, on_delete=models.DO_NOTHING, related_name="+")
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    kind = models.CharField(max_length=16, choices=AccountEntryKind.choices)
    amount = models.DecimalField(**MONEY)
    period = models.PositiveIntegerField(help_text=_("The month (YYYYMM) the entry belongs to."))
    contribution = models.ForeignKey(
        ContributionRecord, on_delete=models.DO_NOTHING, null=True, related_name="+"
    )
    interest_run = models.ForeignKey(InterestRun, on_delete=models.DO_NOTHING, null=True, related_name="+")
    transfer_id = models.BigIntegerField(null=True)
    correction = models.ForeignKey(
        AccountCorrection, on_delete=models.DO_NOTHING, null=True, related_name="+"
    )
    created_at = models.DateTimeField()

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        managed = False
        db_table = "insurance_ledger"
        verbose_name = _("personal-account ledger entry")
        verbose_name_plural = _("personal-account ledger")

    def __str__(self) -> str:
        return f"{self.person_id} {self.scheme} {self.kind} {self.amount}"
