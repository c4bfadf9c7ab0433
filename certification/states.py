"""The state machines of certification (core.states): pension awards, where paying and suspended move
between each other and a stop (death) is final; and survivors' claims, which go from opened through the
survivor's details and a clerk's check to paid, or are rejected at any step before."""

from __future__ import annotations

from certification.models import AwardStatus, PensionAward, SurvivorClaim, SurvivorClaimStatus
from core.states import StateMachine

AWARD_STATES = StateMachine(
    PensionAward,
    moves={
        AwardStatus.PAYING: {AwardStatus.SUSPENDED, AwardStatus.STOPPED},
        AwardStatus.SUSPENDED: {AwardStatus.PAYING, AwardStatus.STOPPED},
    },
)

CLAIM_STATES = StateMachine(
    SurvivorClaim,
    moves={
        SurvivorClaimStatus.OPENED: {SurvivorClaimStatus.SUBMITTED, SurvivorClaimStatus.REJECTED},
        SurvivorClaimStatus.SUBMITTED: {SurvivorClaimStatus.CHECKED, SurvivorClaimStatus.REJECTED},
        SurvivorClaimStatus.CHECKED: {SurvivorClaimStatus.PAID, SurvivorClaimStatus.REJECTED},
    },
)
