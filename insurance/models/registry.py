"""Who is insured where (DOMAIN.md §1): persons, employers and insurance relationships."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Mod
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import ProtectedIdentityNumber, Region

MONEY = {"max_digits": 14, "decimal_places": 2}
RATE = {"max_digits": 6, "decimal_places": 4}


def valid_period(field: str) -> Q:
    """A period is a month (费款所属期) stored as the integer YYYYMM. The database holds only its shape: which
    months may be recorded is the rule of insurance.periods, a setting that changes without a migration."""
    month = Mod(F(field), 100)
    return Q(**{f"{field}__gte": 190001, f"{field}__lte": 209912}) & Q(
        GreaterThanOrEqual(month, 1), LessThanOrEqual(month, 12)
    )


class Scheme(models.TextChoices):
    EMPLOYEE_PENSION = "EP", _("Enterprise-employee basic pension")
    RESIDENT_PENSION = "RP", _("Urban-rural resident basic pension")
    EMPLOYEE_MEDICAL = "EM", _("Employee basic medical")
    RESIDENT_MEDICAL = "RM", _("Resident basic medical")
    UNEMPLOYMENT = "UI", _("Unemployment")
    WORK_INJURY = "WI", _("Work injury")


# Schemes whose contribution is a share of a wage base clamped to the province's bounds. The resident
# schemes are paid as a flat amount chosen by the person, so their "base" is that amount, unclamped.
WAGE_BASED_SCHEMES = (
    Scheme.EMPLOYEE_PENSION,
    Scheme.EMPLOYEE_MEDICAL,
    Scheme.UNEMPLOYMENT,
    Scheme.WORK_INJURY,
)


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")
    DECEASED = "deceased", _("Deceased")


class NameBigrams(models.Func):
    """The distinct two-character parts of a name (王小明: 王小, 小明), by the SQL function
    `insurance_name_bigrams` (migration 0015), which `name_bigrams` computes alike in Python. A GIN index
    over it finds any part of a name of two characters or more: Chinese names are two to four characters,
    which a trigram index cannot select on, and full-text search does not split Chinese. Being an index on
    an expression of the name, PostgreSQL keeps it on every write path (API, import, admin, demo data)."""

    function = "insurance_name_bigrams"
    output_field = ArrayField(models.TextField())


def name_bigrams(name: str) -> list[str]:
    """What `NameBigrams` computes in the database, for a search term: its distinct two-character parts
    (by character, as PostgreSQL's substr counts them)."""
    return sorted({name[start : start + 2] for start in range(len(name) - 1)})


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
        # Agency search by exact name or prefix (= and LIKE 'x%'), and by any part of it (NameBigrams),
        # must not scan millions of rows. The name is stored in the clear beside it: the bigrams reveal no
        # more than the column they are computed from.
        indexes = [
            models.Index(fields=["name"], opclasses=["varchar_pattern_ops"], name="person_name_prefix"),
            GinIndex(NameBigrams("name"), name="person_name_bigrams"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_number_masked})"


class Employer(models.Model):
    code = models.CharField(_("unified social credit code"), max_length=18, unique=True)
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
    PAYING = "paying", _("Paying")
    SUSPENDED = "suspended", _("Suspended")
    TRANSFERRED_OUT = "transferred_out", _("Transferred out")
    CLOSED = "closed", _("Closed")
    # A temporary account (临时缴费账户) left on a further move or at retirement: its contributions, with
    # interest, were gathered to the province of the basic relationship or the benefit province.
    SEALED = "sealed", _("Sealed and gathered")


OPEN_RELATIONSHIP_STATUSES = (RelationshipStatus.PAYING, RelationshipStatus.SUSPENDED)


class InsuranceRelationship(models.Model):
    """A person's insurance in one scheme and one province, from the month it opened (参保登记). Paying and
    suspended relationships are open; one that was left (transferred out, closed, or a temporary account
    sealed and gathered) stays as history, and enrolling in that province again opens a new one.
    `employer` is empty for a flexible worker."""

    person = models.ForeignKey(InsuredPerson, on_delete=models.PROTECT, related_name="relationships")
    scheme = models.CharField(max_length=2, choices=Scheme.choices)
    province = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=RelationshipStatus.choices, default=RelationshipStatus.PAYING
    )
    is_temporary_account = models.BooleanField(default=False)
    employer = models.ForeignKey(
        Employer, on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    opened_period = models.PositiveIntegerField()
    closed_period = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "scheme", "province"],
                condition=Q(status__in=OPEN_RELATIONSHIP_STATUSES),
                name="one_open_relationship_per_person_scheme_province",
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
            models.CheckConstraint(
                name="only_a_temporary_account_is_sealed",
                condition=~Q(status=RelationshipStatus.SEALED) | Q(is_temporary_account=True),
            ),
        ]
        indexes = [models.Index(fields=["province", "scheme", "status"])]
        # The admin's suspend and resume actions (relationship_suspend / relationship_resume).
        permissions = [("suspend_insurancerelationship", "Can suspend and resume payment")]

    def __str__(self) -> str:
        return _("%(person_id)s %(scheme)s in %(province_id)s (%(status)s)") % {
            "person_id": self.person_id,
            "scheme": self.scheme,
            "province_id": self.province_id,
            "status": self.status,
        }
