"""Insurance records (DOMAIN.md §1, §2). Invariants that matter live in the database as well as in the
services: one person per ID number, one relationship per person x scheme x province, one contribution per
person x scheme x province x period, and an append-only personal-account ledger
per person x province x scheme."""

from insurance.models.accounts import (
    ACCOUNT_SCHEMES,
    TRANSFER_CAUSED_KINDS,
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
from insurance.models.transfers import (
    OPEN_TRANSFER_STATUSES,
    STEP_SIDE,
    TRANSFER_SCHEMES,
    FundEntry,
    FundEntryKind,
    FundLedgerEntry,
    ReconciliationAlert,
    Transfer,
    TransferEscalation,
    TransferStatus,
)

__all__ = [
    "ACCOUNT_SCHEMES",
    "CONTRIBUTION_COLUMNS",
    "INBOX_KIND_PATTERN",
    "OPEN_RELATIONSHIP_STATUSES",
    "OPEN_TRANSFER_STATUSES",
    "STEP_SIDE",
    "TRANSFER_CAUSED_KINDS",
    "TRANSFER_KINDS",
    "TRANSFER_SCHEMES",
    "WAGE_BASED_SCHEMES",
    "AccountCorrection",
    "AccountEntry",
    "AccountEntryKind",
    "BaseAdjustment",
    "ContributionRate",
    "ContributionRecord",
    "CorrectionStatus",
    "Employer",
    "FundEntry",
    "FundEntryKind",
    "FundLedgerEntry",
    "IdentityReadLog",
    "InboxMessage",
    "InsuranceRelationship",
    "InsuredPerson",
    "InterestRun",
    "LedgerEntry",
    "ParticipationCertificate",
    "PaymentType",
    "PersonStatus",
    "ProvinceYearConfig",
    "ReconciliationAlert",
    "RelationshipStatus",
    "Scheme",
    "Sex",
    "Transfer",
    "TransferEscalation",
    "TransferStatus",
]
