"""The state machines of the insurance registry (core.states): which moves each status may make."""

from __future__ import annotations

from core.states import StateMachine
from insurance.models import (
    AccountCorrection,
    CertificateStatus,
    CorrectionStatus,
    InsuranceRelationship,
    InsuredPerson,
    ParticipationCertificate,
    PersonStatus,
    RelationshipStatus,
    Transfer,
    TransferStatus,
)

PERSON_STATES = StateMachine(
    InsuredPerson,
    person_field="id",
    moves={
        PersonStatus.ACTIVE: {PersonStatus.RETIRED, PersonStatus.DECEASED},
        PersonStatus.RETIRED: {PersonStatus.DECEASED},
    },
)

# Paying and suspended are the open states; a relationship left (transferred out, closed by death, a
# temporary account sealed when it is gathered) stays as history, and enrolling there again opens a new
# relationship.
RELATIONSHIP_STATES = StateMachine(
    InsuranceRelationship,
    moves={
        RelationshipStatus.PAYING: {
            RelationshipStatus.SUSPENDED,
            RelationshipStatus.TRANSFERRED_OUT,
            RelationshipStatus.CLOSED,
            RelationshipStatus.SEALED,
        },
        RelationshipStatus.SUSPENDED: {
            RelationshipStatus.PAYING,
            RelationshipStatus.TRANSFERRED_OUT,
            RelationshipStatus.CLOSED,
            RelationshipStatus.SEALED,
        },
    },
)

# A correction is decided once: approved (its ledger entry is written) or rejected.
CORRECTION_STATES = StateMachine(
    AccountCorrection,
    moves={CorrectionStatus.PROPOSED: {CorrectionStatus.APPROVED, CorrectionStatus.REJECTED}},
)

CERTIFICATE_STATES = StateMachine(
    ParticipationCertificate, moves={CertificateStatus.ISSUED: {CertificateStatus.REVOKED}}
)

# A transfer (DOMAIN.md §3): applied at the transfer-in province (or offered and confirmed), then accepted
# with a contact letter or rejected, the funds sent by the transfer-out province, and completed at the
# transfer-in province. The applicant may withdraw until the contact letter is sent.
TRANSFER_STATES = StateMachine(
    Transfer,
    moves={
        TransferStatus.OFFERED: {TransferStatus.APPLIED, TransferStatus.DECLINED},
        TransferStatus.APPLIED: {TransferStatus.ACCEPTED, TransferStatus.REJECTED, TransferStatus.WITHDRAWN},
        TransferStatus.ACCEPTED: {TransferStatus.FUNDS_SENT},
        TransferStatus.FUNDS_SENT: {TransferStatus.COMPLETED},
    },
)
