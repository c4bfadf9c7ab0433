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
)

PERSON_STATES = StateMachine(
    InsuredPerson,
    person_field="id",
    moves={
        PersonStatus.ACTIVE: {PersonStatus.RETIRED, PersonStatus.DECEASED},
        PersonStatus.RETIRED: {PersonStatus.DECEASED},
    },
)

# Paying and suspended are the open states; a relationship left (transferred out, closed by death) stays
# as history, and enrolling there again opens a new relationship.
RELATIONSHIP_STATES = StateMachine(
    InsuranceRelationship,
    moves={
        RelationshipStatus.PAYING: {
            RelationshipStatus.SUSPENDED,
            RelationshipStatus.TRANSFERRED_OUT,
            RelationshipStatus.CLOSED,
        },
        RelationshipStatus.SUSPENDED: {
            RelationshipStatus.PAYING,
            RelationshipStatus.TRANSFERRED_OUT,
            RelationshipStatus.CLOSED,
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
