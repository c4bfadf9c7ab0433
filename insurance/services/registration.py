"""Registering people and enrolling them in one step (参保登记): the persons import with its optional
scheme and start month, and the API's registration with an enrolment."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from accounts.scope import Scope
from core.batch import Refusal
from core.states import Actor
from insurance.services.persons import PersonDetails, Registered, persons_register
from insurance.services.relationships import EnrolmentRequest, enrolments_submit


@dataclass(frozen=True, slots=True)
class Registration:
    """A person to register and, when `scheme` is given, to enrol from `start_period` in the registering
    province (with an employer, or as a flexible worker)."""

    details: PersonDetails
    scheme: str | None = None
    start_period: int | None = None
    employer_code: str | None = None
    approved_transfer: bool = False


class _EnrolmentsRefused(Exception):
    def __init__(self, refusals: list[Refusal]) -> None:
        self.refusals = refusals


@transaction.atomic
def registrations_submit(
    *,
    items: Sequence[Registration],
    scope: Scope,
    province_id: str,
    actor: Actor,
    dry_run: bool = False,
) -> tuple[dict[int, tuple[Registered, int | None]], list[Refusal]]:
    """Register each item's person (`persons_register`) and enrol those with a scheme
    (`enrolments_submit`). An item is accepted whole or refused whole: when an enrolment is refused, the
    pass rolls back and the chunk is written again without the items refused, so that no person is left
    registered by an item that was refused. Returns, per accepted item's index, the registration and the
    relationship opened."""
    kept = list(range(len(items)))
    enrolments_refused: list[Refusal] = []
    while True:  # each pass that meets a refused enrolment drops at least one item
        try:
            with transaction.atomic():
                done, refusals = _submit(items, kept, scope, province_id, actor, dry_run)
        except _EnrolmentsRefused as refused:
            enrolments_refused += refused.refusals
            dropped = {refusal.index for refusal in refused.refusals}
            kept = [index for index in kept if index not in dropped]
        else:
            return done, sorted([*enrolments_refused, *refusals], key=lambda refusal: refusal.index)


def _submit(
    items: Sequence[Registration],
    indexes: Sequence[int],
    scope: Scope,
    province_id: str,
    actor: Actor,
    dry_run: bool,
) -> tuple[dict[int, tuple[Registered, int | None]], list[Refusal]]:
    registered, refusals = persons_register(
        items=[items[index].details for index in indexes], scope=scope, actor=actor, dry_run=dry_run
    )
    refusals = [Refusal(indexes[r.index], r.error, r.column) for r in refusals]
    registered = {indexes[position]: found for position, found in registered.items()}
    enrolling = [index for index in registered if items[index].scheme]
    requests = [
        EnrolmentRequest(
            id_number=items[index].details.id_number.value,
            scheme=items[index].scheme or "",
            start_period=items[index].start_period or 0,
            employer_code=items[index].employer_code,
            approved_transfer=items[index].approved_transfer,
        )
        for index in enrolling
    ]
    # A dry run registers nobody, so it cannot check the enrolments, which need the people registered.
    opened, enrolment_refusals = (
        ({}, []) if dry_run else enrolments_submit(requests=requests, province_id=province_id, actor=actor)
    )
    enrolment_refusals = [Refusal(enrolling[r.index], r.error, r.column) for r in enrolment_refusals]
    if enrolment_refusals:
        raise _EnrolmentsRefused(enrolment_refusals)  # the pass rolls back: nobody stays half-registered
    relationships = {enrolling[position]: pk for position, pk in opened.items()}
    done = {index: (found, relationships.get(index)) for index, found in registered.items()}
    return done, refusals
