"""Who is insured where, what they paid, and what their pension account holds (DOMAIN.md §1, §2).

Invariants that matter live in the database as well as in services: one person per ID number, one
relationship per person × scheme × province, one contribution per person × scheme × province × period,
and an append-only personal-account ledger.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Mod
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from simple_history.models import HistoricalRecords

from core.models import ProtectedIdentityNumber, Region

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 6, "decimal_places": 4}


def valid_period(field: str) -> Q:
    """A period is a month (费款所属期) stored as the integer YYYYMM."""
    month = Mod(F(field), 100)
    return Q(**{f"{field}__gte": 195001, f"{field}__lte": 209912}) & Q(
        GreaterThanOrEqual(month, 1), LessThanOrEqual(month, 12)
    )


class Scheme(models.TextChoices):
    EMPLOYEE_PENSION = "EP", "Enterprise-employee basic pension"
    RESIDENT_PENSION = "RP", "Urban-rural resident basic pension"
    EMPLOYEE_MEDICAL = "EM", "Employee basic medical"
    RESIDENT_MEDICAL = "RM", "Resident basic medical"
    UNEMPLOYMENT = "UI", "Unemployment"
    WORK_INJURY = "WI", "Work injury"


# Schemes whose contribution is a share of a wage base clamped to the province's bounds. The resident
# schemes are paid as a flat amount chosen by the person, so their "base" is that amount, unclamped.
WAGE_BASED_SCHEMES = (
    Scheme.EMPLOYEE_PENSION,
    Scheme.EMPLOYEE_MEDICAL,
    Scheme.UNEMPLOYMENT,
    Scheme.WORK_INJURY,
)


class Sex(models.TextChoices):
    MALE = "M", "Male"
    FEMALE = "F", "Female"


class PersonStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    RETIRED = "retired", "Retired"
    DECEASED = "deceased", "Deceased"


class InsuredPerson(ProtectedIdentityNumber):
    """An insured person. The ID number (= social security number) is the natural key; it is stored
    encrypted, and found through its keyed hash. Name, sex and birth date come from the ID."""

    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    name = models.CharField(max_length=64)
    sex = models.CharField(max_length=1, choices=Sex.choices)
    birth_date = models.DateField()
    hukou_province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    residence_province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    phone = models.CharField(max_length=20, blank=True)
    status = models.CharField(max_length=10, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    date_of_death = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["id_number_ciphertext"])

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="deceased_iff_date_of_death",
                condition=(Q(status=PersonStatus.DECEASED) & Q(date_of_death__isnull=False))
                | (~Q(status=PersonStatus.DECEASED) & Q(date_of_death__isnull=True)),
            ),
            models.CheckConstraint(name="death_after_birth", condition=Q(date_of_death__gte=F("birth_date"))),
        ]
        # Agency search by name prefix (LIKE 'x%') must not scan millions of rows.
        indexes = [
            models.Index(fields=["name"], opclasses=["varchar_pattern_ops"], name="person_name_prefix")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked})"


class Employer(models.Model):
    code = models.CharField("unified social credit code", max_length=18, unique=True)
    name = models.CharField(max_length=200)
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="employer_code_shape", condition=Q(code__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$")
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class RelationshipStatus(models.TextChoices):
    PAYING = "paying", "Paying"
    SUSPENDED = "suspended", "Suspended"
    TRANSFERRED_OUT = "transferred_out", "Transferred out"
    CLOSED = "closed", "Closed"


class InsuranceRelationship(models.Model):
    """A person's insurance in one scheme and one province."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="relationships")
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=RelationshipStatus.choices, default=RelationshipStatus.PAYING
    )
    is_temporary_account = models.BooleanField(default=False)
    opened_period = models.PositiveIntegerField()
    closed_period = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "scheme", "province"], name="one_relationship_per_person_scheme_province"
            ),
            # A person pays into one scheme in one province at a time.
            models.UniqueConstraint(
                fields=["person", "scheme"],
                condition=Q(status=RelationshipStatus.PAYING),
                name="one_paying_relationship_per_scheme",
            ),
            models.CheckConstraint(
                name="relationship_opened_period_valid", condition=valid_period("opened_period")
            ),
            models.CheckConstraint(
                name="relationship_closed_after_opened",
                condition=Q(closed_period__isnull=True) | Q(closed_period__gte=F("opened_period")),
            ),
        ]
        indexes = [models.Index(fields=["province", "scheme", "status"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.scheme} in {self.province_id} ({self.status})"


class ProvinceYearConfig(models.Model):
    """A province's published figures for one year: the base bounds and the account interest rate.
    Defaults are the national ones (DOMAIN.md §2); provinces override them."""

    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    average_monthly_wage = models.DecimalField(
        **MONEY, help_text="The province's average monthly wage of the previous year."
    )
    base_floor_ratio = models.DecimalField(**RATE, default=Decimal("0.6000"))
    base_ceiling_ratio = models.DecimalField(**RATE, default=Decimal("3.0000"))
    account_interest_rate = models.DecimalField(
        **RATE, null=True, blank=True, help_text="Personal-account interest rate, once published."
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["province", "year"], name="one_config_per_province_year"),
            models.CheckConstraint(name="average_wage_positive", condition=Q(average_monthly_wage__gt=0)),
            models.CheckConstraint(
                name="base_bounds_ordered",
                condition=Q(base_floor_ratio__gt=0) & Q(base_ceiling_ratio__gte=F("base_floor_ratio")),
            ),
        ]
        ordering = ["province", "-year"]

    def __str__(self) -> str:
        return f"{self.province_id} {self.year}"


class ContributionRate(models.Model):
    """Rates of one scheme in one province-year. `account_rate` is the share of the base credited to
    the personal account; `flexible_rate` is what a flexible worker (no employer) pays alone."""

    config = models.ForeignKey(ProvinceYearConfig, on_delete=models.CASCADE, related_name="rates")
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    employer_rate = models.DecimalField(**RATE)
    individual_rate = models.DecimalField(**RATE)
    account_rate = models.DecimalField(**RATE, default=Decimal("0"))
    flexible_rate = models.DecimalField(**RATE, null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["config", "scheme"], name="one_rate_per_config_scheme"),
            models.CheckConstraint(
                name="rates_within_bounds",
                condition=Q(employer_rate__gte=0, employer_rate__lte=1)
                & Q(individual_rate__gte=0, individual_rate__lte=1)
                & Q(account_rate__gte=0, account_rate__lte=1),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.config} {self.scheme}"


class PaymentType(models.TextChoices):
    NORMAL = "normal", "Normal"
    BACK_PAYMENT = "back_payment", "Back payment"
    LUMP_SUM_BACK_PAYMENT = "lump_sum_back_payment", "Lump-sum back payment"


class BaseAdjustment(models.TextChoices):
    NONE = "none", "Within bounds"
    RAISED_TO_FLOOR = "raised_to_floor", "Raised to the floor (60 %)"
    LOWERED_TO_CEILING = "lowered_to_ceiling", "Lowered to the ceiling (300 %)"


class ContributionRecord(models.Model):
    """One month's contribution of a person to one scheme in one province. Amounts are computed from the
    province's configuration, never taken from input."""

    # The biggest table: every index and foreign-key check costs every imported row. person_id is led by
    # the unique key's index; nothing looks contributions up by province alone.
    person = models.ForeignKey(
        InsuredPerson, on_delete=models.PROTECT, related_name="contributions", db_index=False
    )
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    # No database foreign key: the regions are the 34 fixed by law, loaded by a migration and not deletable
    # in admin, so the per-row check (a third of an import's commit time) could never fail.
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    period = models.PositiveIntegerField(help_text="费款所属期 as YYYYMM.")
    declared_base = models.DecimalField(**MONEY)
    base = models.DecimalField(**MONEY)
    base_adjustment = models.CharField(max_length=20, choices=BaseAdjustment.choices)
    employer_rate = models.DecimalField(**RATE)
    individual_rate = models.DecimalField(**RATE)
    employer_amount = models.DecimalField(**MONEY)
    individual_amount = models.DecimalField(**MONEY)
    account_credit = models.DecimalField(**MONEY)
    payment_type = models.CharField(max_length=24, choices=PaymentType.choices, default=PaymentType.NORMAL)
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    temporary_account = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "scheme", "province", "period"], name="one_contribution_per_period"
            ),
            models.CheckConstraint(name="contribution_period_valid", condition=valid_period("period")),
            models.CheckConstraint(
                name="contribution_amounts_not_negative",
                condition=Q(base__gte=0)
                & Q(employer_amount__gte=0)
                & Q(individual_amount__gte=0)
                & Q(account_credit__gte=0),
            ),
        ]
        # No other index: every query is by person (and scheme), which the unique key's index leads with.

    def __str__(self) -> str:
        return f"{self.person_id} {self.scheme} {self.province_id} {self.period}"


class AccountEntryKind(models.TextChoices):
    CONTRIBUTION = "contribution", "Contribution credit"
    INTEREST = "interest", "Yearly interest"
    TRANSFER_IN = "transfer_in", "Transfer in"
    TRANSFER_OUT = "transfer_out", "Transfer out"


class AccountEntry(models.Model):
    """One line of a person's pension personal account, held in one province. The ledger is append-only
    (a database trigger refuses UPDATE and DELETE); the balance is the sum of the amounts."""

    # As for contributions: person_id is led by the (person, period) index, province alone is never searched.
    person = models.ForeignKey(
        InsuredPerson, on_delete=models.PROTECT, related_name="account_entries", db_index=False
    )
    # No database foreign key, for the reason given on ContributionRecord.province.
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    kind = models.CharField(max_length=16, choices=AccountEntryKind.choices)
    amount = models.DecimalField(**MONEY)
    period = models.PositiveIntegerField(help_text="The month (YYYYMM) the entry belongs to.")
    contribution = models.OneToOneField(
        ContributionRecord, on_delete=models.PROTECT, null=True, blank=True, related_name="account_entry"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "account entries"
        constraints = [
            models.CheckConstraint(
                name="contribution_entry_has_contribution",
                condition=Q(kind=AccountEntryKind.CONTRIBUTION, contribution__isnull=False)
                | (~Q(kind=AccountEntryKind.CONTRIBUTION) & Q(contribution__isnull=True)),
            ),
            models.CheckConstraint(
                name="entry_sign_matches_kind",
                condition=(Q(kind=AccountEntryKind.TRANSFER_OUT) & Q(amount__lte=0))
                | (~Q(kind=AccountEntryKind.TRANSFER_OUT) & Q(amount__gte=0)),
            ),
            # Yearly interest is credited once per person, province and year (period = YYYY12).
            models.UniqueConstraint(
                fields=["person", "province", "period"],
                condition=Q(kind=AccountEntryKind.INTEREST),
                name="one_interest_entry_per_year",
            ),
        ]
        indexes = [models.Index(fields=["person", "period"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.amount}"


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
        return f"{self.reader_id} read {self.person_id} at {self.read_at:%Y-%m-%d %H:%M}"


class ParticipationCertificate(models.Model):
    """A participation certificate (参保证明) as issued: anyone holding the verification code can check
    that a copy is genuine (the code exists) and unaltered (its PDF hashes to `pdf_sha256`)."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="certificates")
    verification_code = models.CharField(max_length=32, unique=True)
    issued_at = models.DateTimeField(auto_now_add=True)
    content = models.JSONField(help_text="The facts printed on the certificate, as issued.")
    content_sha256 = models.CharField(max_length=64)
    pdf_sha256 = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"certificate {self.verification_code}"


class ImportKind(models.TextChoices):
    PERSONS = "persons", "Persons"
    CONTRIBUTIONS = "contributions", "Contributions"
    DEATHS = "deaths", "Deaths"
    LIFE_EVIDENCE = "life_evidence", "Life evidence"


class ImportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


IMPORT_FINISHED_STATES = (ImportState.SUCCEEDED, ImportState.FAILED, ImportState.CANCELLED)


class ImportJob(models.Model):
    """A provincial batch file and its processing. The same file (content hash, kind, province) uploaded
    again returns the first job; chunks commit with their marker, so a re-run after a crash resumes."""

    kind = models.CharField(max_length=16, choices=ImportKind.choices)
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to="imports/")
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64)
    dry_run = models.BooleanField(default=False)
    expected_rows = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)
    rows_processed = models.PositiveIntegerField(default=0)
    rows_accepted = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    failure_code = models.CharField(max_length=64, blank=True)
    failure_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["province", "kind", "file_sha256"],
                condition=Q(dry_run=False),
                name="one_import_per_file",
            ),
            models.CheckConstraint(
                name="import_counts_consistent",
                condition=Q(rows_processed__gte=F("rows_accepted") + F("rows_rejected")),
            ),
        ]
        indexes = [models.Index(fields=["state", "heartbeat_at"])]

    def __str__(self) -> str:
        return f"import {self.pk} {self.kind} {self.province_id} ({self.state})"


class ImportChunk(models.Model):
    """Marks a chunk as written: committed in the same transaction as the chunk's rows."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    rows = models.PositiveIntegerField()
    accepted = models.PositiveIntegerField()
    rejected = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="one_marker_per_chunk")]

    def __str__(self) -> str:
        return f"import {self.job_id} chunk {self.number}"


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row = models.PositiveIntegerField(help_text="Line of the file, the header being line 1.")
    column = models.CharField(max_length=64, blank=True)
    code = models.CharField(max_length=64)
    message = models.CharField(max_length=500)

    class Meta:
        indexes = [models.Index(fields=["job", "row"])]

    def __str__(self) -> str:
        return f"import {self.job_id} row {self.row}: {self.code}"
