"""Recovery of pension overpaid after a death (DOMAIN.md §4): what was recovered, what is left, and a
write-off of what is left, which needs a second person's approval."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from certification.models import RecoveryCase, RecoveryStatus
from core.exceptions import ApplicationError, ConflictError, ForbiddenError
from core.money import money
from core.states import Actor


def _open_case(case: RecoveryCase) -> RecoveryCase:
    case = RecoveryCase.objects.select_for_update().get(pk=case.pk)
    if case.status != RecoveryStatus.OPEN:
        raise ConflictError("recovery_case_closed", _("The recovery case is closed."))
    return case


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
    if actor.user_id is None or actor.user_id == case.write_off_proposed_by_id:
        raise ForbiddenError(
            "recovery_write_off_same_person",
            _("A write-off is approved by a person other than who proposed it."),
        )
    case.status, case.written_off_by_id = RecoveryStatus.WRITTEN_OFF, actor.user_id
    case.save(update_fields=["status", "written_off_by_id"])
    return case
