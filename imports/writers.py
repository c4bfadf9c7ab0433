"""Set-based writers: one chunk of clean rows becomes a few SQL statements, never one query per row.

Each writer first checks what needs the database (does the person exist in the uploading province, is the
relationship open, is the employer known, is the province-year configured) and turns failures into row
errors; then, unless the job is a dry run, it writes so that rows already present are skipped or updated,
never doubled: contributions with COPY straight into their table (see ContributionsWriter), the other
kinds with one `INSERT ... ON CONFLICT` (life evidence through `certification.services`). Look-ups of
people and employers are memoised for the job, and made one chunk ahead by the read-ahead thread
(`prefetch`).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import islice
from operator import itemgetter
from typing import Generic, TypeVar

from django.db import connection, transaction
from django.utils import timezone
from psycopg.errors import UniqueViolation

from certification.services import LifeEvidenceItem, life_evidence_record
from core.crypto import encrypt_text, keyed_hash
from core.exceptions import ApplicationError
from core.identity import IdentityNumber
from imports.errors import RowError
from imports.models import ImportJob, ImportKind
from insurance.models import PersonStatus, RelationshipStatus
from insurance.periods import period_of
from insurance.services.tariffs import Tariff, tariff_get

# Bounds of the per-job memos, cleared when full and refilled from the next chunks: a million-row file of
# distinct people would otherwise keep them all. Amounts are mostly reused within a person's run of months,
# so their memo can stay small; it is also the heaviest per entry.
CACHE_LIMIT = 200_000
AMOUNTS_CACHE_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class _Found:
    """A person with a relationship in the uploading province, and the open ones (scheme -> temporary)."""

    person_id: int
    open_schemes: dict[str, bool]


K = TypeVar("K")
V = TypeVar("V")


class _LookupMemo(Generic[K, V]):
    """Database look-ups kept for the whole job: a file repeats each person on many rows and chunks, and
    each chunk then asks only about what is new. Shared with the read-ahead thread, which fills it ahead
    (`prefetch`) on its own connection while the writer's connection is busy with the previous chunk."""

    def __init__(self, lookup: Callable[[set[K]], dict[K, V]]) -> None:
        self._lookup = lookup  # keys -> values of the keys found; the others are unknown
        self._known: dict[K, V | None] = {}  # None: unknown to the database
        self._lock = threading.Lock()

    def get(self, keys: set[K]) -> dict[K, V | None]:
        """The value of each key, None for the keys the database does not know."""
        with self._lock:
            found = {key: self._known[key] for key in keys if key in self._known}
        unseen = keys.difference(found)
        if unseen:
            looked_up = self._lookup(unseen)
            answers = {key: looked_up.get(key) for key in unseen}
            self._remember(answers)
            found.update(answers)
        return found

    def prefetch(self, keys: set[K]) -> None:
        """Look up ahead, keeping only what was found: what this connection does not see may still be
        visible to the writer's (rows of its own open transaction), which `get` then asks about."""
        with self._lock:
            unseen = keys.difference(self._known)
        if unseen:
            self._remember(self._lookup(unseen))

    def _remember(self, answers: dict[K, V | None]) -> None:
        with self._lock:
            if len(self._known) + len(answers) > CACHE_LIMIT:
                self._known.clear()
            self._known.update(answers)


class _Writer(ABC):
    def __init__(self, job: ImportJob) -> None:
        self.job = job
        self.province = job.province_id
        self._people = _LookupMemo(self._people_lookup)

    def prefetch(self, rows: list[tuple]) -> None:
        """Run by the read-ahead thread, on its own connection, for a chunk not written yet: the look-ups
        that `write` would otherwise make while the database waits."""
        self._people.prefetch({row[1] for row in rows})

    def people(self, rows: list[tuple]) -> dict[str, _Found | None]:
        """The people of these rows by ID number; None for anyone without a relationship here."""
        return self._people.get({row[1] for row in rows})

    def _people_lookup(self, numbers: set[str]) -> dict[str, _Found]:
        by_hash = {keyed_hash(number): number for number in numbers}
        found: dict[str, _Found] = {}
        with connection.cursor() as cursor:
            cursor.execute(
                # One index probe per ID number: the LIMIT keeps the planner from hashing the whole
                # person table instead, which it prefers while the table is small.
                """SELECT h.digest, r.person_id, r.scheme, r.status IN (%s, %s), r.is_temporary_account
                     FROM UNNEST(string_to_array(%s, ',')) AS h(digest)
                    CROSS JOIN LATERAL (SELECT p.id FROM insurance_insuredperson p
                                         WHERE p.id_number_hash = h.digest LIMIT 1) AS p
                     JOIN insurance_insurancerelationship r ON r.person_id = p.id AND r.province_id = %s""",
                # The digests as one text: hexadecimal, so the comma cannot occur in them, and far
                # cheaper to send than an array of thousands of strings, each checked for quoting.
                [RelationshipStatus.PAYING, RelationshipStatus.SUSPENDED, ",".join(by_hash), self.province],
            )
            for digest, person_id, scheme, is_open, temporary in cursor.fetchall():
                number = by_hash[digest]
                person = found.get(number) or found.setdefault(number, _Found(person_id, {}))
                if is_open:
                    person.open_schemes[scheme] = temporary
        return found

    def persons_in_province(self, rows: list[tuple]) -> dict[str, int]:
        """Person ids by ID number, for people with a relationship in the uploading province: anyone else
        is out of the uploader's scope and answered as unknown."""
        people = self.people(rows)
        return {row[1]: found.person_id for row in rows if (found := people[row[1]]) is not None}

    @staticmethod
    def unknown_person(row: tuple) -> RowError:
        return RowError(
            row[0], "id_number", "person_not_found", "No insured person with this ID number here."
        )

    @abstractmethod
    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        """Check and (unless a dry run) write clean rows; return how many were accepted and the errors."""


# Lines sent to the database at a time: it inserts them while the next ones are made.
COPY_BATCH_LINES = 2000
# The columns an import writes, in COPY order: the row's own values, then the amounts (one memoised text per
# distinct declared base), then the chunk's constants.
_CONTRIBUTION_COLUMNS = (
    "person_id, scheme, period, declared_base, base, base_adjustment, employer_rate, individual_rate, "
    "employer_amount, individual_amount, account_credit, payment_type, employer_id, temporary_account, "
    "province_id, created_at"
)


class ContributionsWriter(_Writer):
    """Rows: (row, id_number, scheme, period, base, payment_type, employer_code, temporary_account).

    Each clean row becomes one line of COPY text, written straight into the contribution table. Months
    already recorded are skipped, never doubled: a COPY that meets one fails on the unique key (at once,
    when the file repeats what is recorded), and its chunk is written again through a staging table and
    `ON CONFLICT DO NOTHING`. From then on the job looks each chunk's recorded months up first and leaves
    them out, so that a file that mostly repeats earlier ones costs one look-up per chunk, not two writes.
    """

    def __init__(self, job: ImportJob) -> None:
        super().__init__(job)
        self._tariffs: dict[tuple[str, int], Tariff | ApplicationError] = {}
        self._employers = _LookupMemo(self._employers_lookup)
        # (scheme, year, declared base, has employer) -> the amounts' COPY text, or the refusal. A person's
        # base rarely changes from one month to the next, so most rows repeat a computation already made.
        self._amounts: dict[tuple, str | ApplicationError] = {}
        # Whether this job's file has met months already recorded: see the class docstring.
        self._meets_recorded = False

    def tariffs_load(self, rows: list[tuple]) -> None:
        """Load the tariffs (or their refusals) of the rows' schemes and years not met before."""
        months = set(map(itemgetter(2, 3), rows))  # (scheme, period): a few distinct pairs per chunk
        for scheme, year in {(scheme, period // 100) for scheme, period in months}.difference(self._tariffs):
            try:
                self._tariffs[scheme, year] = tariff_get(province_id=self.province, scheme=scheme, year=year)
            except ApplicationError as refusal:
                self._tariffs[scheme, year] = refusal

    def tariff(self, scheme: str, year: int) -> Tariff:
        """A tariff loaded by `tariffs_load`, or its refusal raised."""
        found = self._tariffs[scheme, year]
        if isinstance(found, ApplicationError):
            raise found
        return found

    def amounts_text(
        self, scheme: str, period: int, base: Decimal, has_employer: bool
    ) -> str | ApplicationError:
        """The month's amounts as COPY text (declared base to account credit), or the refusal: returned
        rather than raised, since a memoised exception raised again on every row would grow its traceback
        each time."""
        year = period // 100  # YYYYMM
        key = (scheme, year, base, has_employer)
        found = self._amounts.get(key)
        if found is None:
            if len(self._amounts) > AMOUNTS_CACHE_LIMIT:
                self._amounts.clear()
            try:
                amounts = self.tariff(scheme, year).compute(base, has_employer=has_employer)
            except ApplicationError as refusal:
                found = refusal
            else:
                found = (
                    f"{base}\t{amounts.base}\t{amounts.base_adjustment}\t{amounts.employer_rate}\t"
                    f"{amounts.individual_rate}\t{amounts.employer_amount}\t{amounts.individual_amount}\t"
                    f"{amounts.account_credit}"
                )
            self._amounts[key] = found
        return found

    def prefetch(self, rows: list[tuple]) -> None:
        super().prefetch(rows)
        self._employers.prefetch({row[6] for row in rows if row[6]})

    def employers(self, rows: list[tuple]) -> dict[str, int | None]:
        """Employer ids by code; None for unknown codes."""
        return self._employers.get({row[6] for row in rows if row[6]})

    def _employers_lookup(self, codes: set[str]) -> dict[str, int]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT code, id FROM insurance_employer WHERE code = ANY(%s)", [list(codes)])
            return dict(cursor.fetchall())

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        people = self.people(rows)
        employers = self.employers(rows)
        self.tariffs_load(rows)
        recorded = self._recorded(rows, people) if self._meets_recorded and not dry_run else set()
        errors: list[RowError] = []
        lines = self._lines(rows, people, employers, recorded, errors)
        if dry_run:
            lines = list(lines)
        else:
            self._insert(lines)
        # Each row is written, skipped as already recorded, or refused with exactly one error.
        return len(rows) - len(errors), errors

    def _recorded(self, rows: list[tuple], people: dict[str, _Found | None]) -> set[tuple[int, str, int]]:
        """The (person, scheme, period) months of these rows already recorded in the province."""
        person_ids = list({found.person_id for row in rows if (found := people[row[1]]) is not None})
        if not person_ids:
            return set()
        periods = [row[3] for row in rows]
        with connection.cursor() as cursor:
            cursor.execute(
                """SELECT person_id, scheme, period FROM insurance_contributionrecord
                    WHERE person_id = ANY(%s) AND province_id = %s AND period BETWEEN %s AND %s""",
                [person_ids, self.province, min(periods), max(periods)],
            )
            return set(cursor.fetchall())

    def _lines(
        self,
        rows: list[tuple],
        people: dict[str, _Found | None],
        employers: dict[str, int | None],
        recorded: set[tuple[int, str, int]],
        errors: list[RowError],
    ) -> Iterator[str]:
        """The COPY line of each row that passes every check and is not recorded yet; the others' errors
        go to `errors`. A generator, so that the database inserts the first lines while the rest are made;
        it must not query the database, which is busy with the COPY meanwhile."""
        amounts_text = self.amounts_text
        tail = f"\t{self.province}\t{timezone.now().isoformat()}\n"
        for (
            row_number,
            id_number,
            scheme,
            period,
            base,
            payment_type,
            employer_code,
            declared_temporary,
        ) in rows:
            found = people[id_number]
            if found is None:
                errors.append(self.unknown_person((row_number,)))
                continue
            temporary = found.open_schemes.get(scheme)
            if temporary is None:
                errors.append(
                    RowError(
                        row_number, "scheme", "relationship_not_open", f"No open {scheme} relationship here."
                    )
                )
                continue
            if declared_temporary is not None and declared_temporary != temporary:
                errors.append(
                    RowError(
                        row_number,
                        "temporary_account",
                        "temporary_account_mismatch",
                        f"The person's {scheme} relationship here is "
                        f"{'a temporary account' if temporary else 'not a temporary account'}.",
                    )
                )
                continue
            if employer_code:
                employer_id = employers[employer_code]
                if employer_id is None:
                    errors.append(
                        RowError(row_number, "employer_code", "employer_not_found", "Unknown employer.")
                    )
                    continue
            else:
                employer_id = "\\N"
            amounts = amounts_text(scheme, period, base, bool(employer_code))
            if type(amounts) is not str:
                errors.append(RowError(row_number, "base", amounts.code, amounts.message))
                continue
            if recorded and (found.person_id, scheme, period) in recorded:
                continue  # accepted, and skipped
            yield (
                f"{found.person_id}\t{scheme}\t{period}\t{amounts}\t{payment_type}\t{employer_id}\t"
                f"{'t' if temporary else 'f'}{tail}"
            )

    def _insert(self, lines: Iterator[str]) -> None:
        """COPY the lines straight into the contribution table, in batches as they are made. Should one of
        the months be recorded already (by an earlier file, or by another writer since `_recorded` looked),
        the COPY fails on the unique key, and the lines go through a staging table and `ON CONFLICT DO
        NOTHING` instead."""
        sent: list[str] = []
        with connection.cursor() as cursor:
            try:
                with transaction.atomic(), cursor.copy(_copy_into("insurance_contributionrecord")) as copy:
                    for batch in iter(lambda: list(islice(lines, COPY_BATCH_LINES)), []):
                        sent += batch
                        copy.write("".join(batch))
            except UniqueViolation:  # raised by psycopg's COPY as is, not wrapped by Django
                self._meets_recorded = True
                sent += lines  # the lines the failed COPY had not reached
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS import_contribution ON COMMIT DELETE ROWS AS "
                    f"SELECT {_CONTRIBUTION_COLUMNS} FROM insurance_contributionrecord WITH NO DATA"
                )
                with cursor.copy(_copy_into("import_contribution")) as copy:
                    copy.write("".join(sent))
                cursor.execute(
                    f"""INSERT INTO insurance_contributionrecord ({_CONTRIBUTION_COLUMNS})
                        SELECT {_CONTRIBUTION_COLUMNS} FROM import_contribution
                        ON CONFLICT (person_id, scheme, province_id, period) DO NOTHING"""
                )


def _copy_into(table: str) -> str:
    return f"COPY {table} ({_CONTRIBUTION_COLUMNS}) FROM STDIN"


class PersonsWriter(_Writer):
    """Rows: (row, id_number, name, hukou_province, residence_province, phone). New people are registered;
    known ones in the uploader's scope get their name, residence and phone updated. Sex and birth date come
    from the ID number."""

    def prefetch(self, rows: list[tuple]) -> None:
        """Nothing to look up: the upsert itself decides who is new."""

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        if dry_run:
            return len(rows), []
        now = timezone.now()
        with connection.cursor() as cursor:
            columns = (
                "id_number_ciphertext, id_number_hash, name, sex, birth_date, hukou_province_id, "
                "residence_province_id, phone, status, created_at, updated_at"
            )
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS import_person ON COMMIT DELETE ROWS AS "
                f"SELECT {columns} FROM insurance_insuredperson WITH NO DATA"
            )
            with cursor.copy(f"COPY import_person ({columns}) FROM STDIN") as copy:
                for _, id_number, name, hukou, residence, phone in rows:
                    number = IdentityNumber(id_number)
                    copy.write_row(
                        (
                            encrypt_text(id_number), keyed_hash(id_number), name, number.sex.value,
                            number.birth_date, hukou or number.province_code, residence, phone or "",
                            PersonStatus.ACTIVE.value, now, now,
                        )
                    )  # fmt: skip
            cursor.execute(
                f"""INSERT INTO insurance_insuredperson ({columns})
                    SELECT {columns} FROM import_person
                    ON CONFLICT (id_number_hash) DO UPDATE SET
                        name = EXCLUDED.name,
                        residence_province_id = COALESCE(EXCLUDED.residence_province_id,
                                                         insurance_insuredperson.residence_province_id),
                        phone = COALESCE(NULLIF(EXCLUDED.phone, ''), insurance_insuredperson.phone),
                        updated_at = EXCLUDED.updated_at
                    -- Only people in the uploader's scope (a relationship here), or insured nowhere yet,
                    -- are updated: another province's people are skipped, as if already up to date.
                    WHERE EXISTS (SELECT 1 FROM insurance_insurancerelationship r
                                   WHERE r.person_id = insurance_insuredperson.id AND r.province_id = %s)
                       OR NOT EXISTS (SELECT 1 FROM insurance_insurancerelationship r
                                       WHERE r.person_id = insurance_insuredperson.id)""",
                [self.province],
            )
        return len(rows), []


class DeathsWriter(_Writer):
    """Rows: (row, id_number, date_of_death, source). A death already recorded on the same date is
    accepted again (re-sent files are harmless); on another date it is refused for a person to check."""

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        persons = self.persons_in_province(rows)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, date_of_death FROM insurance_insuredperson WHERE id = ANY(%s)",
                [list(persons.values())],
            )
            recorded = dict(cursor.fetchall())
            cursor.execute(
                """SELECT person_id, MAX(opened_period) FROM insurance_insurancerelationship
                    WHERE person_id = ANY(%s) AND status IN (%s, %s) GROUP BY person_id""",
                [list(persons.values()), RelationshipStatus.PAYING, RelationshipStatus.SUSPENDED],
            )
            latest_opening = dict(cursor.fetchall())
        errors, deaths = [], []
        for row_number, id_number, date_of_death, _source in rows:
            person_id = persons.get(id_number)
            if person_id is None:
                errors.append(self.unknown_person((row_number,)))
            elif recorded.get(person_id) not in (None, date_of_death):
                errors.append(
                    RowError(
                        row_number,
                        "date_of_death",
                        "person_already_deceased",
                        f"A death on {recorded[person_id].isoformat()} is already recorded.",
                    )
                )
            elif period_of(date_of_death) < latest_opening.get(person_id, 0):
                # A relationship cannot close before the month it opened: one of the two dates is wrong.
                errors.append(
                    RowError(
                        row_number,
                        "date_of_death",
                        "date_of_death_before_relationship",
                        "The date of death is before the month an open insurance relationship was opened in.",
                    )
                )
            else:
                deaths.append((person_id, date_of_death))
        if deaths and not dry_run:
            with connection.cursor() as cursor:
                ids = [person_id for person_id, _ in deaths]
                dates = [date for _, date in deaths]
                cursor.execute(
                    """UPDATE insurance_insuredperson p
                          SET status = %s, date_of_death = d.day, updated_at = NOW()
                         FROM UNNEST(%s::bigint[], %s::date[]) AS d(person_id, day)
                        WHERE p.id = d.person_id AND p.date_of_death IS NULL""",
                    [PersonStatus.DECEASED, ids, dates],
                )
                cursor.execute(
                    """UPDATE insurance_insurancerelationship r SET status = %s, updated_at = NOW(),
                              closed_period = (EXTRACT(YEAR FROM d.day) * 100
                                               + EXTRACT(MONTH FROM d.day))::int
                         FROM UNNEST(%s::bigint[], %s::date[]) AS d(person_id, day)
                        WHERE r.person_id = d.person_id AND r.status IN (%s, %s)""",
                    [
                        RelationshipStatus.CLOSED,
                        ids,
                        dates,
                        RelationshipStatus.PAYING,
                        RelationshipStatus.SUSPENDED,
                    ],
                )
        return len(deaths), errors


class LifeEvidenceWriter(_Writer):
    """Rows: (row, id_number, evidence_date, kind, source)."""

    def write(self, rows: list[tuple], *, dry_run: bool) -> tuple[int, list[RowError]]:
        persons = self.persons_in_province(rows)
        errors, evidence = [], []
        for row_number, id_number, day, kind, source in rows:
            person_id = persons.get(id_number)
            if person_id is None:
                errors.append(self.unknown_person((row_number,)))
            else:
                evidence.append(LifeEvidenceItem(person_id, day, kind, source))
        if evidence and not dry_run:
            life_evidence_record(province_id=self.province, items=evidence)
        return len(evidence), errors


WRITERS: dict[str, type[_Writer]] = {
    ImportKind.CONTRIBUTIONS: ContributionsWriter,
    ImportKind.PERSONS: PersonsWriter,
    ImportKind.DEATHS: DeathsWriter,
    ImportKind.LIFE_EVIDENCE: LifeEvidenceWriter,
}
