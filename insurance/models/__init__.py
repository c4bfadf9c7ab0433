"""Insurance records (DOMAIN.md §1, §2). Invariants that matter live in the database as well as in the
services: one person per ID number, one relationship per person x scheme x province, one contribution per
person x scheme x province x period, and an append-only personal-account ledger
per person x province x scheme."""

from insurance.models.accounts import (
    ACCOUNT_SCHEMES,
    TRANSFER_KINDS,
    AccountCorrection,
    AccountEntry,
    AccountEntryKind,
    CorrectionStatus,
    InterestRun,
    LedgerEntry,
)
from insurance.models.contributions import (
    CONTRIBUTION_COLUMNS,
    BaseAdjustment,
    ContributionRate,
    ContributionRecord,
    PaymentType,
    ProvinceYearConfig,
)
from insurance.models.inbox import INBOX_KIND_PATTERN, InboxMessage
from insurance.models.records import CertificateStatus, IdentityReadLog, ParticipationCertificate
from insurance.models.registry import (
    OPEN_RELATIONSHIP_STATUSES,
    WAGE_BASED_SCHEMES,
    Employer,
    InsuranceRelationship,
    InsuredPerson,
    NameBigrams,
    PersonStatus,
    RelationshipStatus,
    Scheme,
    Sex,
    name_bigrams,
)

__all__ = [
    "ACCOUNT_SCHEMES",
    "CONTRIBUTION_COLUMNS",
    "INBOX_KIND_PATTERN",
    "OPEN_RELATIONSHIP_STATUSES",
    "TRANSFER_KINDS",
    "WAGE_BASED_SCHEMES",
    "AccountCorrection",
    "AccountEntry",
    "AccountEntryKind",
    "BaseAdjustment",
    "CertificateStatus",
    "ContributionRate",
    "ContributionRecord",
    "CorrectionStatus",
    "Employer",
    "IdentityReadLog",
    "InboxMessage",
    "InsuranceRelationship",
    "InsuredPerson",
    "InterestRun",
    "LedgerEntry",
    "NameBigrams",
    "ParticipationCertificate",
    "PaymentType",
    "PersonStatus",
    "ProvinceYearConfig",
    "RelationshipStatus",
    "Scheme",
    "Sex",
    "name_bigrams",
]
