"""Writing planned people through the registry's set-based services, a chunk of people at a time.

The demo makes the calls that an agency's imports would make, in the order its people lived them: each
person is registered (`persons_register`); each stint is an enrolment (`relationships_open`, with its
employer or as a flexible worker), its months are recorded (`ContributionRecorder`, which computes the
amounts from the province's tariff of each month's year), and it is suspended from the month after its
last contribution when the person moved on or stopped paying. Retirement closes the last relationship
and deaths are registered (`deaths_register`). So the demo holds what the services would have written,
refusals checked and state events included: any refusal is a fault of the plan, and stops the seed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from accounts.models import Role
from accounts.scope import Scope
from core.batch import Refusal
from core.identity import IdentityNumber
from core.models import Channel
from core.states import Actor
from demo.figures import average_monthly_wage
from demo.people import PersonPlan, Stint
from insurance.models import PaymentType, PersonStatus, RelationshipStatus
from insurance.periods import month_index, period_from_index, period_year
from insurance.services.contributions import ContributionLine, ContributionRecorder
from insurance.services.persons import Death, PersonDetails, deaths_register, persons_register
from insurance.services.relationships import Enrolment, relationships_open
from insurance.states import PERSON_STATES, RELATIONSHIP_STATES

# The demo is an administrator's command: no user acted, and the reference names the command.
DEMO_ACTOR = Actor(Channel.ADMIN, None, "seed_demo")
DEMO_SCOPE = Scope(role=Role.ADMINISTRATOR)
# Contribution months handed to a recorder at a time, as an import hands it a chunk of its file.
RECORD_CHUNK_LINES = 50_000
# A person's declared base rises a little faster than the average wage as their career advances.
CAREER_GROWTH = 1.015


class DemoRefused(Exception):
    """A service refused part of the demo plan: the plan and the services' rules disagree."""


def _nothing_refused(refusals: Sequence[Refusal], what: str) -> None:
    if refusals:
        first = refusals[0]
        raise DemoRefused(
            f"{len(refusals)} {what} refused, the first (item {first.index}): {first.code}: {first.message}"
        )


@dataclass
class Written:
    persons: int = 0
    relationships: int = 0
    contributions: int = 0


def declared_base(plan: PersonPlan, province: str, year: int, career_start_year: int) -> Decimal:
    """What the employer (or the flexible worker) declares: whole yuan, around the person's usual share
    of the province's average wage."""
    wage = float(average_monthly_wage(province, year))
    return Decimal(max(1, round(wage * plan.wage_factor * CAREER_GROWTH ** (year - career_start_year))))


def contribution_lines(plan: PersonPlan, person_id: int, stint: Stint) -> Iterator[ContributionLine]:
    """The months of one stint, as the recorder takes them: one declared base per year."""
    career_start_year = period_year(plan.stints[0].first)
    first, last = month_index(stint.first), month_index(stint.last)
    for scheme in stint.schemes:
        year, base = 0, Decimal(0)
        for index in range(first, last + 1):
            period = period_from_index(index)
            if period_year(period) != year:
                year = period_year(period)
                base = declared_base(plan, stint.province, year, career_start_year)
            yield (None, person_id, scheme, period, base, PaymentType.NORMAL, stint.employer, None)


class PeopleWriter:
    """Writes planned people (see the module's docstring). One writer serves a whole seed, so that each
    province's recorder looks its tariffs up once."""

    def __init__(self, *, employer_ids: dict[str, int], today: datetime.date) -> None:
        self.employer_ids = employer_ids
        self.today = today
        self.written = Written()
        self._recorders: dict[str, ContributionRecorder] = {}

    def write(self, plans: Sequence[PersonPlan]) -> None:
        if not plans:
            return
        person_ids = self._register(plans)
        current: dict[tuple[int, str], int] = {}  # (person, scheme) -> the relationship of the last stint
        for number in range(max(len(plan.stints) for plan in plans)):
            stints = [
                (plan, person_id, plan.stints[number])
                for plan, person_id in zip(plans, person_ids, strict=True)
                if number < len(plan.stints)
            ]
            relationships = self._enrol(stints)
            self._record(stints)
            self._suspend(stints, relationships)
            current.update(relationships)
        self._retire(plans, person_ids, current)
        self._deaths_register(plans, person_ids)

    def _register(self, plans: Sequence[PersonPlan]) -> list[int]:
        registered, refusals = persons_register(
            items=[
                PersonDetails(
                    id_number=IdentityNumber.parse(plan.id_number),
                    name=plan.name,
                    hukou_province=plan.hukou_province,
                    residence_province=plan.residence_province,
                    phone=plan.phone,
                )
                for plan in plans
            ],
            scope=DEMO_SCOPE,
            actor=DEMO_ACTOR,
        )
        _nothing_refused(refusals, "registrations")
        if not all(registered[index].created for index in range(len(plans))):
            raise DemoRefused("Some planned people are registered already.")
        self.written.persons += len(plans)
        return [registered[index].person_id for index in range(len(plans))]

    def _enrol(self, stints: list[tuple[PersonPlan, int, Stint]]) -> dict[tuple[int, str], int]:
        """Open each stint's relationships: (person, scheme) -> the relationship."""
        enrolments = [
            Enrolment(
                person_id=person_id,
                scheme=scheme,
                province_id=stint.province,
                start_period=stint.first,
                employer_id=self.employer_ids[stint.employer] if stint.employer else None,
            )
            for _, person_id, stint in stints
            for scheme in stint.schemes
        ]
        opened, refusals = relationships_open(items=enrolments, actor=DEMO_ACTOR)
        _nothing_refused(refusals, "enrolments")
        self.written.relationships += len(opened)
        return {
            (enrolment.person_id, enrolment.scheme): opened[index]
            for index, enrolment in enumerate(enrolments)
        }

    def _record(self, stints: list[tuple[PersonPlan, int, Stint]]) -> None:
        """Record the stints' months, province by province, in chunks."""
        by_province: dict[str, list[tuple[PersonPlan, int, Stint]]] = {}
        for planned in stints:
            by_province.setdefault(planned[2].province, []).append(planned)
        for province, planned in sorted(by_province.items()):
            recorder = self._recorders.get(province)
            if recorder is None:
                recorder = self._recorders[province] = ContributionRecorder(province, today=self.today)
            lines: list[ContributionLine] = []
            for plan, person_id, stint in planned:
                lines += contribution_lines(plan, person_id, stint)
                if len(lines) >= RECORD_CHUNK_LINES:
                    self._record_chunk(recorder, lines)
                    lines = []
            self._record_chunk(recorder, lines)

    def _record_chunk(self, recorder: ContributionRecorder, lines: list[ContributionLine]) -> None:
        if not lines:
            return
        recorded, refusals = recorder.record(lines)
        _nothing_refused(refusals, f"contribution months in {recorder.province}")
        self.written.contributions += recorded

    def _suspend(
        self, stints: list[tuple[PersonPlan, int, Stint]], relationships: dict[tuple[int, str], int]
    ) -> None:
        """Suspend the stints that ended before the career did, from the month after their last one paid.
        The periods are right by construction, so the kernel moves them in one statement: the checks of
        `relationship_suspend` (no month paid from then on) hold since the months were just recorded."""
        suspending = [
            (relationships[person_id, scheme], stint.suspended_from)
            for _, person_id, stint in stints
            if stint.suspended_from is not None
            for scheme in stint.schemes
        ]
        self._move(RelationshipStatus.SUSPENDED, suspending, "Suspended: moved on or stopped paying")

    def _retire(
        self, plans: Sequence[PersonPlan], person_ids: list[int], current: dict[tuple[int, str], int]
    ) -> None:
        """Retirement: the relationships paid last close with their last month, and the person retires."""
        retired = [
            (plan, person_id) for plan, person_id in zip(plans, person_ids, strict=True) if plan.retired
        ]
        closing = [
            (current[person_id, scheme], plan.stints[-1].closed_period)
            for plan, person_id in retired
            if plan.stints
            for scheme in plan.stints[-1].schemes
        ]
        self._move(RelationshipStatus.CLOSED, closing, "Retired")
        ids = [person_id for _, person_id in retired]
        moved = PERSON_STATES.move_many(ids, to=PersonStatus.RETIRED, actor=DEMO_ACTOR, reason="Retired")
        if len(moved) != len(ids):
            raise DemoRefused("Some planned retirements did not move.")

    def _move(self, to: str, relationships: list[tuple[int, int | None]], reason: str) -> None:
        pks = [pk for pk, _ in relationships]
        moved = RELATIONSHIP_STATES.move_many(
            pks,
            to=to,
            actor=DEMO_ACTOR,
            reason=reason,
            sources=[RelationshipStatus.PAYING],
            values={"closed_period": [period for _, period in relationships]},
        )
        if len(moved) != len(pks):
            raise DemoRefused(f"Some planned relationships did not move to {to}.")

    def _deaths_register(self, plans: Sequence[PersonPlan], person_ids: list[int]) -> None:
        deaths = [
            Death(person_id, plan.date_of_death)
            for plan, person_id in zip(plans, person_ids, strict=True)
            if plan.date_of_death is not None
        ]
        if deaths:
            _, refusals = deaths_register(items=deaths, actor=DEMO_ACTOR)
            _nothing_refused(refusals, "deaths")
