"""Cross-province transfers (DOMAIN.md §3; the medical transfer by 医保办发〔2021〕43号), one service per
move of TRANSFER_STATES:

    transfer_apply          -> applied      the person, at the transfer-in province
    transfer_offers_make    -> offered      the platform, for people who enrolled in a new province
    transfer_confirm        offered -> applied, transfer_decline offered -> declined (the person)
    transfer_withdraw       applied -> withdrawn (the person, before the contact letter)
    transfer_accept         applied -> accepted (the contact letter), transfer_reject -> rejected
    transfer_funds_send     accepted -> funds_sent (the transfer-out province: certificate, table, money)
    transfer_complete       funds_sent -> completed (the transfer-in province records history and money)

Every move writes its StateEvent (who, when, through which channel) and a message to the person's inbox,
and sets the deadline of the next step in working days (core.workdays). The preconditions are checked by
one function, `transfer_refusal`, for an application, an offer and a confirmation alike.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise as StrPromise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from psycopg.types.json import Jsonb

from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.money import money_sql
from core.states import Actor
from core.workdays import WorkingCalendar
from insurance.hooks import PENSIONER_LOOKUPS
from insurance.models import (
    OPEN_TRANSFER_STATUSES,
    STEP_SIDE,
    TRANSFER_SCHEMES,
    AccountEntry,
    AccountEntryKind,
    ContributionRecord,
    FundEntry,
    FundEntryKind,
    InsuranceRelationship,
    InsuredPerson,
    PersonStatus,
    ReconciliationAlert,
    RelationshipStatus,
    Scheme,
    Transfer,
    TransferDocumentKind,
    TransferEscalation,
    TransferStatus,
)
from insurance.periods import month_index, period_from_index, period_of
from insurance.services.accounts import account_interest_credit, account_lock
from insurance.services.inbox import OutgoingMessage, inbox_send_many
from insurance.services.transfer_documents import transfer_documents_issue
from insurance.services.transfer_money import TransferRequest, transfer_statements_compute
from insurance.states import RELATIONSHIP_STATES, TRANSFER_STATES

logger = logging.getLogger(__name__)

# Working days each step has, counted from the day the step before it ended: the review at the
# transfer-in province (applied), the sending at the transfer-out province (accepted), the recording at the
# transfer-in province (funds sent). The pension's 15 each (国办发〔2009〕66号); the medical transfer's
# 10 at the transfer-out side and 5 at the transfer-in side.
STEP_WORKING_DAYS: dict[str, dict[str, int]] = {
    Scheme.EMPLOYEE_PENSION: {
        TransferStatus.APPLIED: 15,
        TransferStatus.ACCEPTED: 15,
        TransferStatus.FUNDS_SENT: 15,
    },
    Scheme.EMPLOYEE_MEDICAL: {
        TransferStatus.APPLIED: 5,
        TransferStatus.ACCEPTED: 10,
        TransferStatus.FUNDS_SENT: 5,
    },
}

_STEP_TITLES: dict[str, StrPromise] = {
    TransferStatus.OFFERED: gettext_lazy("A transfer of your insurance is ready for you to confirm"),
    TransferStatus.DECLINED: gettext_lazy("You declined the transfer of your insurance"),
    TransferStatus.APPLIED: gettext_lazy("Your transfer application was received"),
    TransferStatus.WITHDRAWN: gettext_lazy("Your transfer application was withdrawn"),
    TransferStatus.REJECTED: gettext_lazy("Your transfer application was rejected"),
    TransferStatus.ACCEPTED: gettext_lazy("Your transfer was accepted: the contact letter is sent"),
    TransferStatus.FUNDS_SENT: gettext_lazy("Your old province has sent your funds and information table"),
    TransferStatus.COMPLETED: gettext_lazy("Your transfer is complete"),
}


@dataclass(frozen=True, slots=True)
class _Relationships:
    source: InsuranceRelationship
    target: InsuranceRelationship


def transfer_refusal(
    *, person: InsuredPerson, scheme: str, to_province_id: str | None, from_province_id: str | None
) -> tuple[ApplicationError | None, _Relationships | None]:
    """The one check of a transfer's preconditions (DOMAIN.md §3), each with its own code, or the two
    relationships it moves between. Reads only. `to_province_id` None: where the person pays now."""
    if scheme not in TRANSFER_SCHEMES:
        return ApplicationError(
            "transfer_scheme_not_transferable",
            _("Only the employee pension and the employee medical insurance are transferred."),
            fields={"scheme": [scheme]},
        ), None
    if person.status == PersonStatus.DECEASED:
        return ConflictError("transfer_person_deceased", _("The person is deceased.")), None
    if person.status == PersonStatus.RETIRED or any(
        person.pk in lookup([person.pk]) for lookup in PENSIONER_LOOKUPS
    ):
        return ConflictError(
            "transfer_person_receives_pension", _("A person who receives a pension is not transferred.")
        ), None
    relationships = list(InsuranceRelationship.objects.filter(person_id=person.pk, scheme=scheme))
    paying = next((r for r in relationships if r.status == RelationshipStatus.PAYING), None)
    if paying is None or (to_province_id is not None and paying.province_id != to_province_id):
        return ConflictError(
            "transfer_not_enrolled_in_new_province",
            _("The person does not pay into this scheme in the transfer-in province yet."),
            fields={"province": [to_province_id or ""]},
        ), None
    if paying.is_temporary_account:
        return ConflictError(
            "transfer_into_temporary_account",
            _(
                "The person pays into a temporary account there: the relationship stays where it is "
                "until the account is gathered."
            ),
        ), None
    if from_province_id is not None and from_province_id == paying.province_id:
        return ApplicationError("transfer_same_province", _("The two provinces of a transfer differ.")), None
    others = [
        r
        for r in relationships
        if r.province_id != paying.province_id
        and r.status == RelationshipStatus.SUSPENDED
        and (from_province_id is None or r.province_id == from_province_id)
    ]
    if not others:
        return ConflictError(
            "transfer_old_relationship_not_suspended",
            _("The person has no suspended relationship of this scheme in another province."),
            fields={"province": [from_province_id or ""]},
        ), None
    if len(others) > 1:
        return ApplicationError(
            "transfer_from_province_required",
            _("The person has suspended relationships in several provinces: name the one to transfer."),
            fields={"from_province": sorted(r.province_id for r in others)},
        ), None
    source = others[0]
    owed = _months_owed(source)
    if owed:
        return ConflictError(
            "transfer_old_relationship_in_arrears",
            _("The old relationship owes months before its suspension."),
            fields={"periods": [str(period) for period in owed]},
        ), None
    return None, _Relationships(source=source, target=paying)


def _months_owed(relationship: InsuranceRelationship) -> list[int]:
    """The months between the relationship's last recorded contribution (or its opening) and its
    suspension month: none when the suspension follows the last contribution."""
    last = (
        ContributionRecord.objects.filter(
            person_id=relationship.person_id, scheme=relationship.scheme, province_id=relationship.province_id
        )
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )
    suspended = relationship.closed_period or relationship.opened_period
    start = month_index(last) + 1 if last is not None else month_index(relationship.opened_period)
    return [period_from_index(index) for index in range(start, month_index(suspended))]


def _deadline(scheme: str, step: str, start: datetime.date, calendar: WorkingCalendar) -> tuple:
    days = STEP_WORKING_DAYS[scheme].get(step)
    if days is None:
        return None, False
    deadline = calendar.working_days_add(start=start, days=days)
    return deadline.due_date, deadline.provisional


def _message(transfer: Transfer, step: str, body: str = "") -> OutgoingMessage:
    """The person's message about a step: its title, and the reason given or the next deadline."""
    if not body and transfer.due_date is not None:
        body = _("Next step due by %(due)s%(provisional)s.") % {
            "due": transfer.due_date.isoformat(),
            "provisional": _(" (provisional)") if transfer.due_provisional else "",
        }
    return OutgoingMessage(
        person_id=transfer.person_id,
        kind="transfer_step",
        title=str(_STEP_TITLES[step]),
        body=body,
        subject=transfer,
    )


def _move(
    transfer: Transfer,
    *,
    source: str,
    to: str,
    actor: Actor,
    reason: str = "",
    today: datetime.date | None = None,
    values: dict | None = None,
) -> Transfer:
    """Move the transfer from `source` by compare-and-set (of two concurrent moves one wins, the other is
    refused with `transfer_not_in_step`), set the next step's deadline, and tell the person."""
    today = today or timezone.localdate()
    due, provisional = _deadline(transfer.scheme, to, today, WorkingCalendar())
    columns = {
        "due_date": due,
        "due_provisional": provisional,
        "step_started_on": today,
        "overdue_since": None,
        **(values or {}),
    }
    moved = TRANSFER_STATES.move_many(
        [transfer.pk],
        to=to,
        actor=actor,
        reason=reason,
        sources=[source],
        values={column: [value] for column, value in columns.items()},
    )
    transfer.refresh_from_db()
    if not moved:
        raise _not_in_step(transfer, source)
    inbox_send_many([_message(transfer, to, reason)])
    return transfer


def _lock(transfer: Transfer) -> Transfer:
    """The transfer's row, locked: a move that reads more than the row (the money) holds it from start to
    end, so that two concurrent moves cannot both compute."""
    locked = Transfer.objects.select_for_update().filter(pk=transfer.pk).first()
    if locked is None:
        raise NotFoundError(_("No such transfer."))
    return locked


@transaction.atomic
def transfer_apply(
    *,
    person: InsuredPerson,
    scheme: str,
    actor: Actor,
    from_province_id: str | None = None,
    to_province_id: str | None = None,
    today: datetime.date | None = None,
) -> Transfer:
    """Apply for a transfer of `scheme` into the province where the person pays now (`to_province_id`,
    when the transfer-in agency applies for them), from their suspended relationship elsewhere. Refused,
    writing nothing, with the code of the first precondition that fails, or `transfer_already_open`."""
    account_lock(person_id=person.pk)  # one application of a person at a time
    person.refresh_from_db()
    refusal, relationships = transfer_refusal(
        person=person, scheme=scheme, to_province_id=to_province_id, from_province_id=from_province_id
    )
    if refusal is not None:
        raise refusal
    assert relationships is not None
    offered = Transfer.objects.filter(
        person_id=person.pk,
        scheme=scheme,
        status=TransferStatus.OFFERED,
        from_relationship=relationships.source,
        to_relationship=relationships.target,
    ).first()
    if offered is not None:  # applying for what was offered is confirming the offer
        return _move(
            offered,
            source=TransferStatus.OFFERED,
            to=TransferStatus.APPLIED,
            actor=actor,
            reason="Applied for by the person",
            today=today,
        )
    return _create(person, scheme, relationships, TransferStatus.APPLIED, actor, today)


def _create(
    person: InsuredPerson,
    scheme: str,
    relationships: _Relationships,
    status: str,
    actor: Actor,
    today: datetime.date | None,
) -> Transfer:
    today = today or timezone.localdate()
    due, provisional = _deadline(scheme, status, today, WorkingCalendar())
    try:
        with transaction.atomic():
            transfer = Transfer.objects.create(
                person=person,
                scheme=scheme,
                status=status,
                from_province_id=relationships.source.province_id,
                to_province_id=relationships.target.province_id,
                from_relationship=relationships.source,
                to_relationship=relationships.target,
                due_date=due,
                due_provisional=provisional,
                step_started_on=today,
            )
    except IntegrityError:
        raise _already_open() from None
    TRANSFER_STATES.record_created([(transfer.pk, status, person.pk)], actor=actor)
    inbox_send_many([_message(transfer, status)])
    return transfer


def _already_open() -> ConflictError:
    return ConflictError(
        "transfer_already_open", _("A transfer of this scheme is already in progress for this person.")
    )


def transfer_open_of(*, person_id: int, scheme: str) -> Transfer | None:
    return Transfer.objects.filter(
        person_id=person_id, scheme=scheme, status__in=OPEN_TRANSFER_STATUSES
    ).first()


@transaction.atomic
def transfer_confirm(*, transfer: Transfer, actor: Actor, today: datetime.date | None = None) -> Transfer:
    """The person confirms an offered transfer: it becomes an application, if the preconditions still
    hold (they are checked again, as for an application)."""
    transfer = _lock(transfer)
    if transfer.status != TransferStatus.OFFERED:
        raise _not_in_step(transfer, TransferStatus.OFFERED)
    person = InsuredPerson.objects.get(pk=transfer.person_id)
    refusal, _relationships = transfer_refusal(
        person=person,
        scheme=transfer.scheme,
        to_province_id=transfer.to_province_id,
        from_province_id=transfer.from_province_id,
    )
    if refusal is not None:
        raise refusal
    return _move(
        transfer,
        source=TransferStatus.OFFERED,
        to=TransferStatus.APPLIED,
        actor=actor,
        reason="Confirmed by the person",
        today=today,
    )


def transfer_decline(*, transfer: Transfer, actor: Actor) -> Transfer:
    """The person declines an offered transfer: nothing moves."""
    return _step(transfer, TransferStatus.OFFERED, TransferStatus.DECLINED, actor, "Declined by the person")


def transfer_withdraw(*, transfer: Transfer, actor: Actor) -> Transfer:
    """The applicant withdraws, until the contact letter is sent."""
    return _step(
        transfer, TransferStatus.APPLIED, TransferStatus.WITHDRAWN, actor, "Withdrawn by the applicant"
    )


@transaction.atomic
def transfer_accept(*, transfer: Transfer, actor: Actor, today: datetime.date | None = None) -> Transfer:
    """The transfer-in province accepts: the contact letter (联系函), a signed PDF, goes to the
    transfer-out province."""
    transfer = _step(
        transfer, TransferStatus.APPLIED, TransferStatus.ACCEPTED, actor, "Contact letter sent", today
    )
    transfer_documents_issue(transfer=transfer, kinds=[TransferDocumentKind.CONTACT_LETTER])
    return transfer


def transfer_reject(*, transfer: Transfer, actor: Actor, reason: str) -> Transfer:
    """The transfer-in province rejects the application, with its written reason."""
    reason = reason.strip()
    if not reason:
        raise ApplicationError(
            "transfer_rejection_reason_required",
            _("A rejection says why, in writing."),
            fields={"reason": [_("Required.")]},
        )
    return _step(
        transfer, TransferStatus.APPLIED, TransferStatus.REJECTED, actor, reason,
        values={"rejection_reason": reason},
    )  # fmt: skip


@transaction.atomic
def _step(
    transfer: Transfer,
    source: str,
    target: str,
    actor: Actor,
    reason: str,
    today: datetime.date | None = None,
    values: dict | None = None,
) -> Transfer:
    return _move(transfer, source=source, to=target, actor=actor, reason=reason, today=today, values=values)


def _not_in_step(transfer: Transfer, expected: str) -> ConflictError:
    return ConflictError(
        "transfer_not_in_step",
        _("The transfer is no longer at this step."),
        fields={"status": [transfer.status], "expected": [expected]},
    )


@transaction.atomic
def transfer_funds_send(*, transfer: Transfer, actor: Actor, today: datetime.date | None = None) -> Transfer:
    """The transfer-out province issues the transfer certificate and information table and sends the
    money. Under the transfer's lock: the old relationship leaves (transferred out) first, which takes its
    row lock, so that a contribution being recorded there either commits before the figures are read (and
    is in them) or is refused as no longer open (the recorder holds the row while it writes); then the
    interest is credited up to the month of the move, and the figures are computed and frozen."""
    today = today or timezone.localdate()
    transfer = _lock(transfer)
    if transfer.status != TransferStatus.ACCEPTED:
        raise _not_in_step(transfer, TransferStatus.ACCEPTED)
    period = period_of(today)
    left = RELATIONSHIP_STATES.move_many(
        [transfer.from_relationship_id],
        to=RelationshipStatus.TRANSFERRED_OUT,
        actor=actor,
        reason=f"Transferred out to {transfer.to_province_id}",
        sources=[RelationshipStatus.SUSPENDED],
    )
    if not left:
        raise ConflictError(
            "transfer_old_relationship_not_suspended",
            _("The old relationship is no longer suspended (it resumed or closed)."),
        )
    if transfer.scheme == Scheme.EMPLOYEE_PENSION:
        account_interest_credit(
            province_id=transfer.from_province_id,
            scheme=transfer.scheme,
            up_to_period=period,
            actor=Actor(actor.channel, actor.user_id, f"transfer:{transfer.pk}"),
            person_ids=[transfer.person_id],
        )
    request = TransferRequest(
        person_id=transfer.person_id,
        scheme=transfer.scheme,
        from_province_id=transfer.from_province_id,
        to_province_id=transfer.to_province_id,
        up_to_period=period,
    )
    statement = transfer_statements_compute(requests=[request])[transfer.person_id]
    if statement.account_amount < 0:
        raise ConflictError(
            "transfer_account_short",
            _("The account holds less than the refund of the duplicate months: correct the account first."),
        )
    transfer = _move(
        transfer,
        source=TransferStatus.ACCEPTED,
        to=TransferStatus.FUNDS_SENT,
        actor=actor,
        today=today,
        reason="Transfer certificate and information table issued, funds sent",
        values={
            "interest_up_to_period": period,
            "account_amount": statement.account_amount,
            "pooled_amount": statement.pooled_amount,
            "refund_amount": statement.refund_amount,
            # Adapted as JSON here: the kernel sends each column's values as one typed array.
            "statement": Jsonb(statement.as_dict(up_to_period=period)),
        },
    )
    transfer_documents_issue(
        transfer=transfer,
        kinds=[TransferDocumentKind.TRANSFER_CERTIFICATE, TransferDocumentKind.INFORMATION_TABLE],
    )
    return transfer


@transaction.atomic
def transfer_complete(*, transfer: Transfer, actor: Actor, today: datetime.date | None = None) -> Transfer:
    """The transfer-in province records the history and the money: both legs of the personal account and
    of the pooled fund (and the refund of the duplicate months), in this one transaction, each entry
    naming the transfer. The move is a compare-and-set, so two concurrent completions credit once."""
    transfer = _move(
        transfer,
        source=TransferStatus.FUNDS_SENT,
        to=TransferStatus.COMPLETED,
        actor=actor,
        today=today,
        reason="History and funds recorded",
    )
    transfer_legs_write(transfers=[transfer])
    return transfer


def transfer_legs_write(*, transfers: Sequence[Transfer]) -> None:
    """Write the legs of transfers whose money is frozen (a completion, or gatherings of temporary
    accounts): both provinces' personal-account legs and, for the pension, both pooled-fund legs, and the
    refund of the duplicate months, each naming its transfer. In the caller's transaction, in one insert
    per ledger."""
    entries: list[AccountEntry] = []
    funds: list[FundEntry] = []
    for transfer in transfers:
        # Set with the funds (the check constraint transfer_money_once_sent holds them to it).
        assert transfer.account_amount is not None and transfer.interest_up_to_period is not None
        assert transfer.pooled_amount is not None
        common = {
            "person_id": transfer.person_id,
            "scheme": transfer.scheme,
            "period": transfer.interest_up_to_period,
            "transfer_id": transfer.pk,
        }
        entries += [
            AccountEntry(province_id=transfer.from_province_id, kind=AccountEntryKind.TRANSFER_OUT,
                         amount=-transfer.account_amount, **common),
            AccountEntry(province_id=transfer.to_province_id, kind=AccountEntryKind.TRANSFER_IN,
                         amount=transfer.account_amount, **common),
        ]  # fmt: skip
        if transfer.refund_amount:
            entries.append(
                AccountEntry(
                    province_id=transfer.from_province_id,
                    kind=AccountEntryKind.REFUND,
                    amount=-transfer.refund_amount,
                    **common,
                )
            )
        if transfer.scheme == Scheme.EMPLOYEE_PENSION:
            funds += [
                FundEntry(province_id=transfer.from_province_id, kind=FundEntryKind.TRANSFER_OUT,
                          amount=-transfer.pooled_amount, **common),
                FundEntry(province_id=transfer.to_province_id, kind=FundEntryKind.TRANSFER_IN,
                          amount=transfer.pooled_amount, **common),
            ]  # fmt: skip
    AccountEntry.objects.bulk_create(entries)
    FundEntry.objects.bulk_create(funds)


# --- offered transfers -------------------------------------------------------------------------------------

# People paying into a transferable scheme in one province with a suspended relationship of the same
# scheme in another, and no open transfer of it: who may be offered a transfer.
_OFFER_CANDIDATES = """
SELECT DISTINCT paying.person_id, paying.scheme
  FROM insurance_insurancerelationship paying
  JOIN insurance_insurancerelationship old
    ON old.person_id = paying.person_id AND old.scheme = paying.scheme
   AND old.province_id <> paying.province_id AND old.status = %(suspended)s
 WHERE paying.status = %(paying)s AND paying.scheme = ANY(%(schemes)s)
   AND NOT paying.is_temporary_account
   AND (%(persons)s::bigint[] IS NULL OR paying.person_id = ANY(%(persons)s::bigint[]))
   AND NOT EXISTS (SELECT FROM insurance_transfer t
                    WHERE t.person_id = paying.person_id AND t.scheme = paying.scheme
                      AND t.status = ANY(%(open)s))
   AND NOT EXISTS (SELECT FROM insurance_transfer t
                    WHERE t.person_id = paying.person_id AND t.scheme = paying.scheme
                      AND t.from_relationship_id = old.id AND t.status = %(declined)s)
 ORDER BY paying.person_id, paying.scheme
"""


@transaction.atomic
def transfer_offers_make(*, actor: Actor, person_ids: Sequence[int] | None = None) -> int:
    """Offer a transfer, ready to confirm, to each person (of `person_ids`, or everyone) who pays into a
    scheme in one province and has a suspended relationship of it in another that passes every
    precondition, unless a transfer of it is open or they declined one from that relationship. Nobody is
    transferred by this: the offer waits for the person (`transfer_confirm` / `transfer_decline`). Called
    by enrolment (insurance.hooks.ENROLMENT_HOOKS) and nightly for everyone. Returns how many offers."""
    with connection.cursor() as cursor:
        cursor.execute(
            _OFFER_CANDIDATES,
            {
                "suspended": RelationshipStatus.SUSPENDED.value,
                "paying": RelationshipStatus.PAYING.value,
                "schemes": list(TRANSFER_SCHEMES),
                "persons": list(person_ids) if person_ids is not None else None,
                "open": list(OPEN_TRANSFER_STATUSES),
                "declined": TransferStatus.DECLINED.value,
            },
        )
        candidates = cursor.fetchall()
    people = InsuredPerson.objects.in_bulk({person_id for person_id, _scheme in candidates})
    offered = 0
    for person_id, scheme in candidates:
        refusal, relationships = transfer_refusal(
            person=people[person_id], scheme=scheme, to_province_id=None, from_province_id=None
        )
        if refusal is not None or relationships is None:
            continue  # not transferable as it stands: nothing to offer
        try:
            with transaction.atomic():
                _create(people[person_id], scheme, relationships, TransferStatus.OFFERED, actor, None)
        except ConflictError:
            continue  # an application got there first
        offered += 1
    return offered


# --- deadlines and the overdue job ---------------------------------------------------------------------


def transfers_deadlines_recompute(*, year: int | None = None) -> int:
    """Recompute the provisional deadlines (or, with `year`, those whose step began in or before it)
    once a year's official schedule is entered. Returns how many changed."""
    calendar = WorkingCalendar()
    open_steps = Transfer.objects.filter(status__in=list(STEP_SIDE), due_date__isnull=False)
    condition = Q(due_provisional=True)
    if year is not None:
        condition |= Q(step_started_on__year__lte=year, due_date__year__gte=year)
    changed = 0
    for transfer in open_steps.filter(condition).only("pk", "scheme", "status", "step_started_on"):
        due, provisional = _deadline(transfer.scheme, transfer.status, transfer.step_started_on, calendar)
        changed += Transfer.objects.filter(pk=transfer.pk, status=transfer.status).update(
            due_date=due, due_provisional=provisional
        )
    return changed


# The steps past their deadline that were not flagged yet: flagged, and one escalation written each, in
# one statement. Idempotent: a flagged step is not found again, and the unique key on the escalations
# keeps a second one out.
_FLAG_OVERDUE = """
WITH overdue AS (
    UPDATE insurance_transfer SET overdue_since = %(today)s
     WHERE status = ANY(%(steps)s) AND due_date < %(today)s AND overdue_since IS NULL
 RETURNING id, person_id, status, due_date,
           CASE WHEN status = ANY(%(in_steps)s) THEN to_province_id ELSE from_province_id END AS province_id
), escalated AS (
    INSERT INTO insurance_transferescalation
           (person_id, transfer_id, step, province_id, due_date, escalated_at)
    SELECT person_id, id, status, province_id, due_date, %(now)s FROM overdue
        ON CONFLICT DO NOTHING
    RETURNING transfer_id, person_id, step, province_id, due_date
)
SELECT transfer_id, person_id, step, province_id, due_date FROM escalated
"""


@transaction.atomic
def transfers_flag_overdue(*, today: datetime.date | None = None) -> int:
    """Flag every step past its deadline, escalate it (an escalation row, shown in the timeline and to the
    responsible province's queue), and tell the person. Set-based and idempotent."""
    today = today or timezone.localdate()
    with connection.cursor() as cursor:
        cursor.execute(
            _FLAG_OVERDUE,
            {
                "today": today,
                "now": timezone.now(),
                "steps": list(STEP_SIDE),
                "in_steps": [step for step, side in STEP_SIDE.items() if side == "transfer_in"],
            },
        )
        escalated = cursor.fetchall()
    inbox_send_many(
        [
            OutgoingMessage(
                person_id=person_id,
                kind="transfer_overdue",
                title=_("A step of your transfer is overdue: it has been escalated"),
                body=_("Province %(province)s was due to act by %(due)s.")
                % {"province": province, "due": due},
                subject=Transfer(pk=transfer_id),
            )
            for transfer_id, person_id, _step, province, due in escalated
        ]
    )
    return len(escalated)


# --- reconciliation -----------------------------------------------------------------------------------

# Completed transfers whose legs do not sum to zero, or do not match the amounts they froze: the two
# account legs, the two fund legs, the refund against its frozen amount. Read from the entries that name
# the transfer, on both sides.
_UNBALANCED = f"""
WITH legs AS (
    SELECT transfer_id,
           SUM(amount) FILTER (WHERE kind IN ('transfer_in', 'transfer_out')) AS account_sum,
           SUM(amount) FILTER (WHERE kind = 'transfer_in') AS account_in,
           -SUM(amount) FILTER (WHERE kind = 'refund') AS refund
      FROM insurance_accountentry WHERE transfer_id IS NOT NULL GROUP BY transfer_id
), funds AS (
    SELECT transfer_id, SUM(amount) AS fund_sum, SUM(amount) FILTER (WHERE kind = 'transfer_in') AS fund_in
      FROM insurance_fundentry GROUP BY transfer_id
)
SELECT t.id, t.person_id,
       {money_sql("COALESCE(legs.account_sum, 0) + COALESCE(funds.fund_sum, 0)")} AS imbalance,
       t.account_amount, legs.account_in, t.pooled_amount, funds.fund_in, t.refund_amount, legs.refund
  FROM insurance_transfer t
  LEFT JOIN legs ON legs.transfer_id = t.id
  LEFT JOIN funds ON funds.transfer_id = t.id
 WHERE t.status = 'completed'
   AND (COALESCE(legs.account_sum, 0) + COALESCE(funds.fund_sum, 0) <> 0
        OR legs.account_in IS DISTINCT FROM t.account_amount
        OR COALESCE(legs.refund, 0) <> t.refund_amount
        OR (t.scheme = 'EP' AND funds.fund_in IS DISTINCT FROM t.pooled_amount))
"""  # noqa: S608 - the rounding from core.money; no input in the text


@dataclass(frozen=True, slots=True)
class Unbalanced:
    transfer_id: int
    person_id: int
    imbalance: Decimal
    detail: str


def transfers_unbalanced() -> list[Unbalanced]:
    """The reconciliation query: every completed transfer whose legs do not sum to zero to the fen, or
    differ from the amounts of its information table."""
    with connection.cursor() as cursor:
        cursor.execute(_UNBALANCED)
        rows = cursor.fetchall()
    return [
        Unbalanced(
            transfer_id,
            person_id,
            imbalance,
            f"account {account_amount} frozen, {account_in} arrived; pooled {pooled_amount} frozen, "
            f"{fund_in} arrived; refund {refund_amount} frozen, {refund} written",
        )
        for transfer_id, person_id, imbalance, account_amount, account_in, pooled_amount, fund_in,
        refund_amount, refund in rows
    ]  # fmt: skip


@transaction.atomic
def transfers_reconcile() -> list[Unbalanced]:
    """Run the reconciliation, and raise an alert for each unbalanced transfer: logged at ERROR and an
    open ReconciliationAlert for administrators (one per transfer, however often this runs)."""
    found = transfers_unbalanced()
    now = timezone.now()
    for unbalanced in found:
        logger.error(
            "Transfer %s does not reconcile: legs sum to %s (%s)",
            unbalanced.transfer_id, unbalanced.imbalance, unbalanced.detail,
        )  # fmt: skip
    ReconciliationAlert.objects.bulk_create(
        [
            ReconciliationAlert(
                person_id=u.person_id,
                transfer_id=u.transfer_id,
                imbalance=u.imbalance,
                detail=u.detail,
                found_at=now,
            )
            for u in found
        ],
        ignore_conflicts=True,
    )
    return found


__all__ = [
    "STEP_WORKING_DAYS",
    "TransferEscalation",
    "transfer_accept",
    "transfer_apply",
    "transfer_complete",
    "transfer_confirm",
    "transfer_decline",
    "transfer_funds_send",
    "transfer_legs_write",
    "transfer_offers_make",
    "transfer_refusal",
    "transfer_reject",
    "transfer_withdraw",
    "transfers_flag_overdue",
    "transfers_reconcile",
    "transfers_unbalanced",
]
