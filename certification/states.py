"""The state machine of pension awards (core.states): paying and suspended move between each other; a
stop (death) is final."""

from __future__ import annotations

from certification.models import AwardStatus, PensionAward
from core.states import StateMachine

AWARD_STATES = StateMachine(
    PensionAward,
    moves={
        AwardStatus.PAYING: {AwardStatus.SUSPENDED, AwardStatus.STOPPED},
        AwardStatus.SUSPENDED: {AwardStatus.PAYING, AwardStatus.STOPPED},
    },
)
