"""Enrolment (参保登记), suspension (停保) and resumption of insurance relationships (DOMAIN.md §2-3).

Enrolling opens a relationship through one set-based service, `relationships_open`: the API calls it with
one enrolment or a batch, an import with a chunk, and resuming a suspended relationship is enrolling there
again. Every status change is a move of RELATIONSHIP_STATES, with its event. Paying into the employee
pension in a new province is a further move for a temporary account elsewhere: it is sealed and gathered
(insurance.services.temporary_accounts).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from core.batch import Refusal, refusal_raise
from core.crypto import keyed_hash
from core.exceptions import ApplicationError, ConflictError
from core.regions import PROVINCE_NAMES
from core.states import Actor
from insurance.models import (
    ContributionRecord,
    InsuranceRelationship,
    PersonStatus,
    RelationshipStatus,
    Scheme,
)
from insurance.periods import month_index, period_refusal
from insurance.services.temporary_accounts import temporary_accounts_gather_moved
from insurance.services.transfers import transfer_offers_make
from insurance.states import RELATIONSHIP_STATES

# DOMAIN.md §3: from these ages a move to a province other than the hukou province keeps the relationship
# where it was, and the new province opens a temporary account instead.
TEMPORARY_ACCOUNT_AGE = {"M": 50, "F": 40}


@dataclass(frozen=True, slots=True)
class Enrolment:
    """Open `scheme` for a person in a province from `start_period`, with an employer or, when
    `employer_id` is None, as a flexible worker. `approved_transfer` (批准调动) opens a basic relationship
    where a temporary account would otherwise be opened."""

    person_id: int
    scheme: str
    province_id: str
    start_period: int
    employer_id: int | None = None
    approved_transfer: bool = False


@dataclass(frozen=True, slots=True)
class _Person:
    status: str
    sex: str
    birth_date: datetime.date
    hukou_province_id: str


@dataclass(slots=True)
class _Relationship:
    pk: int
    scheme: str
    province_id: str
    status: str
    closed_period: int | None


def person_not_found() -> ApplicationError:
    return ApplicationError(
        "person_not_found", _("No insured person with this ID number here."), status_code=404
    )


def age_in_period(birth_date: datetime.date, period: int) -> int:
    """Age in whole years reached by the month `period` (a birthday in that month counts as reached)."""
    return (month_index(period) - (birth_date.year * 12 + birth_date.month - 1)) // 12


def needs_temporary_account(
    *,
    sex: str,
    birth_date: datetime.date,
    hukou_province_id: str,
    insured_elsewhere: bool,
    enrolment: Enrolment,
) -> bool:
    """A temporary account is opened for an employee pension when a person at or over the age threshold
    starts paying outside their hukou province while insured in another province, unless the move is an
    approved transfer."""
    return (
        enrolment.scheme == Scheme.EMPLOYEE_PENSION
        and not enrolment.approved_transfer
        and enrolment.province_id != hukou_province_id
        and insured_elsewhere
        and age_in_period(birth_date, enrolment.start_period) >= TEMPORARY_ACCOUNT_AGE[sex]
    )


@transaction.atomic
def relationships_open(
    *, items: Sequence[Enrolment], actor: Actor, dry_run: bool = False, reason: str = ""
) -> tuple[dict[int, int], list[Refusal]]:
    """Enrol: open each item's relationship, or resume the person's suspended one in that province. A
    person pays into one scheme in one province at a time: paying elsewhere is refused, naming the
    province. Returns the relationship of each accepted item's index, and the refusals."""
    people, relationships = _load(sorted({item.person_id for item in items}))
    refusals: list[Refusal] = []
    opened: dict[int, Enrolment] = {}  # index -> enrolment that opens a new relationship
    resumed: dict[int, int] = {}  # index -> suspended relationship that resumes
    temporary: dict[int, bool] = {}
    seen: set[tuple[int, str]] = set()
    for index, item in enumerate(items):
        person = people.get(item.person_id)
        refused, column = _enrolment_refusal(item, person, relationships.get(item.person_id, []))
        if refused is None and (item.person_id, item.scheme) in seen:
            refused, column = (
                ApplicationError("enrolment_repeated", _("The same enrolment appears twice in this batch.")),
                "scheme",
            )
        if refused is not None:
            refusals.append(Refusal(index, refused, column))
            continue
        assert person is not None
        seen.add((item.person_id, item.scheme))
        own = relationships.get(item.person_id, [])
        here = next(
            (
                r
                for r in own
                if (r.scheme, r.province_id, r.status) == (item.scheme, item.province_id, "suspended")
            ),
            None,
        )
        if here is not None:
            resumed[index] = here.pk
        else:
            opened[index] = item
            temporary[index] = needs_temporary_account(
                sex=person.sex,
                birth_date=person.birth_date,
                hukou_province_id=person.hukou_province_id,
                insured_elsewhere=any(
                    r.scheme == item.scheme and r.province_id != item.province_id for r in own
                ),
                enrolment=item,
            )
    if dry_run:
        return dict.fromkeys([*opened, *resumed], 0), refusals
    result = dict(resumed)
    if resumed:
        RELATIONSHIP_STATES.move_many(
            list(resumed.values()),
            to=RelationshipStatus.PAYING,
            actor=actor,
            reason=reason or "Enrolled again: payment resumes",
            sources=[RelationshipStatus.SUSPENDED],
            values={"closed_period": [None] * len(resumed)},
        )
    if opened:
        rows = [
            InsuranceRelationship(
                person_id=item.person_id,
                scheme=item.scheme,
                province_id=item.province_id,
                opened_period=item.start_period,
                employer_id=item.employer_id,
                is_temporary_account=temporary[index],
            )
            for index, item in opened.items()
        ]
        try:
            with transaction.atomic():
                InsuranceRelationship.objects.bulk_create(rows)
        except IntegrityError:
            # The people are locked by `_load`: only a caller outside this service can race it.
            raise ConflictError(
                "relationship_already_paying", _("This person already pays into this scheme.")
            ) from None
        RELATIONSHIP_STATES.record_created(
            [(row.pk, RelationshipStatus.PAYING, row.person_id) for row in rows],
            actor=actor,
            reason=reason or "Enrolled",
        )
        result.update(zip(opened, (row.pk for row in rows), strict=True))
    # Paying into the pension here moves the person on from a temporary account elsewhere: it is gathered
    # first, so that it is no suspended relationship for the transfer offered next.
    moved = {items[index].person_id for index in result if items[index].scheme == Scheme.EMPLOYEE_PENSION}
    if moved:
        temporary_accounts_gather_moved(person_ids=sorted(moved), actor=actor)
    if opened:
        # Paying in a new province while suspended elsewhere: the person is offered the transfer.
        transfer_offers_make(actor=actor, person_ids=sorted({items[index].person_id for index in opened}))
    return result, refusals


def _load(person_ids: list[int]) -> tuple[dict[int, _Person], dict[int, list[_Relationship]]]:
    """The people, locked (no death or other enrolment of theirs can slip between the checks and the
    writes), and every relationship they have."""
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT id, status, sex, birth_date, hukou_province_id FROM insurance_insuredperson
                WHERE id = ANY(%s) ORDER BY id FOR UPDATE""",
            [person_ids],
        )
        people = {row[0]: _Person(*row[1:]) for row in cursor.fetchall()}
        cursor.execute(
            """SELECT person_id, id, scheme, province_id, status, closed_period
                 FROM insurance_insurancerelationship WHERE person_id = ANY(%s)""",
            [person_ids],
        )
        relationships: dict[int, list[_Relationship]] = {}
        for person_id, *row in cursor.fetchall():
            relationships.setdefault(person_id, []).append(_Relationship(*row))
    return people, relationships


def _enrolment_refusal(
    item: Enrolment, person: _Person | None, relationships: list[_Relationship]
) -> tuple[ApplicationError | None, str]:
    if person is None:
        return person_not_found(), "person"
    if person.status == PersonStatus.DECEASED:
        return ConflictError(
            "person_deceased", _("A relationship cannot be opened for a deceased person.")
        ), "person"
    if item.scheme not in Scheme.values:
        return ApplicationError(
            "scheme_unknown", _("%(scheme)r is not a scheme.") % {"scheme": item.scheme}
        ), "scheme"
    if item.province_id not in PROVINCE_NAMES:
        return ApplicationError(
            "province_unknown",
            _("%(province_id)s is not a province code.") % {"province_id": item.province_id},
        ), "province"
    period = period_refusal(item.start_period)
    if period is not None:
        return period, "start_period"
    if item.start_period < person.birth_date.year * 100 + person.birth_date.month:
        return ApplicationError("period_before_birth", _("The start month is before the person's birth.")), (
            "start_period"
        )
    for relationship in relationships:
        if relationship.scheme != item.scheme:
            continue
        if relationship.status == RelationshipStatus.PAYING:
            if relationship.province_id == item.province_id:
                return ConflictError(
                    "relationship_already_paying", _("This person already pays into this scheme here.")
                ), "scheme"
            return ConflictError(
                "relationship_paying_elsewhere",
                _(
                    "This person pays into this scheme in province %(province_id)s: that relationship must "
                    "be suspended first."
                )
                % {"province_id": relationship.province_id},
                fields={"province": [relationship.province_id]},
            ), "scheme"
        if (
            relationship.status == RelationshipStatus.SUSPENDED
            and relationship.province_id == item.province_id
            and relationship.closed_period is not None
            and item.start_period < relationship.closed_period
        ):
            return ApplicationError(
                "period_before_suspension",
                _("Payment can resume from %(closed_period)s at the earliest, the month of the suspension.")
                % {"closed_period": relationship.closed_period},
            ), "start_period"
    return None, ""


def relationship_open(*, enrolment: Enrolment, actor: Actor, reason: str = "") -> InsuranceRelationship:
    """Enrol once (see `relationships_open`)."""
    opened, refusals = relationships_open(items=[enrolment], actor=actor, reason=reason)
    refusal_raise(refusals)
    return InsuranceRelationship.objects.get(pk=opened[0])


@transaction.atomic
def relationship_suspend(
    *, relationship: InsuranceRelationship, period: int, actor: Actor, reason: str = ""
) -> InsuranceRelationship:
    """Suspend payment (停保) from the month `period`: the person left the job or moved; the history stays
    where it is. No contribution may be recorded from that month on."""
    refusal = period_refusal(period)
    if refusal is not None:
        raise refusal
    if period < relationship.opened_period:
        raise ApplicationError(
            "period_before_opening", _("A relationship cannot be suspended before it opened.")
        )
    paid_after = ContributionRecord.objects.filter(
        person_id=relationship.person_id,
        scheme=relationship.scheme,
        province_id=relationship.province_id,
        period__gte=period,
    ).exists()
    if paid_after:
        raise ConflictError(
            "contributions_after_suspension", _("Contributions are recorded for this month or later.")
        )
    try:
        RELATIONSHIP_STATES.move(
            relationship.pk,
            to=RelationshipStatus.SUSPENDED,
            actor=actor,
            reason=reason or "Suspended",
            sources=[RelationshipStatus.PAYING],
            values={"closed_period": period},
        )
    except ConflictError:
        raise ConflictError(
            "relationship_not_paying", _("Only a paying relationship can be suspended.")
        ) from None
    relationship.refresh_from_db()
    return relationship


def relationship_resume(
    *, relationship: InsuranceRelationship, period: int, actor: Actor, reason: str = ""
) -> InsuranceRelationship:
    """Resume a suspended relationship from `period`: enrolling there again, for `reason`."""
    if relationship.status != RelationshipStatus.SUSPENDED:
        raise ConflictError("relationship_not_suspended", _("Only a suspended relationship can be resumed."))
    return relationship_open(
        enrolment=Enrolment(
            person_id=relationship.person_id,
            scheme=relationship.scheme,
            province_id=relationship.province_id,
            start_period=period,
            employer_id=relationship.employer_id,
        ),
        actor=actor,
        reason=reason,
    )


@dataclass(frozen=True, slots=True)
class EnrolmentRequest:
    """An enrolment as an agency sends it: the person by ID number (registered in any province), the
    employer by its unified social credit code (none for a flexible worker)."""

    id_number: str
    scheme: str
    start_period: int
    employer_code: str | None = None
    approved_transfer: bool = False


def enrolments_submit(
    *, requests: Sequence[EnrolmentRequest], province_id: str, actor: Actor, dry_run: bool = False
) -> tuple[dict[int, int], list[Refusal]]:
    """Enrol in `province_id` the people named by ID number (see `relationships_open`): the API's single
    and batch enrolments and the enrolments import. Returns the relationship of each accepted request's
    index, and the refusals."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_number_hash, id FROM insurance_insuredperson WHERE id_number_hash = ANY(%s)",
            [list({keyed_hash(request.id_number) for request in requests})],
        )
        people = dict(cursor.fetchall())
        cursor.execute(
            "SELECT code, id FROM insurance_employer WHERE code = ANY(%s)",
            [list({request.employer_code for request in requests if request.employer_code})],
        )
        employers = dict(cursor.fetchall())
    refusals: list[Refusal] = []
    enrolments: list[Enrolment] = []
    positions: list[int] = []  # the request index of each enrolment
    for index, request in enumerate(requests):
        person_id = people.get(keyed_hash(request.id_number))
        if person_id is None:
            refusals.append(Refusal(index, person_not_found(), "id_number"))
        elif request.employer_code and request.employer_code not in employers:
            refusals.append(
                Refusal(
                    index,
                    ApplicationError(
                        "employer_not_found",
                        _("Unknown employer %(employer_code)s.") % {"employer_code": request.employer_code},
                    ),
                    "employer_code",
                )
            )
        else:
            positions.append(index)
            enrolments.append(
                Enrolment(
                    person_id=person_id,
                    scheme=request.scheme,
                    province_id=province_id,
                    start_period=request.start_period,
                    employer_id=employers.get(request.employer_code) if request.employer_code else None,
                    approved_transfer=request.approved_transfer,
                )
            )
    opened, refused_enrolments = relationships_open(items=enrolments, actor=actor, dry_run=dry_run)
    refusals += [Refusal(positions[r.index], r.error, r.column) for r in refused_enrolments]
    refusals.sort(key=lambda refusal: refusal.index)
    return {positions[index]: pk for index, pk in opened.items()}, refusals
