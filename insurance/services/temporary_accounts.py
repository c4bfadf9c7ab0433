"""Temporary accounts (临时缴费账户, DOMAIN.md §3): sealed on a further move or at retirement, and gathered.

A man of 50 or more or a woman of 40 or more who starts paying outside the hukou province keeps the basic
relationship where it is, and the new province records the contributions in a temporary account
(`relationships.needs_temporary_account`). When the person moves on (pays into the employee pension in
another province: `temporary_accounts_gather_moved`, called by every enrolment) or retires
(`temporary_accounts_gather_at_retirement`, called by the award), the account is sealed, a move of
RELATIONSHIP_STATES with its event, and everything in it is gathered in the same transaction:

- to the province of the basic relationship on a further move, or to the benefit province at retirement
  (`benefit_province_decide`, which never names a temporary-account province);
- the money is a transfer's (`transfer_statements_compute`): the whole personal-account balance with the
  interest of the year credited up to this month by the ledger's one interest service, the pooled fund at
  12 % of the bases since 1998, the months also paid in the receiving province refunded; written as a
  completed transfer of kind `gathering`, whose legs on both sides of both ledgers name it, so the
  reconciliation holds them to zero like any transfer's;
- the history arrives as history: the contribution records stay in the temporary-account province, and
  the receiving province holds them through the gathering, as it holds a transfer's (`held_provinces`).

The person is told in their inbox. A sealed account takes no more contributions
(`temporary_account_sealed`, in the contribution recorder). Sealing is a compare-and-set under the
person's lock, so a second gathering, at once or later, finds nothing left to gather.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ConflictError
from core.states import Actor
from insurance.models import (
    OPEN_RELATIONSHIP_STATUSES,
    InsuranceRelationship,
    InsuredPerson,
    RelationshipStatus,
    Scheme,
    Transfer,
    TransferKind,
    TransferStatus,
)
from insurance.periods import period_label, period_of, period_year
from insurance.services.accounts import account_interest_credit, accounts_lock, interest_rates
from insurance.services.benefit_province import benefit_province_decide
from insurance.services.inbox import OutgoingMessage, inbox_send_many
from insurance.services.transfer_money import (
    TransferRequest,
    TransferStatement,
    transfer_statements_compute,
)
from insurance.services.transfers import transfer_legs_write
from insurance.states import RELATIONSHIP_STATES, TRANSFER_STATES

# Only the employee pension opens temporary accounts (relationships.needs_temporary_account).
SCHEME = Scheme.EMPLOYEE_PENSION
REASON_MOVED = "Temporary account sealed on a further move: gathered to the basic relationship"
REASON_RETIRED = "Temporary account sealed at retirement: gathered to the benefit province"


@dataclass(frozen=True, slots=True)
class _Gathering:
    account: InsuranceRelationship  # the temporary account, locked
    to_province_id: str
    to_relationship_id: int | None


@transaction.atomic
def temporary_accounts_gather_moved(
    *, person_ids: Sequence[int], actor: Actor, today: datetime.date | None = None
) -> list[Transfer]:
    """Seal and gather every open temporary account of these people who now pay into the employee pension
    in another province (a further move), to the province of their basic relationship: the open
    non-temporary relationship opened last before the temporary account (else the last opened since).
    A person without one keeps the account open, to be gathered at retirement. Returns the gatherings."""
    relationships = _locked_relationships(person_ids)
    gatherings: list[_Gathering] = []
    for person_id in sorted(relationships):
        own = relationships[person_id]
        basic = [r for r in own if not r.is_temporary_account and r.status in OPEN_RELATIONSHIP_STATUSES]
        for account in _open_accounts(own):
            moved_on = any(
                r.status == RelationshipStatus.PAYING and r.province_id != account.province_id for r in own
            )
            before = [r for r in basic if r.opened_period <= account.opened_period]
            target = max(before or basic, key=lambda r: (r.opened_period, r.pk), default=None)
            if moved_on and target is not None:
                gatherings.append(_Gathering(account, target.province_id, target.pk))
    return _gather(gatherings, reason=REASON_MOVED, actor=actor, today=today)


@transaction.atomic
def temporary_accounts_gather_at_retirement(
    *, person: InsuredPerson, actor: Actor, today: datetime.date | None = None
) -> list[Transfer]:
    """Seal and gather the person's open temporary accounts to the benefit province, as the 10-year rule
    decides it (`benefit_province_decide`): for the award, before it reads the account. Into the open
    basic relationship there, or into none when the person was never insured there. Returns the
    gatherings (none when there is no open temporary account)."""
    own = _locked_relationships([person.pk]).get(person.pk, [])
    accounts = _open_accounts(own)
    if not accounts:
        return []
    province = benefit_province_decide(person=person).province
    target = next(
        (
            r
            for r in own
            if r.province_id == province
            and not r.is_temporary_account
            and r.status in OPEN_RELATIONSHIP_STATUSES
        ),
        None,
    )
    gatherings = [_Gathering(account, province, target.pk if target else None) for account in accounts]
    return _gather(gatherings, reason=REASON_RETIRED, actor=actor, today=today)


def _locked_relationships(person_ids: Sequence[int]) -> dict[int, list[InsuranceRelationship]]:
    """The employee-pension relationships of those of the people who have an open temporary account,
    read under the people's locks (no enrolment, retirement or other gathering of theirs runs meanwhile)
    and their own. Most chunks of an enrolment import hold nobody with one, and lock nothing more."""
    holders = set(
        InsuranceRelationship.objects.filter(
            person_id__in=list(person_ids),
            scheme=SCHEME,
            is_temporary_account=True,
            status__in=OPEN_RELATIONSHIP_STATUSES,
        ).values_list("person_id", flat=True)
    )
    if not holders:
        return {}
    accounts_lock(person_ids=sorted(holders))
    relationships: dict[int, list[InsuranceRelationship]] = defaultdict(list)
    for relationship in (
        InsuranceRelationship.objects.select_for_update()
        .filter(person_id__in=sorted(holders), scheme=SCHEME)
        .order_by("person_id", "pk")
    ):
        relationships[relationship.person_id].append(relationship)
    return relationships


def _open_accounts(relationships: list[InsuranceRelationship]) -> list[InsuranceRelationship]:
    return [r for r in relationships if r.is_temporary_account and r.status in OPEN_RELATIONSHIP_STATUSES]


def _gather(
    gatherings: list[_Gathering], *, reason: str, actor: Actor, today: datetime.date | None
) -> list[Transfer]:
    """Seal the accounts, credit their interest to this month, freeze their money as a transfer's and
    write it to both sides of both ledgers as completed gatherings, and tell the people."""
    if not gatherings:
        return []
    today = today or timezone.localdate()
    period = period_of(today)
    accounts = [gathering.account for gathering in gatherings]
    sealed = RELATIONSHIP_STATES.move_many(
        [account.pk for account in accounts],
        to=RelationshipStatus.SEALED,
        actor=actor,
        reason=reason,
        sources=OPEN_RELATIONSHIP_STATUSES,
        # A suspended account closed with its suspension; one still paying closes this month.
        values={"closed_period": [a.closed_period or max(a.opened_period, period) for a in accounts]},
    )
    # Under the locks taken, every account read open moves; none is gathered twice should one not.
    moved = {row.pk for row in sealed}
    gatherings = [gathering for gathering in gatherings if gathering.account.pk in moved]
    _interest_credit(gatherings, period, actor)
    computed = _statements(gatherings, period)
    transfers = [
        Transfer(
            person_id=gathering.account.person_id,
            scheme=SCHEME,
            kind=TransferKind.GATHERING,
            status=TransferStatus.COMPLETED,
            from_province_id=gathering.account.province_id,
            to_province_id=gathering.to_province_id,
            from_relationship_id=gathering.account.pk,
            to_relationship_id=gathering.to_relationship_id,
            step_started_on=today,
            interest_up_to_period=period,
            **_money(statement, period),
        )
        for gathering, statement in computed
    ]
    Transfer.objects.bulk_create(transfers)
    TRANSFER_STATES.record_created(
        [(transfer.pk, TransferStatus.COMPLETED, transfer.person_id) for transfer in transfers],
        actor=actor,
        reason=reason,
    )
    transfer_legs_write(transfers=transfers)
    inbox_send_many(
        [_message(transfer, statement) for transfer, (_, statement) in zip(transfers, computed, strict=True)]
    )
    return transfers


def _interest_credit(gatherings: list[_Gathering], period: int, actor: Actor) -> None:
    """Credit the interest of the year up to `period` to the accounts, by the ledger's one interest
    service, province by province. A province that has published no rate yet credits none, as the
    statement then reads it (`account_balances_with_interest_due`): an enrolment elsewhere or a retirement
    is not held up by it."""
    by_province: dict[str, list[int]] = defaultdict(list)
    for gathering in gatherings:
        by_province[gathering.account.province_id].append(gathering.account.person_id)
    for province_id, person_ids in sorted(by_province.items()):
        if interest_rates(year=period_year(period), province_id=province_id):
            account_interest_credit(
                province_id=province_id,
                scheme=SCHEME,
                up_to_period=period,
                actor=Actor(actor.channel, actor.user_id, "temporary_account_gathering"),
                person_ids=sorted(person_ids),
            )


def _statements(gatherings: list[_Gathering], period: int) -> list[tuple[_Gathering, TransferStatement]]:
    """Each gathering with its statement, computed by the transfer's computation: one account per person
    in each computation, so a person with two open accounts (recorded before the sealing existed) takes
    two."""
    pending = list(gatherings)
    computed: list[tuple[_Gathering, TransferStatement]] = []
    while pending:
        batch: dict[int, _Gathering] = {}
        for gathering in pending:
            batch.setdefault(gathering.account.person_id, gathering)
        pending = [gathering for gathering in pending if batch[gathering.account.person_id] is not gathering]
        statements = transfer_statements_compute(
            requests=[
                TransferRequest(
                    person_id=person_id,
                    scheme=SCHEME,
                    from_province_id=gathering.account.province_id,
                    to_province_id=gathering.to_province_id,
                    up_to_period=period,
                )
                for person_id, gathering in batch.items()
            ]
        )
        computed += [(gathering, statements[person_id]) for person_id, gathering in batch.items()]
    return computed


def _money(statement: TransferStatement, period: int) -> dict:
    if statement.account_amount < 0:
        raise ConflictError(
            "temporary_account_short",
            _(
                "The temporary account holds less than the refund of the months also paid in the receiving "
                "province: correct the account first."
            ),
        )
    return {
        "account_amount": statement.account_amount,
        "pooled_amount": statement.pooled_amount,
        "refund_amount": statement.refund_amount,
        "statement": statement.as_dict(up_to_period=period),
    }


def _message(transfer: Transfer, statement: TransferStatement) -> OutgoingMessage:
    assert transfer.interest_up_to_period is not None
    return OutgoingMessage(
        person_id=transfer.person_id,
        kind="temporary_account_gathered",
        title=_("Your temporary account in province %(province)s was sealed and gathered")
        % {"province": transfer.from_province_id},
        body=_(
            "Its %(months)s months now count in province %(to)s: %(account)s yuan of personal account, "
            "with interest credited up to %(period)s, and %(pooled)s yuan of pooled fund moved there."
        )
        % {
            "months": statement.months,
            "to": transfer.to_province_id,
            "account": transfer.account_amount,
            "period": period_label(transfer.interest_up_to_period),
            "pooled": transfer.pooled_amount,
        },
        subject=transfer,
    )
