"""What was paid (DOMAIN.md §2): province figures and contribution records. The personal accounts they
credit are in `insurance.models.accounts`."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import Region
from insurance.models.registry import MONEY, RATE, Employer, InsuredPerson, Scheme, valid_period


class ProvinceYearConfig(models.Model):
    """A province's published figures for one year: the base bounds and the account interest rate.
    Defaults are the national ones (DOMAIN.md §2); provinces override them."""

    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    average_monthly_wage = models.DecimalField(
        **MONEY, help_text=_("The province's average monthly wage of the previous year.")
    )
    base_floor_ratio = models.DecimalField(**RATE, default=Decimal("0.6000"))
    base_ceiling_ratio = models.DecimalField(**RATE, default=Decimal("3.0000"))
    account_interest_rate = models.DecimalField(
        **RATE, null=True, blank=True, help_text=_("Personal-account interest rate, once published.")
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
        # The admin action that runs account_interest_credit for a province-year (accounts.roles).
        permissions = [("credit_interest_provinceyearconfig", "Can credit a year's account interest")]

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
    NORMAL = "normal", _("Normal")
    BACK_PAYMENT = "back_payment", _("Back payment")
    LUMP_SUM_BACK_PAYMENT = "lump_sum_back_payment", _("Lump-sum back payment")


class BaseAdjustment(models.TextChoices):
    NONE = "none", _("Within bounds")
    RAISED_TO_FLOOR = "raised_to_floor", _("Raised to the floor (60 %)")
    LOWERED_TO_CEILING = "lowered_to_ceiling", _("Lowered to the ceiling (300 %)")


class ContributionRecord(models.Model):
    """One month's contribution of a person to one scheme in one province. Amounts are computed from the
    province's configuration, never taken from input. Append-only (a database trigger refuses UPDATE and
    DELETE): a record's `account_credit` is the personal account's contribution credit, read through
    `LedgerEntry`, so rewriting a record would rewrite the ledger."""

    # The biggest table, written by the hundred thousand rows by imports: every index and foreign-key check
    # costs every row, and the checks on person and employer were the largest part of an import's database
    # time. So the references are guarded from the other side: persons and employers are never deleted
    # (PROTECT here, and a database trigger refuses deleting one that has contributions, see migration
    # 0008), and every writer looks the person and employer up before inserting. person_id is led by the
    # unique key's index; nothing looks contributions up by province alone.
    person = models.ForeignKey(
        InsuredPerson,
        on_delete=models.PROTECT,
        related_name="contributions",
        db_index=False,
        db_constraint=False,
    )
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    # No database foreign key: the regions are the 34 fixed by law, loaded by a migration and not deletable
    # in admin, so the per-row check (a large part of an import's commit time) could never fail.
    province = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    period = models.PositiveIntegerField(help_text=_("费款所属期 as YYYYMM."))
    declared_base = models.DecimalField(**MONEY)
    base = models.DecimalField(**MONEY)
    base_adjustment = models.CharField(max_length=20, choices=BaseAdjustment.choices)
    employer_rate = models.DecimalField(**RATE)
    individual_rate = models.DecimalField(**RATE)
    employer_amount = models.DecimalField(**MONEY)
    individual_amount = models.DecimalField(**MONEY)
    account_credit = models.DecimalField(**MONEY)
    payment_type = models.CharField(max_length=24, choices=PaymentType.choices, default=PaymentType.NORMAL)
    # Not indexed: nothing reads contributions by employer, and the index cost every imported row. Only
    # deleting an employer asks, which scans (see migration 0008): employers are kept, not deleted.
    employer = models.ForeignKey(
        Employer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    temporary_account = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Period second: the index then also hands a person's records out newest first, which is
            # how citizens and agencies page through them, so the first page reads 51 entries instead of
            # sorting all of the person's records (hundreds).
            models.UniqueConstraint(
                fields=["person", "period", "scheme", "province"], name="one_contribution_per_period"
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


# The columns that recording a contribution writes, in order (every column but the id): the one manifest of
# the COPY that records contributions (insurance.services.contributions) and of its staging table.
CONTRIBUTION_COLUMNS = tuple(
    field.column for field in ContributionRecord._meta.concrete_fields if not field.primary_key
)
