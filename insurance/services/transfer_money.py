"""The money of a transfer (DOMAIN.md §3), computed from the records and read only: what the funds step
writes is computed here, and the benchmark (bench/transfer_bench.py) runs the same computation for
thousands of people at once.

- The months a province holds for a person: its own contribution records of the scheme, and those of
  the provinces whose completed transfers brought their history to it (transitively). A month recorded
  in two of these counts once (the record of the nearest holder).
- Duplicate months: held months that are also recorded in the transfer-in province (paid in both,
  recorded before the duplicate check). The transfer-in side keeps them; the transfer-out side moves no
  pooled fund for them and refunds their personal-account credits to the person.
- The personal account: the whole balance in the transfer-out province, with the interest still due up
  to the month of the move (`account_balances_with_interest_due`: what `account_interest_credit` writes),
  less the refund.
- The pooled fund (employee pension only): 12 % of the bases of the held months since 1998-01, rounded
  once per year of the information table; the total is the sum of the years, so the table adds up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection

from core.money import money
from insurance.models import (
    InsuranceRelationship,
    RelationshipStatus,
    Scheme,
    Transfer,
    TransferStatus,
)
from insurance.periods import month_index, period_from_index
from insurance.services.accounts import account_balances_with_interest_due

POOLED_FUND_RATE = Decimal("0.12")  # 国办发〔2009〕66号: 12 % of the actual bases, from 1998-01
POOLED_FUND_FROM_YEAR = 1998
# 医保办发〔2021〕43号: a gap of this many months or fewer between the two provinces may be back-paid.
MEDICAL_BACK_PAYABLE_GAP = 3


@dataclass(frozen=True, slots=True)
class TransferRequest:
    """Whose money to compute: a person's scheme, from one province to another, up to a month."""

    person_id: int
    scheme: str
    from_province_id: str
    to_province_id: str
    up_to_period: int


@dataclass(slots=True)
class StatementYear:
    year: int
    months: int = 0
    bases: Decimal = Decimal("0.00")
    account_amount: Decimal = Decimal("0.00")
    pooled_amount: Decimal = Decimal("0.00")

    def as_dict(self) -> dict:
        return {
            "year": self.year,
            "months": self.months,
            "bases": str(self.bases),
            "account_amount": str(self.account_amount),
            "pooled_amount": str(self.pooled_amount),
        }


@dataclass(slots=True)
class TransferStatement:
    """The information table (信息表) and the amounts that move."""

    person_id: int
    balance: Decimal = Decimal("0.00")  # in the transfer-out province, before the interest due
    interest_due: Decimal = Decimal("0.00")
    refund_amount: Decimal = Decimal("0.00")
    pooled_amount: Decimal = Decimal("0.00")
    months: int = 0
    years: list[StatementYear] = field(default_factory=list)
    duplicate_periods: list[int] = field(default_factory=list)
    back_payable_periods: list[int] = field(default_factory=list)

    @property
    def account_amount(self) -> Decimal:
        return self.balance + self.interest_due - self.refund_amount

    def as_dict(self, *, up_to_period: int) -> dict:
        return {
            "interest_up_to_period": up_to_period,
            "balance": str(self.balance),
            "interest_due": str(self.interest_due),
            "account_amount": str(self.account_amount),
            "refund_amount": str(self.refund_amount),
            "pooled_amount": str(self.pooled_amount),
            "months": self.months,
            "years": [year.as_dict() for year in self.years],
            "duplicate_periods": self.duplicate_periods,
            "back_payable_periods": self.back_payable_periods,
        }


def held_provinces(
    *, person_ids: Sequence[int], scheme: str, provinces: dict[int, str]
) -> dict[int, list[str]]:
    """For each person, the province of `provinces` first, then every province whose completed transfers
    brought its history there, nearest first (breadth-first along the transfers)."""
    arrivals: dict[tuple[int, str], list[str]] = defaultdict(list)
    for person_id, source, target in (
        Transfer.objects.filter(
            person_id__in=list(person_ids), scheme=scheme, status=TransferStatus.COMPLETED
        )
        .order_by("person_id", "-created_at", "-id")
        .values_list("person_id", "from_province_id", "to_province_id")
    ):
        arrivals[person_id, target].append(source)
    held: dict[int, list[str]] = {}
    for person_id in person_ids:
        chain = [provinces[person_id]]
        for province in chain:  # grows as it is walked
            chain += [source for source in arrivals.get((person_id, province), []) if source not in chain]
        held[person_id] = chain
    return held


# Per person and year: the held months (each once: its nearest holder's record) and, of them, the ones
# also paid in the transfer-in province (duplicates: their periods, bases and credits). `req` gives each
# person's held provinces, nearest first (comma-separated), and their transfer-in province. The held
# months are summed straight from the records by the unique key's index; the duplicates, a few months of a
# few people, are found from the transfer-in province's records, so the whole history is read once.
_HELD_YEARS = """
WITH req AS (
    SELECT person_id, string_to_array(held, ',')::varchar[] AS held, to_province
      FROM UNNEST(%(persons)s::bigint[], %(held)s::text[], %(to)s::varchar[])
           AS req(person_id, held, to_province)
), held AS (
    SELECT req.person_id, req.held, record.period, record.base, record.account_credit
      FROM req
     CROSS JOIN LATERAL (
           SELECT person_id, period, scheme, province_id, base, account_credit
             FROM insurance_contributionrecord record
            WHERE record.person_id = req.person_id AND record.scheme = %(scheme)s
              AND record.period <= %(up_to)s AND record.province_id = ANY(req.held)
           OFFSET 0  -- each person's index range, in month order, however few people are asked for
           ) AS record
     WHERE record.province_id = req.held[1]
        OR NOT EXISTS (SELECT FROM insurance_contributionrecord nearer
                        WHERE nearer.person_id = record.person_id AND nearer.period = record.period
                          AND nearer.scheme = record.scheme
                          AND array_position(req.held, nearer.province_id)
                              < array_position(req.held, record.province_id))
), years AS (
    SELECT person_id, period / 100 AS year, COUNT(*) AS months, SUM(base) AS bases,
           SUM(account_credit) AS credits, MAX(period) AS last
      FROM held GROUP BY person_id, period / 100
), duplicates AS (
    SELECT req.person_id, record.period / 100 AS year,
           ARRAY_AGG(record.period ORDER BY record.period) AS periods, COUNT(*) AS months,
           SUM(record.base) AS bases, SUM(record.account_credit) AS credits
      FROM req
     CROSS JOIN LATERAL (
           SELECT person_id, period, scheme FROM insurance_contributionrecord paid_in
            WHERE paid_in.person_id = req.person_id AND paid_in.scheme = %(scheme)s
              AND paid_in.province_id = req.to_province AND paid_in.period <= %(up_to)s
           OFFSET 0  -- one index range per person: not a hash of the whole table
           ) AS paid_in
     CROSS JOIN LATERAL (
           SELECT person_id, period, scheme, province_id, base, account_credit
             FROM insurance_contributionrecord record
            WHERE record.person_id = paid_in.person_id AND record.period = paid_in.period
              AND record.scheme = paid_in.scheme AND record.province_id = ANY(req.held)
           OFFSET 0  -- the month's records by the unique key, not a scan of every record
           ) AS record
     WHERE record.province_id = req.held[1]
        OR NOT EXISTS (SELECT FROM insurance_contributionrecord nearer
                        WHERE nearer.person_id = record.person_id AND nearer.period = record.period
                          AND nearer.scheme = record.scheme
                          AND array_position(req.held, nearer.province_id)
                              < array_position(req.held, record.province_id))
     GROUP BY req.person_id, record.period / 100
)
SELECT years.person_id, years.year, years.months - COALESCE(duplicates.months, 0),
       years.bases - COALESCE(duplicates.bases, 0), years.credits - COALESCE(duplicates.credits, 0),
       COALESCE(duplicates.periods, '{}'), COALESCE(duplicates.credits, 0), years.last
  FROM years
  LEFT JOIN duplicates ON duplicates.person_id = years.person_id AND duplicates.year = years.year
 ORDER BY years.person_id, years.year
"""


def transfer_statements_compute(
    *, requests: Sequence[TransferRequest], held: dict[int, list[str]] | None = None
) -> dict[int, TransferStatement]:
    """The statement of each request (one per person, all of one scheme, province pair and month may
    differ), set-based: a few statements for any number of people. Reads only. `held` gives each person's
    held provinces when the caller has them (see `held_provinces`)."""
    if not requests:
        return {}
    schemes = {request.scheme for request in requests}
    up_to = {request.up_to_period for request in requests}
    if len(schemes) != 1 or len(up_to) != 1:
        raise ValueError("One computation is of one scheme up to one month.")
    (scheme,), (up_to_period,) = schemes, up_to
    by_person = {request.person_id: request for request in requests}
    if held is None:
        held = held_provinces(
            person_ids=list(by_person),
            scheme=scheme,
            provinces={request.person_id: request.from_province_id for request in requests},
        )
    persons = [request.person_id for request in requests]
    chains = [",".join(held[request.person_id]) for request in requests]
    targets = [request.to_province_id for request in requests]
    statements = {person_id: TransferStatement(person_id) for person_id in by_person}
    last_held: dict[int, int] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            _HELD_YEARS,
            {
                "persons": persons,
                "held": chains,
                "to": targets,
                "scheme": scheme,
                "up_to": up_to_period,
            },
        )
        for person_id, year, months, bases, credits, duplicates, duplicate_credits, last in cursor.fetchall():
            statement = statements[person_id]
            pooled = Decimal("0.00")
            if scheme == Scheme.EMPLOYEE_PENSION and year >= POOLED_FUND_FROM_YEAR:
                pooled = money(bases * POOLED_FUND_RATE)
            statement.years.append(StatementYear(year, months, bases, credits, pooled))
            statement.months += months
            statement.pooled_amount += pooled
            statement.duplicate_periods += duplicates
            statement.refund_amount += duplicate_credits
            last_held[person_id] = last
    _balances_add(statements, by_person, scheme, up_to_period)
    if scheme == Scheme.EMPLOYEE_MEDICAL:
        _back_payable_add(statements, by_person, last_held)
    return statements


def _balances_add(
    statements: dict[int, TransferStatement],
    by_person: dict[int, TransferRequest],
    scheme: str,
    up_to_period: int,
) -> None:
    """Each person's balance in the transfer-out province, and the interest still due on it."""
    by_province: dict[str, list[int]] = defaultdict(list)
    for request in by_person.values():
        by_province[request.from_province_id].append(request.person_id)
    for province_id, person_ids in by_province.items():
        found = account_balances_with_interest_due(
            province_id=province_id, scheme=scheme, up_to_period=up_to_period, person_ids=person_ids
        )
        for person_id, (balance, due) in found.items():
            statements[person_id].balance = balance
            statements[person_id].interest_due = due


def _back_payable_add(
    statements: dict[int, TransferStatement], by_person: dict[int, TransferRequest], last_held: dict[int, int]
) -> None:
    """The months between the last held month and the first month of the transfer-in relationship, when
    there are at most MEDICAL_BACK_PAYABLE_GAP of them: they may be back-paid in the new province."""
    first_months = {
        person_id: opened
        for person_id, province_id, opened in InsuranceRelationship.objects.filter(
            person_id__in=list(by_person),
            scheme=Scheme.EMPLOYEE_MEDICAL,
            status=RelationshipStatus.PAYING,
        ).values_list("person_id", "province_id", "opened_period")
        if province_id == by_person[person_id].to_province_id
    }
    for person_id, statement in statements.items():
        last, first = last_held.get(person_id), first_months.get(person_id)
        if last is None or first is None:
            continue
        gap = range(month_index(last) + 1, month_index(first))
        if 0 < len(gap) <= MEDICAL_BACK_PAYABLE_GAP:
            statement.back_payable_periods = [period_from_index(index) for index in gap]
