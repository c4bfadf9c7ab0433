"""Recovery of pension overpaid after a death (DOMAIN.md §4): recovered from the survivors' claim of the
same award first (offset when the claim is paid), then by repayment; what is left can be written off with
a second person's approval, once the claim can no longer offset anything."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from certification.models import RecoveryCase, RecoveryStatus, SurvivorClaim, SurvivorClaimStatus
from core.exceptions import ApplicationError, ConflictError, ForbiddenError
from core.money import money
from core.states import Actor


def _open_case(case: RecoveryCase) -> RecoveryCase:
    case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
    if case.status != RecoveryStatus.OPEN:
        raise ConflictError("recovery_case_closed", _("The recovery case is closed."))
    return case


def recovery_offset_against_claim(
    *, person_id: int, award_id: int, available: Decimal
) -> tuple[RecoveryCase | None, Decimal]:
    """Offset what the award's open recovery case is owed against a survivors' claim being paid, up to
    the claim's `available` amount: recorded on the case as recovered from the claim (closing it once
    nothing is left). Returns the case (None when none is open) and the amount offset. For
    `survivors_claim_pay`, inside its transaction."""
    case = (
        RecoveryCase.objects.select_for_update()
        .filter(person_id=person_id, award_id=award_id, status=RecoveryStatus.OPEN)
        .first()
    )
    if case is None:
        return None, Decimal("0.00")
    offset = min(case.left, money(Decimal(available)))
    case.recovered += offset
    case.recovered_from_claim += offset
    if case.left == 0:
        case.status = RecoveryStatus.RECOVERED
    case.save(update_fields=["recovered", "recovered_from_claim", "status"])
    return case, offset


_CLAIM_PENDING = (SurvivorClaimStatus.OPENED, SurvivorClaimStatus.SUBMITTED, SurvivorClaimStatus.CHECKED)


def _refuse_while_claim_pending(case: RecoveryCase) -> None:
    """What is left is offset against the survivors' claim first: it is not written off while the claim
    may still be paid."""
    if SurvivorClaim.objects.filter(
        person_id=case.person_id, award_id=case.award_id, status__in=_CLAIM_PENDING
    ).exists():
        raise ConflictError(
            "recovery_claim_pending",
            _("The survivors' claim is offset first: pay or reject it before writing off what is left."),
        )


@transaction.atomic
def recovery_repayment_record(*, case: RecoveryCase, amount: Decimal) -> RecoveryCase:
    """Record money recovered; the case closes as recovered once nothing is left. Refused above what is
    left, or not positive."""
    case = _open_case(case)
    amount = money(Decimal(amount))
    if amount <= 0 or amount > case.left:
        raise ApplicationError(
            "recovery_amount_invalid",
            _("A repayment is more than zero and at most what is left (%(left)s).") % {"left": case.left},
            fields={"amount": [str(case.left)]},
        )
    case.recovered += amount
    if case.left == 0:
        case.status = RecoveryStatus.RECOVERED
    case.save(update_fields=["recovered", "status"])
    return case


@transaction.atomic
def recovery_write_off_propose(*, case: RecoveryCase, reason: str, actor: Actor) -> RecoveryCase:
    case = _open_case(case)
    _refuse_while_claim_pending(case)
    if not reason.strip():
        raise ApplicationError(
            "recovery_write_off_reason_required", _("Say why what is left is written off.")
        )
    case.write_off_proposed_by_id, case.write_off_reason = actor.user_id, reason.strip()
    case.save(update_fields=["write_off_proposed_by_id", "write_off_reason"])
    return case


@transaction.atomic
def recovery_write_off_approve(*, case: RecoveryCase, actor: Actor) -> RecoveryCase:
    """Write off what is left, approved by a person other than the one who proposed it."""
    case = _open_case(case)
    if case.write_off_proposed_by_id is None:
        raise ConflictError("recovery_write_off_not_proposed", _("No write-off has been proposed."))
    _refuse_while_claim_pending(case)
    if actor.user_id is None or actor.user_id == case.write_off_proposed_by_id:
        raise ForbiddenError(
            "recovery_write_off_same_person",
            _("A write-off is approved by a person other than who proposed it."),
        )
    case.status, case.written_off_by_id = RecoveryStatus.WRITTEN_OFF, actor.user_id
    case.save(update_fields=["status", "written_off_by_id"])
    return case
