"""Writers: one chunk of clean rows handed to the domain's set-based services, their refusals turned into
row errors. What is refused, and what else changes (relationships closed, events written, and the hooks
of the apps above), is decided by the services, exactly as for the API's single items; a writer only
finds the rows' people and maps rows to items and refusals back to rows.

A row's person is found by ID number among the people the uploading province may see (the scope's one
rule, `insurance.selectors.person_ids_by_id_number`); anyone else is answered as unknown. Look-ups are
memoised for the job, and made one chunk ahead by the read-ahead thread (`prefetch`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from django.utils.translation import gettext as _

from accounts.scope import Scope
from certification.services.awards import AwardInPayment, awards_import
from certification.services.comparison import StatusEvidenceItem, status_evidence_record
from certification.services.evidence import LifeEvidenceItem, life_evidence_record
from core.batch import Refusal
from core.identity import IdentityNumber
from core.states import Actor
from imports.errors import RowError
from imports.models import ImportJob, ImportKind
from insurance.selectors import person_ids_by_id_number
from insurance.services.contributions import ContributionRecorder, LookupMemo
from insurance.services.persons import Death, PersonDetails, deaths_register
from insurance.services.registration import Registration, registrations_submit
from insurance.services.relationships import EnrolmentRequest, enrolments_submit


def row_errors(
    rows: Sequence[tuple], refusals: Sequence[Refusal], positions: Sequence[int]
) -> list[RowError]:
    """The refusals of a service's items as row errors: item i was made from row `positions[i]`."""
    return [
        RowError(rows[positions[refusal.index]][0], refusal.column, refusal.code, refusal.message)
        for refusal in refusals
    ]


class _Writer(ABC):
    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.province = job.province_id
        self.scope = Scope.of_province(job.province_id)
        self.actor = Actor.import_job(job)
        self._people = LookupMemo(
            lambda numbers: person_ids_by_id_number(scope=self.scope, id_numbers=numbers)
        )

    def prefetch(self, rows: list[tuple]) -> None:
        """Run by the read-ahead thread, on its own connection, for a chunk not written yet: the look-ups
        that `write` would otherwise make while the database waits."""
        self._people.prefetch({row[1] for row in rows})

    def people(self, rows: list[tuple]) -> tuple[list[int], list[int], list[RowError]]:
        """The person of each row found in scope: (person ids, their rows' positions, errors of the rest)."""
        found = self._people.get({row[1] for row in rows})
        person_ids, positions, errors = [], [], []
        for position, row in enumerate(rows):
            person_id = found[row[1]]
            if person_id is None:
                errors.append(
                    RowError(
                        row[0],
                        "id_number",
                        "person_not_found",
                        _("No insured person with this ID number here."),
                    )
                )
            else:
                person_ids.append(person_id)
                positions.append(position)
        return person_ids, positions, errors

    @abstractmethod
    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        """Check and (unless a dry run) write clean rows; return how many were accepted and the errors."""


class ContributionsWriter(_Writer):
    """Rows: (row, id_number, scheme, period, base, payment_type, employer_code, temporary_account): the
    lines, as they are, of the province's ContributionRecorder (insurance.services.contributions), which
    finds the rows' people among those the province sees and keeps its look-ups for the whole job."""

    def __init__(self, job: ImportJob) -> None:
        super().__init__(job)
        self.recorder = ContributionRecorder(job.province_id, scope=self.scope, actor=self.actor)

    def prefetch(self, rows: list[tuple]) -> None:
        self.recorder.prefetch(rows)

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        accepted, refusals = self.recorder.record(rows, dry_run=dry_run)
        return accepted, row_errors(rows, refusals, range(len(rows)))


class PersonsWriter(_Writer):
    """Rows: (row, id_number, name, hukou_province, residence_province, phone, scheme, start_period,
    employer_code): people registered (or their details brought up to date) and, with a scheme, enrolled
    in the uploading province, through `registrations_submit`."""

    def prefetch(self, rows: list[tuple]) -> None:
        """Nothing to look up: the registration itself decides who is new."""

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        items = [
            Registration(
                details=PersonDetails(
                    id_number=IdentityNumber(id_number),
                    name=name,
                    hukou_province=hukou,
                    residence_province=residence,
                    phone=phone or "",
                ),
                scheme=scheme,
                start_period=start_period,
                employer_code=employer_code,
            )
            for _, id_number, name, hukou, residence, phone, scheme, start_period, employer_code in rows
        ]
        done, refusals = registrations_submit(
            items=items, scope=self.scope, province_id=self.province, actor=self.actor, dry_run=dry_run
        )
        return len(done), row_errors(rows, refusals, range(len(rows)))


class EnrolmentsWriter(_Writer):
    """Rows: (row, id_number, scheme, start_period, employer_code, approved_transfer): enrolments in the
    uploading province of people registered in any province, through `enrolments_submit`."""

    def prefetch(self, rows: list[tuple]) -> None:
        """Nothing to look up ahead: the people may be registered anywhere, as the service finds them."""

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        requests = [
            EnrolmentRequest(
                id_number=id_number,
                scheme=scheme,
                start_period=start_period,
                employer_code=employer_code,
                approved_transfer=bool(approved_transfer),
            )
            for _, id_number, scheme, start_period, employer_code, approved_transfer in rows
        ]
        opened, refusals = enrolments_submit(
            requests=requests, province_id=self.province, actor=self.actor, dry_run=dry_run
        )
        return len(opened), row_errors(rows, refusals, range(len(rows)))


class DeathsWriter(_Writer):
    """Rows: (row, id_number, date_of_death, source), recorded by `deaths_register`, the API's service."""

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        person_ids, positions, errors = self.people(rows)
        deaths = [
            Death(person_id, rows[position][2])
            for person_id, position in zip(person_ids, positions, strict=True)
        ]
        recorded, refusals = deaths_register(items=deaths, actor=self.actor, dry_run=dry_run)
        return len(recorded), sorted([*errors, *row_errors(rows, refusals, positions)], key=lambda e: e.row)


class _EvidenceWriter(_Writer):
    """Rows: (row, id_number, the item's fields after the person...), recorded by certification's service
    for the kind; an evidence record already held is skipped by that service, not refused."""

    item: Callable[..., tuple]
    record: Callable[..., int]

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        person_ids, positions, errors = self.people(rows)
        evidence = [
            self.item(person_id, *rows[position][2:])
            for person_id, position in zip(person_ids, positions, strict=True)
        ]
        if evidence and not dry_run:
            type(self).record(province_id=self.province, items=evidence)
        return len(evidence), errors


class LifeEvidenceWriter(_EvidenceWriter):
    """Rows: (row, id_number, evidence_date, kind, source)."""

    item = LifeEvidenceItem
    record = staticmethod(life_evidence_record)


class StatusEvidenceWriter(_EvidenceWriter):
    """Rows: (row, id_number, kind, evidence_date, source); the nightly comparison acts on them."""

    item = StatusEvidenceItem
    record = staticmethod(status_evidence_record)


class AwardsWriter(_Writer):
    """Rows: (row, id_number, scheme, monthly_amount, first_month, last_certified_on), brought into payment
    by certification's service; a person already awarded in the scheme is a row error."""

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        person_ids, positions, errors = self.people(rows)
        items = [
            AwardInPayment(person_id, *rows[position][2:])
            for person_id, position in zip(person_ids, positions, strict=True)
        ]
        created, refusals = awards_import(
            province_id=self.province, items=items, actor=self.actor, dry_run=dry_run
        )
        return created, sorted([*errors, *row_errors(rows, refusals, positions)], key=lambda e: e.row)


WRITERS: dict[str, type[_Writer]] = {
    ImportKind.CONTRIBUTIONS: ContributionsWriter,
    ImportKind.PERSONS: PersonsWriter,
    ImportKind.ENROLMENTS: EnrolmentsWriter,
    ImportKind.DEATHS: DeathsWriter,
    ImportKind.LIFE_EVIDENCE: LifeEvidenceWriter,
    ImportKind.AWARDS: AwardsWriter,
    ImportKind.STATUS_EVIDENCE: StatusEvidenceWriter,
}
