"""Reads, already restricted to what the caller may see (accounts.scope decides what that is).

An object outside the caller's scope is answered exactly as a missing one: NotFoundError.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any, NamedTuple

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.lookups import DataContains
from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum, TextField, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.scope import Scope
from core.crypto import keyed_hash
from core.exceptions import ApplicationError, NotFoundError
from core.identity import IdentityNumber
from core.models import StateEvent
from core.sql import ModelColumns, prepared_cursor
from core.states import events_of
from insurance.calculators.contribution_years import ContributionYears
from insurance.models import (
    ACCOUNT_SCHEMES,
    STEP_SIDE,
    ContributionRecord,
    Employer,
    IdentityReadLog,
    InboxMessage,
    InsuranceRelationship,
    InsuredPerson,
    LedgerEntry,
    NameBigrams,
    ParticipationCertificate,
    RelationshipStatus,
    Scheme,
    Transfer,
    TransferDocument,
    TransferEscalation,
    TransferKind,
    name_bigrams,
)


def persons_visible(*, scope: Scope) -> QuerySet[InsuredPerson]:
    return scope.filter_persons(InsuredPerson.objects.all())


_PERSON_COLUMNS = ModelColumns(InsuredPerson, "person")


def _visible_person(*, scope: Scope, condition: str = "TRUE", params: Sequence = ()) -> InsuredPerson | None:
    """The person matching `condition` (SQL on the table aliased `person`) whose record the scope lets
    the caller see. Written out rather than built through the ORM, which took longer than the query
    itself: one of these runs on nearly every request (core.sql)."""
    visible = scope.persons_sql("person")
    if visible is None:
        return None
    visible_condition, visible_params = visible
    with prepared_cursor() as cursor:
        cursor.execute(
            # Names from the model, conditions written here and in accounts.scope; values are parameters.
            f"SELECT {_PERSON_COLUMNS.sql} FROM {InsuredPerson._meta.db_table} person"  # noqa: S608
            f" WHERE {condition} AND {visible_condition}",
            [*params, *visible_params],
        )
        row = cursor.fetchone()
    return None if row is None else _PERSON_COLUMNS.instance(row)


def visible_people_by_id_number(*, scope: Scope, id_numbers: set[str]) -> tuple[str, list, dict[str, str]]:
    """The FROM clause, its parameters and the digests' numbers of a look-up of people by ID number among
    those the scope lets the caller see: each digest `h.digest` with its `person` (id, date of death), and
    no row for anyone else, exactly as for numbers nobody has. For the look-ups of a chunk's people."""
    visible_condition, visible_params = scope.persons_sql("person") or ("FALSE", [])
    by_hash = {keyed_hash(number): number for number in id_numbers}
    # One index probe per ID number: the LIMIT keeps the planner from hashing the whole person table
    # instead, which it prefers while the table is small. The digests go as one text: hexadecimal, so the
    # comma cannot occur in them, and far cheaper to send than an array of thousands of strings.
    table = InsuredPerson._meta.db_table
    sql = f"""FROM UNNEST(string_to_array(%s, ',')) AS h(digest)
              CROSS JOIN LATERAL (SELECT person.id, person.date_of_death FROM {table} person
                                   WHERE person.id_number_hash = h.digest AND {visible_condition}
                                   LIMIT 1) AS person"""  # noqa: S608 - names from the model and scope
    return sql, [",".join(by_hash), *visible_params], by_hash


def person_ids_by_id_number(*, scope: Scope, id_numbers: set[str]) -> dict[str, int]:
    """The ids of the people with these (normalised) ID numbers whose records the scope lets the caller
    see (see `visible_people_by_id_number`)."""
    if not id_numbers:
        return {}
    people, params, by_hash = visible_people_by_id_number(scope=scope, id_numbers=id_numbers)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT h.digest, person.id {people}", params)
        return {by_hash[digest]: person_id for digest, person_id in cursor.fetchall()}


def person_get(*, scope: Scope, person_id: int) -> InsuredPerson:
    person = _visible_person(scope=scope, condition="person.id = %s", params=[person_id])
    if person is None:
        raise NotFoundError(_("No such person."))
    return person


def person_of_citizen(*, scope: Scope) -> InsuredPerson:
    """The citizen's own insured-person record."""
    person = _visible_person(scope=scope)
    if person is None:
        raise NotFoundError(_("No insurance record is registered for your ID number yet."))
    return person


# Written on every reveal: waiting for a WAL flush each time would make every detail read as slow as a disk
# write, so the transaction that writes the row does not wait (set_config(..., true) lasts until its end:
# the statement's own transaction, or the caller's if one is open). Only a crash of the database server
# itself can lose the last instants of log rows, never a half-written one. One statement, so one round
# trip, where BEGIN, SET LOCAL, INSERT and COMMIT took four.
_IDENTITY_READ_INSERT = f"""
    INSERT INTO {IdentityReadLog._meta.db_table} (reader_id, person_id, endpoint, read_at)
    SELECT %s, %s, %s, %s FROM (SELECT set_config('synchronous_commit', 'off', true)) AS without_flush_wait
"""  # noqa: S608 - the table name from the model; values are parameters


def person_id_number_reveal(*, reader: User, person: InsuredPerson, endpoint: str) -> str:
    """`person`'s full ID number, to be shown to `reader` through `endpoint`; the read is logged in
    IdentityReadLog as it is returned (PIPL Art. 28). The one way to show a full ID number: everything
    else shows `id_number_masked`, and only this writes the log."""
    number = person.id_number or ""  # every insured person has one (person_register requires it)
    endpoint_field = IdentityReadLog._meta.get_field("endpoint")
    with prepared_cursor() as cursor:
        cursor.execute(
            _IDENTITY_READ_INSERT,
            [reader.pk, person.pk, endpoint[: endpoint_field.max_length], timezone.now()],
        )
    return number


_IDENTITY_READS_INSERT = f"""
    INSERT INTO {IdentityReadLog._meta.db_table} (reader_id, person_id, endpoint, read_at)
    SELECT %s, person.id, %s, %s
      FROM (SELECT set_config('synchronous_commit', 'off', true)) AS without_flush_wait,
           {InsuredPerson._meta.db_table} person
     WHERE person.id_number_hash = ANY(%s)
"""  # noqa: S608 - the table names from the models; values are parameters


def id_numbers_reveal_log(*, reader: User, id_numbers: set[str], endpoint: str) -> int:
    """Log that `reader` is shown these full (normalised) ID numbers through `endpoint`, as
    `person_id_number_reveal` logs one: a row in IdentityReadLog for each person registered under one of
    them, in any province. For the files that hold many numbers (an import's stored upload, its error
    report); a number nobody is registered under is no one's record to log. Returns the rows written."""
    if not id_numbers:
        return 0
    endpoint_field = IdentityReadLog._meta.get_field("endpoint")
    with connection.cursor() as cursor:
        cursor.execute(
            _IDENTITY_READS_INSERT,
            [
                reader.pk,
                endpoint[: endpoint_field.max_length],
                timezone.now(),
                [keyed_hash(number) for number in id_numbers],
            ],
        )
        return int(cursor.rowcount)


def person_by_id_number(*, scope: Scope, id_number: IdentityNumber) -> InsuredPerson:
    """The person with this ID number, when the scope lets the caller see them: one probe of the keyed
    hash's unique index. Anyone else is answered exactly as a number nobody has."""
    person = _visible_person(
        scope=scope, condition="person.id_number_hash = %s", params=[keyed_hash(id_number.value)]
    )
    if person is None:
        raise ApplicationError(
            "person_not_found", _("No insured person with this ID number here."), status_code=404
        )
    return person


class NameMatch(StrEnum):
    EXACT = "exact"
    PREFIX = "prefix"
    CONTAINS = "contains"


# The fewest characters a search by a part of a name takes: one character would match a tenth of a
# province (王, 李, 张 ...), and the bigram index holds two-character parts.
NAME_PART_MIN_LENGTH = 2


def persons_search(
    *,
    scope: Scope,
    name: str,
    match: str = NameMatch.PREFIX,
    status: str | None = None,
    hukou_province: str | None = None,
) -> QuerySet[InsuredPerson]:
    """People the scope lets the caller see, by name: the exact name, its beginning, or any part of two
    characters or more, each served by an index (InsuredPerson.Meta.indexes); by name, then id. Exact
    look-up by ID number is `person_by_id_number`, whose number travels in a request body."""
    persons = persons_visible(scope=scope)
    name = name.strip()
    if match == NameMatch.EXACT:
        persons = persons.filter(name=name)
    elif match == NameMatch.PREFIX:
        persons = persons.filter(name__startswith=name)
    else:
        if len(name) < NAME_PART_MIN_LENGTH:
            raise ValueError(f"A part of a name is {NAME_PART_MIN_LENGTH} characters or more.")
        # The index finds the names holding every two-character part of the term; LIKE keeps those that
        # hold the parts in the term's order, side by side.
        bigrams = Value(name_bigrams(name), output_field=ArrayField(TextField()))
        persons = persons.filter(DataContains(NameBigrams("name"), bigrams), name__contains=name)
    if status:
        persons = persons.filter(status=status)
    if hukou_province:
        persons = persons.filter(hukou_province_id=hukou_province)
    return persons.order_by("name", "pk")


def relationships_of(*, person: InsuredPerson) -> list[InsuranceRelationship]:
    """The person's relationships, each sealed temporary account with its gathering (`gathering`)."""
    relationships = person.relationships.select_related("employer").order_by("scheme", "opened_period", "pk")
    return _gatherings_attach(list(relationships))


def relationships_by_id(*, ids: Sequence[int]) -> list[InsuranceRelationship]:
    """Relationships a service has just written for the caller, in the order of `ids`."""
    found = InsuranceRelationship.objects.select_related("employer").in_bulk(ids)
    return _gatherings_attach([found[pk] for pk in ids])


@dataclass(frozen=True, slots=True)
class GatheringShown:
    """How a sealed temporary account was gathered: the seal's event (who, when, why) and the money the
    gathering (a transfer of kind `gathering`) moved."""

    transfer_id: int
    to_province: str
    sealed_at: datetime.datetime
    sealed_by: int | None
    channel: str
    reason: str
    interest_up_to_period: int | None
    account_amount: Decimal | None
    pooled_amount: Decimal | None
    refund_amount: Decimal | None
    months: int


def _gatherings_attach(relationships: list[InsuranceRelationship]) -> list[InsuranceRelationship]:
    """Set `gathering` on each relationship: a GatheringShown for a sealed temporary account, else None.
    Two reads for all of them, of the people's own rows."""
    sealed = {r.pk: r for r in relationships if r.status == RelationshipStatus.SEALED}
    for relationship in relationships:
        relationship.gathering = None  # type: ignore[attr-defined]
    if not sealed:
        return relationships
    people = list({r.person_id for r in sealed.values()})
    seals = {
        event.object_id: event
        for event in StateEvent.objects.filter(
            entity=InsuranceRelationship._meta.label_lower,
            person_id__in=people,
            object_id__in=list(sealed),
            to_state=RelationshipStatus.SEALED,
        )
    }
    gatherings = Transfer.objects.filter(
        person_id__in=people, kind=TransferKind.GATHERING, from_relationship_id__in=list(sealed)
    )
    for transfer in gatherings:
        seal = seals[transfer.from_relationship_id]
        sealed[transfer.from_relationship_id].gathering = GatheringShown(  # type: ignore[attr-defined]
            transfer_id=transfer.pk,
            to_province=transfer.to_province_id,
            sealed_at=seal.at,
            sealed_by=seal.actor_id,
            channel=seal.channel,
            reason=seal.reason,
            interest_up_to_period=transfer.interest_up_to_period,
            account_amount=transfer.account_amount,
            pooled_amount=transfer.pooled_amount,
            refund_amount=transfer.refund_amount,
            months=(transfer.statement or {}).get("months", 0),
        )
    return relationships


def relationship_get(*, scope: Scope, person: InsuredPerson, relationship_id: int) -> InsuranceRelationship:
    """One of a person's relationships, held in a province the caller acts for."""
    relationship = person.relationships.filter(pk=relationship_id).first()
    if relationship is None or not scope.allows_province(relationship.province_id):
        raise NotFoundError(_("No such relationship."))
    return relationship


def person_is_registered(*, id_number: IdentityNumber) -> bool:
    """Whether anyone is registered with this ID number, in any province: for an administrator's form."""
    return InsuredPerson.objects.filter(id_number_hash=keyed_hash(id_number.value)).exists()


def person_registered(*, scope: Scope, person_id: int) -> InsuredPerson | None:
    """The person a registration has just written or found, as its caller is shown them (masked): when
    the caller's scope sees them, or they are insured nowhere yet (the registration's own rule for
    updating them). Someone insured only in other provinces is not shown."""
    person = _visible_person(scope=scope, condition="person.id = %s", params=[person_id])
    if person is None and not InsuranceRelationship.objects.filter(person_id=person_id).exists():
        person = InsuredPerson.objects.get(pk=person_id)
    return person


# The one manifest of a contribution as shown: each field of ContributionSerializer (held to it by
# tests/insurance/test_serializers.py) with the SQL that reads it. Amounts come as text, the form the API
# shows them in, with their places as stored; the employer's code by a subquery, which PostgreSQL runs for
# the page's rows only.
CONTRIBUTION_SHOWN = {
    "period": "c.period",
    "scheme": "c.scheme",
    "province": "c.province_id",
    "declared_base": "c.declared_base::text",
    "base": "c.base::text",
    "base_adjustment": "c.base_adjustment",
    "employer_rate": "c.employer_rate::text",
    "individual_rate": "c.individual_rate::text",
    "employer_amount": "c.employer_amount::text",
    "individual_amount": "c.individual_amount::text",
    "account_credit": "c.account_credit::text",
    "payment_type": "c.payment_type",
    "employer_code": "(SELECT e.code FROM insurance_employer e WHERE e.id = c.employer_id)",
    "temporary_account": "c.temporary_account",
}
CONTRIBUTION_FIELDS = tuple(CONTRIBUTION_SHOWN)

# The record's id, then the shown fields. Written out rather than built through the ORM, which costs more
# to compile than PostgreSQL takes to answer (core.sql).
_CONTRIBUTIONS_SHOWN = (
    f"SELECT c.id, {', '.join(CONTRIBUTION_SHOWN.values())}"  # noqa: S608 - the manifest above
    " FROM insurance_contributionrecord c WHERE c.person_id = %s"
)


class ContributionPosition(NamedTuple):
    """Where a page of contributions starts: the record's period and id (the page's order)."""

    period: int
    id: int


def contribution_page_query(
    *,
    person: InsuredPerson,
    scheme: str | None = None,
    province: str | None = None,
    year: int | None = None,
    period_from: int | None = None,
    period_to: int | None = None,
    after: ContributionPosition | None = None,
    older: bool = True,
    limit: int,
) -> tuple[str, list[Any]]:
    """The SQL and parameters of `contribution_page`."""
    sql: list[str] = [_CONTRIBUTIONS_SHOWN]
    params: list[Any] = [person.pk]
    if scheme:
        sql.append("AND c.scheme = %s")
        params.append(scheme)
    if province:
        sql.append("AND c.province_id = %s")
        params.append(province)
    if year:
        sql.append("AND c.period BETWEEN %s AND %s")
        params += [year * 100 + 1, year * 100 + 12]
    if period_from:
        sql.append("AND c.period >= %s")
        params.append(period_from)
    if period_to:
        sql.append("AND c.period <= %s")
        params.append(period_to)
    if after is not None:
        sql.append("AND (c.period, c.id) < (%s, %s)" if older else "AND (c.period, c.id) > (%s, %s)")
        params += [after.period, after.id]
    # The unique key (person, period, ...) hands the person's records out in this order.
    sql.append("ORDER BY c.period DESC, c.id DESC LIMIT %s" if older else "ORDER BY c.period, c.id LIMIT %s")
    params.append(limit)
    return "\n".join(sql), params


def contribution_page(**query: Any) -> list[tuple[ContributionPosition, dict]]:
    """Up to `limit` of a person's contribution records, filtered by scheme, province, year and a range of
    months (`period_from` to `period_to`, both included), each with its position and its fields as shown:
    the records older than `after`, newest first, or (`older` false) the records newer than `after`,
    oldest first. The lists that citizens and agencies page through most, so no model instance is built
    per row."""
    sql, params = contribution_page_query(**query)
    return _contributions_shown(sql, params)


def contributions_of_periods(
    *, person: InsuredPerson, scheme: str, province: str, periods: Sequence[int]
) -> list[dict]:
    """Some months of a person's contributions to a scheme in a province, oldest first, as shown."""
    sql = (
        f"{_CONTRIBUTIONS_SHOWN} AND c.scheme = %s AND c.province_id = %s AND c.period = ANY(%s)"
        " ORDER BY c.period, c.id"
    )
    return [shown for _, shown in _contributions_shown(sql, [person.pk, scheme, province, list(periods)])]


def _contributions_shown(sql: str, params: list) -> list[tuple[ContributionPosition, dict]]:
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        (ContributionPosition(row[1], row[0]), dict(zip(CONTRIBUTION_FIELDS, row[1:], strict=True)))
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class ContributionMonths:
    """A person's contribution months of one scheme: per province, and in total, where a month recorded in
    two provinces (an overlap that a transfer later clears) counts once."""

    by_province: dict[str, ContributionYears]
    total: ContributionYears


def contribution_months_of(
    *, person: InsuredPerson, scheme: str, temporary_accounts: bool = True
) -> ContributionMonths:
    """The one count of contribution months (DOMAIN.md §2), for the citizen's years, the participation
    certificate, the pension estimate and the benefit province. Without `temporary_accounts`, months paid
    into a temporary account are left out (they never count towards the benefit province)."""
    records = ContributionRecord.objects.filter(person=person, scheme=scheme)
    if not temporary_accounts:
        records = records.filter(temporary_account=False)
    by_province = {
        row["province_id"]: ContributionYears(total_months=row["months"])
        for row in records.values("province_id").annotate(months=Count("period", distinct=True)).order_by()
    }
    total = records.aggregate(months=Count("period", distinct=True))["months"]
    return ContributionMonths(dict(sorted(by_province.items())), ContributionYears(total_months=total))


def account_balance_of(
    *, person: InsuredPerson, scheme: str = Scheme.EMPLOYEE_PENSION
) -> tuple[Decimal, list[dict]]:
    """A personal account's balance (of the pension account unless `scheme` says otherwise), in total and
    per province where it is held: the sum of its ledger."""
    entries = LedgerEntry.objects.filter(person=person, scheme=scheme)
    by_province = list(entries.values("province_id").annotate(balance=Sum("amount")).order_by("province_id"))
    total = sum((row["balance"] for row in by_province), Decimal("0.00"))
    return total, by_province


def account_of(*, person: InsuredPerson, scheme: str = Scheme.EMPLOYEE_PENSION) -> dict:
    """A personal account as shown: its balance in total and per province (`account_balance_of`), and
    its temporary accounts (临时缴费账户), open or sealed with their gathering, oldest first."""
    balance, by_province = account_balance_of(person=person, scheme=scheme)
    temporary = person.relationships.filter(scheme=scheme, is_temporary_account=True).order_by(
        "opened_period", "pk"
    )
    return {
        "scheme": scheme,
        "balance": balance,
        "by_province": by_province,
        "temporary_accounts": _gatherings_attach(list(temporary)),
    }


def account_balances_of(*, person: InsuredPerson) -> list[dict]:
    """Each of a person's personal accounts (ACCOUNT_SCHEMES, pension first), as `account_of` shows it."""
    return [account_of(person=person, scheme=scheme) for scheme in ACCOUNT_SCHEMES]


def employer_by_code(*, code: str) -> Employer:
    """The employer registered under this (parsed) unified social credit code, in any province: an agency
    enrols people with employers registered anywhere. Found by the exact code only, never listed."""
    employer = Employer.objects.filter(code=code).first()
    if employer is None:
        raise NotFoundError(_("No employer is registered under this unified social credit code."))
    return employer


def account_entries_of(
    *, person: InsuredPerson, scheme: str = Scheme.EMPLOYEE_PENSION
) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(person=person, scheme=scheme)


def certificates_of(*, person: InsuredPerson) -> QuerySet[ParticipationCertificate]:
    """The person's certificates, newest first."""
    return ParticipationCertificate.objects.filter(person=person).order_by("-issued_at", "-id")


def certificate_of(*, person: InsuredPerson, certificate_id: int) -> ParticipationCertificate:
    """One of the person's certificates; another person's is not found."""
    certificate = certificates_of(person=person).filter(pk=certificate_id).first()
    if certificate is None:
        raise NotFoundError(_("You have no certificate with this number."))
    return certificate


def inbox_messages_of(*, person: InsuredPerson, unread: bool | None = None) -> QuerySet[InboxMessage]:
    """The person's messages, newest first: all of them, or only the unread (`unread` true) or read ones."""
    messages = InboxMessage.objects.filter(person_id=person.pk)
    if unread is not None:
        messages = messages.filter(read_at__isnull=unread)
    return messages.order_by("-created_at", "-id")


def inbox_message_get(*, person: InsuredPerson, message_id: int) -> InboxMessage:
    """One of the person's messages. Another person's is answered exactly as a missing one."""
    message = InboxMessage.objects.filter(person_id=person.pk, pk=message_id).first()
    if message is None:
        raise NotFoundError(_("No such message."))
    return message


def inbox_unread_count(*, person: InsuredPerson) -> int:
    return InboxMessage.objects.filter(person_id=person.pk, read_at__isnull=True).count()


# --- transfers -------------------------------------------------------------------------------------------


def transfers_visible(*, scope: Scope) -> QuerySet[Transfer]:
    """The transfers the caller may see: a citizen their own, an agency those into or out of its
    province, an administrator all; nobody else any."""
    transfers = Transfer.objects.all()
    if scope.is_administrator:
        return transfers
    if scope.role == Role.CITIZEN and scope.id_number_hash:
        return transfers.filter(person__id_number_hash=scope.id_number_hash)
    if scope.is_agency:
        return transfers.filter(
            Q(to_province_id=scope.province_code) | Q(from_province_id=scope.province_code)
        )
    return transfers.none()


def transfer_get(*, scope: Scope, transfer_id: int) -> Transfer:
    """One transfer the caller may see; any other is answered exactly as a missing one."""
    transfer = transfers_visible(scope=scope).filter(pk=transfer_id).first()
    if transfer is None:
        raise NotFoundError(_("No such transfer."))
    return transfer


def transfer_for_side(*, scope: Scope, transfer_id: int, side: str) -> Transfer:
    """A transfer the caller may see, for a move by the agency of its `side` (transfer_in or
    transfer_out): the other province's staff are refused with `province_out_of_scope`."""
    transfer = transfer_get(scope=scope, transfer_id=transfer_id)
    scope.require_province(transfer.to_province_id if side == "transfer_in" else transfer.from_province_id)
    return transfer


def transfer_queue(
    *,
    scope: Scope,
    step: str | None = None,
    scheme: str | None = None,
    overdue: bool | None = None,
    side: str | None = None,
    kind: str | None = None,
    today: datetime.date | None = None,
) -> QuerySet[Transfer]:
    """An agency's queue: the transfers involving its province, filtered by step, scheme, side, kind
    (transfers, or gatherings of temporary accounts) and whether the current step is past its deadline."""
    transfers = transfers_visible(scope=scope)
    if kind:
        transfers = transfers.filter(kind=kind)
    if side == "transfer_in":
        transfers = transfers.filter(to_province_id=scope.province_code)
    elif side == "transfer_out":
        transfers = transfers.filter(from_province_id=scope.province_code)
    if step:
        transfers = transfers.filter(status=step)
    if scheme:
        transfers = transfers.filter(scheme=scheme)
    if overdue is not None:
        late = Q(status__in=list(STEP_SIDE), due_date__lt=today or timezone.localdate())
        transfers = transfers.filter(late if overdue else ~late)
    return transfers


def transfers_of(*, person: InsuredPerson) -> QuerySet[Transfer]:
    return Transfer.objects.filter(person_id=person.pk).order_by("-created_at", "-id")


@dataclass(frozen=True, slots=True)
class TransferShown:
    """A transfer with its timeline and documents, as the detail view shows it."""

    transfer: Transfer
    timeline: list[dict]
    documents: list[dict[str, Any]]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.transfer, name)


def transfer_shown(*, transfer: Transfer) -> TransferShown:
    """The transfer's steps (who, when, through which channel, and the deadline each began), its
    escalations, and the documents issued, oldest first."""
    events = list(events_of(entity=Transfer, object_id=transfer.pk).filter(person_id=transfer.person_id))
    timeline: list[dict[str, Any]] = [
        {
            "step": event.to_state,
            "at": event.at,
            "actor": event.actor_id,
            "channel": event.channel,
            "reason": event.reason,
            "due_date": None,
        }
        for event in events
    ]
    if timeline and transfer.status in STEP_SIDE:
        timeline[-1]["due_date"] = transfer.due_date
    timeline += [
        {
            "step": "overdue",
            "at": escalation.escalated_at,
            "actor": None,
            "channel": "periodic",
            "reason": f"{escalation.step} due {escalation.due_date} at {escalation.province_id}: escalated",
            "due_date": escalation.due_date,
        }
        for escalation in TransferEscalation.objects.filter(person_id=transfer.person_id, transfer=transfer)
    ]
    timeline.sort(key=lambda entry: entry["at"])
    documents = [
        {"kind": kind, "issued_at": issued_at, "verification_code": code}
        for kind, issued_at, code in TransferDocument.objects.filter(
            person_id=transfer.person_id, transfer=transfer
        )
        .order_by("issued_at", "id")
        .values_list("kind", "issued_at", "verification_code")
    ]
    return TransferShown(transfer, timeline, documents)
