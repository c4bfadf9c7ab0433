"""Writing planned people fast: PostgreSQL COPY through psycopg 3, amounts from `Tariff.compute`.

The rows are exactly what the services would write (insurance.services.contributions): the amounts come
from the province's tariff for each month's year (a pension month's account credit is its ledger credit,
see LedgerEntry). Only the writing differs: one COPY per table and batch instead of an
INSERT per person, because 100,000 people with ten years of history are millions of rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from core.crypto import encrypt_text, keyed_hash
from demo.figures import average_monthly_wage
from demo.people import PersonPlan
from insurance.models import (
    ContributionRecord,
    InsuranceRelationship,
    InsuredPerson,
    PaymentType,
    Scheme,
)
from insurance.periods import month_index, period_from_index, period_year
from insurance.services.tariffs import ContributionAmounts, Tariff, tariff_get

NULL = r"\N"
COPY_CHUNK_LINES = 10_000
# A person's declared base rises a little faster than the average wage as their career advances.
CAREER_GROWTH = 1.015


def _table(model) -> str:
    return model._meta.db_table


def copy_rows(cursor, model, columns: tuple[str, ...], lines: Iterable[str]) -> None:
    """COPY text-format lines (tab-separated, newline-terminated) into `model`'s table."""
    chunk: list[str] = []
    with cursor.copy(f"COPY {_table(model)} ({', '.join(columns)}) FROM STDIN") as copy:
        for line in lines:
            chunk.append(line)
            if len(chunk) == COPY_CHUNK_LINES:
                copy.write("".join(chunk))
                chunk.clear()
        copy.write("".join(chunk))


def reserve_ids(cursor, model, count: int) -> int:
    """Take `count` consecutive ids from the table's identity sequence and return the first. The caller
    holds a lock that keeps other writers out of the table meanwhile, so the block is contiguous."""
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%(table)s, 'id'), "
        "nextval(pg_get_serial_sequence(%(table)s, 'id')) + %(count)s - 1)",
        {"table": _table(model), "count": count},
    )
    return cursor.fetchone()[0] - count + 1


@contextmanager
def indexes_rebuilt_after(cursor, models) -> Iterator[None]:
    """PostgreSQL's advice for populating a table with millions of rows: drop its secondary indexes,
    unique constraints and foreign keys, load, then recreate them from their saved definitions. Building
    an index once is far cheaper than updating it per row, and re-adding a foreign key checks it in one
    join instead of a trigger per row. Must run inside the caller's transaction: a failure while
    rebuilding (a duplicate, a dangling key) rolls everything back."""
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    # Deferred checks of rows written earlier in the transaction must run before a table's triggers change.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    restore: list[str] = []
    for model in models:
        table = _table(model)
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f') ORDER BY contype DESC",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _, definition in constraints:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
            restore.insert(0, definition)
    yield
    # Indexes and unique constraints first (ORDER BY contype DESC puts them before foreign keys).
    for statement in restore:
        cursor.execute(statement)
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class TariffBook:
    """Each province-scheme-year tariff, loaded once through `tariff_get`."""

    def __init__(self) -> None:
        self._tariffs: dict[tuple[str, str, int], Tariff] = {}

    def get(self, province: str, scheme: str, year: int) -> Tariff:
        key = (province, scheme, year)
        if key not in self._tariffs:
            self._tariffs[key] = tariff_get(province_id=province, scheme=scheme, year=year)
        return self._tariffs[key]


@dataclass
class Written:
    persons: int = 0
    relationships: int = 0
    contributions: int = 0
    # First year with a pension account credit, per province: where and since when interest is due.
    credit_years: dict[str, int] = field(default_factory=dict)


def _text(value) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def _line(*values) -> str:
    return "\t".join(_text(v) for v in values) + "\n"


PERSON_COLUMNS = (
    "id",
    "id_number_ciphertext",
    "id_number_hash",
    "name",
    "sex",
    "birth_date",
    "hukou_province_id",
    "residence_province_id",
    "phone",
    "status",
    "date_of_death",
    "created_at",
    "updated_at",
)
RELATIONSHIP_COLUMNS = (
    "person_id",
    "scheme",
    "province_id",
    "status",
    "is_temporary_account",
    "opened_period",
    "closed_period",
    "updated_at",
)
CONTRIBUTION_COLUMNS = (
    "id",
    "person_id",
    "scheme",
    "province_id",
    "period",
    "declared_base",
    "base",
    "base_adjustment",
    "employer_rate",
    "individual_rate",
    "employer_amount",
    "individual_amount",
    "account_credit",
    "payment_type",
    "employer_id",
    "temporary_account",
    "created_at",
)


def declared_base(plan: PersonPlan, province: str, year: int, career_start_year: int) -> Decimal:
    """What the employer (or the flexible worker) declares: whole yuan, around the person's usual share
    of the province's average wage."""
    wage = float(average_monthly_wage(province, year))
    return Decimal(max(1, round(wage * plan.wage_factor * CAREER_GROWTH ** (year - career_start_year))))


def persons_write(
    cursor,
    plans: list[PersonPlan],
    *,
    employer_ids: dict[str, int],
    tariffs: TariffBook,
    now: datetime.datetime,
    written: Written,
) -> None:
    """Write a batch of planned people with their relationships and contributions."""
    if not plans:
        return
    first_person = reserve_ids(cursor, InsuredPerson, len(plans))
    person_ids = {plan.index: first_person + offset for offset, plan in enumerate(plans)}
    copy_rows(
        cursor,
        InsuredPerson,
        PERSON_COLUMNS,
        (
            _line(
                person_ids[plan.index],
                encrypt_text(plan.id_number),
                keyed_hash(plan.id_number),
                plan.name,
                plan.sex,
                plan.birth_date,
                plan.hukou_province,
                plan.residence_province,
                plan.phone,
                plan.status,
                plan.date_of_death,
                now,
                now,
            )
            for plan in plans
        ),
    )
    copy_rows(
        cursor,
        InsuranceRelationship,
        RELATIONSHIP_COLUMNS,
        (
            _line(
                person_ids[plan.index],
                scheme,
                stint.province,
                stint.status,
                stint.temporary_account,
                stint.first,
                stint.closed_period,
                now,
            )
            for plan in plans
            for stint in plan.stints
            for scheme in stint.schemes
        ),
    )
    written.persons += len(plans)
    written.relationships += sum(len(stint.schemes) for plan in plans for stint in plan.stints)

    months = sum(plan.months() for plan in plans)
    if not months:
        return
    next_id = reserve_ids(cursor, ContributionRecord, months)
    contributions = []
    created = _text(now)
    for plan in plans:
        person_id = person_ids[plan.index]
        career_start_year = period_year(plan.stints[0].first) if plan.stints else 0
        for stint in plan.stints:
            employer_id = _text(employer_ids[stint.employer] if stint.employer else None)
            first, last = month_index(stint.first), month_index(stint.last)
            for scheme in stint.schemes:
                amounts: ContributionAmounts | None = None
                year = None
                for index in range(first, last + 1):
                    period = period_from_index(index)
                    if period_year(period) != year:
                        # One declared base per year: the amounts are computed once and serve 12 months.
                        year = period_year(period)
                        base = declared_base(plan, stint.province, year, career_start_year)
                        amounts = tariffs.get(stint.province, scheme, year).compute(
                            base, has_employer=stint.employer is not None
                        )
                        row_tail = "\t".join(
                            (
                                str(base),
                                str(amounts.base),
                                amounts.base_adjustment,
                                str(amounts.employer_rate),
                                str(amounts.individual_rate),
                                str(amounts.employer_amount),
                                str(amounts.individual_amount),
                                str(amounts.account_credit),
                                PaymentType.NORMAL,
                                employer_id,
                                _text(stint.temporary_account),
                                created,
                            )
                        )
                        credits = scheme == Scheme.EMPLOYEE_PENSION and amounts.account_credit > 0
                        if credits and written.credit_years.get(stint.province, 9999) > year:
                            written.credit_years[stint.province] = year
                    contributions.append(
                        f"{next_id}\t{person_id}\t{scheme}\t{stint.province}\t{period}\t{row_tail}\n"
                    )
                    next_id += 1
    copy_rows(cursor, ContributionRecord, CONTRIBUTION_COLUMNS, contributions)
    written.contributions += len(contributions)
