"""Insurance records (DOMAIN.md §1, §2). Invariants that matter live in the database as well as in the
services: one person per ID number, one relationship per person x scheme x province, one contribution per
person x scheme x province x period, and an append-only personal-account ledger."""

from insurance.models.contributions import (
    CONTRIBUTION_COLUMNS,
    AccountEntry,
    AccountEntryKind,
    BaseAdjustment,
    ContributionRate,
    ContributionRecord,
    LedgerEntry,
    PaymentType,
    ProvinceYearConfig,
)
from insurance.models.imports import (
    IMPORT_FINISHED_STATES,
    ImportChunk,
    ImportJob,
    ImportKind,
    ImportRowError,
    ImportState,
)
from insurance.models.inbox import INBOX_KIND_PATTERN, InboxMessage
from insurance.models.records import IdentityReadLog, ParticipationCertificate
from insurance.models.registry import (
    OPEN_RELATIONSHIP_STATUSES,
    WAGE_BASED_SCHEMES,
    Employer,
    InsuranceRelationship,
    InsuredPerson,
    PersonStatus,
    RelationshipStatus,
    Scheme,
    Sex,
)

__all__ = [
    "CONTRIBUTION_COLUMNS",
    "IMPORT_FINISHED_STATES",
    "INBOX_KIND_PATTERN",
    "OPEN_RELATIONSHIP_STATUSES",
    "WAGE_BASED_SCHEMES",
    "AccountEntry",
    "AccountEntryKind",
    "BaseAdjustment",
    "ContributionRate",
    "ContributionRecord",
    "Employer",
    "IdentityReadLog",
    "ImportChunk",
    "ImportJob",
    "ImportKind",
    "ImportRowError",
    "ImportState",
    "InboxMessage",
    "InsuranceRelationship",
    "InsuredPerson",
    "LedgerEntry",
    "ParticipationCertificate",
    "PaymentType",
    "PersonStatus",
    "ProvinceYearConfig",
    "RelationshipStatus",
    "Scheme",
    "Sex",
]
