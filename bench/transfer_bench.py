"""The money of transfers, computed by the service against one bare SQL statement over the same rows.

    .venv/bin/python bench/transfer_bench.py [--persons 10000] [--chunk 10000]

In its own database (BENCH_DATABASE_URL, default si_transfer_bench, created and migrated here) it seeds,
once, `--persons` people with 30 to 40 years of employee-pension months in Beijing ending in 2023
(suspended there) and a paying relationship in Guangdong, a tenth of them with their last months recorded
in both provinces (duplicate months), and some interest credited this year (not timed). Then, read only
(no writes, no PDFs), it computes each person's transfer figures twice:

1. the service's computation, `transfer_statements_compute` (insurance.services.transfer_money), the one
   the funds step runs: held months, per-year table, pooled fund, duplicate months and their refund,
   balance and the interest due to date (through the ledger's `account_interest_due`), chunk by chunk;
2. one bare SQL statement that computes the same per-person figures from the same rows.

It checks that both give the same figures for everyone, and prints both times and their ratio (bare SQL
time / service time; target >= 0.5).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/si_transfer_bench"
)
os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import django  # noqa: E402

django.setup()

from bench_databases import database_prepare  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from core.money import money_sql  # noqa: E402
from insurance.models import AccountEntryKind, Scheme  # noqa: E402
from insurance.periods import period_month, period_of, period_year  # noqa: E402
from insurance.services.accounts import interest_rates  # noqa: E402
from insurance.services.transfer_money import (  # noqa: E402
    POOLED_FUND_FROM_YEAR,
    POOLED_FUND_RATE,
    TransferRequest,
    transfer_statements_compute,
)

FROM, TO = "11", "44"
TARGET_RATIO = 0.5
RATE = Decimal("0.0262")


# The people, their relationships, their months (base, rates and credits as the tariff computes them:
# 16 % + 8 %, the account 11 % 1998-2005 and 8 % from 2006, nothing before 1998), the duplicates and one
# interest run of this year. Plain SQL: the seed is not what is measured.
SEED = """
INSERT INTO insurance_provinceyearconfig
       (province_id, year, average_monthly_wage, base_floor_ratio, base_ceiling_ratio, account_interest_rate)
VALUES ('11', 2024, 10000, 0.6, 3.0, %(rate)s), ('44', 2024, 8000, 0.6, 3.0, %(rate)s)
    ON CONFLICT DO NOTHING;

INSERT INTO insurance_insuredperson
       (id_number_ciphertext, id_number_hash, name, sex, birth_date, hukou_province_id, phone, status,
        created_at, updated_at)
SELECT '', 'transfer-bench-' || i, 'bench' || i, 'M', DATE '1962-01-01' + (i %% 3000), '11', '', 'active',
       NOW(), NOW()
  FROM generate_series(1, %(persons)s) AS i;

CREATE TEMP TABLE bench_people AS
SELECT id AS person_id, 30 + (id %% 11) AS years FROM insurance_insuredperson
 WHERE id_number_hash LIKE 'transfer-bench-%%';

INSERT INTO insurance_insurancerelationship
       (person_id, scheme, province_id, status, is_temporary_account, opened_period, closed_period,
        updated_at)
SELECT person_id, 'EP', '11', 'suspended', FALSE, (2024 - years) * 100 + 1, 202401, NOW() FROM bench_people
UNION ALL
SELECT person_id, 'EP', '44', 'paying', FALSE, 202401, NULL, NOW() FROM bench_people;

INSERT INTO insurance_contributionrecord
       (person_id, scheme, province_id, period, declared_base, base, base_adjustment, employer_rate,
        individual_rate, employer_amount, individual_amount, account_credit, payment_type, employer_id,
        temporary_account, created_at)
SELECT person_id, 'EP', province, period, base, base, 'none', 0.16, 0.08, ROUND(base * 0.16, 2),
       ROUND(base * 0.08, 2),
       ROUND(base * CASE WHEN period < 199801 THEN 0 WHEN period < 200601 THEN 0.11 ELSE 0.08 END, 2),
       'normal', NULL, FALSE, NOW()
  FROM (SELECT p.person_id, m.period, (2000 + (p.person_id * 7 + m.period) %% 9000)::numeric AS base,
               '11' AS province
          FROM bench_people p
         CROSS JOIN LATERAL (SELECT (y * 100 + mo) AS period
                               FROM generate_series(2024 - p.years, 2023) AS y,
                                    generate_series(1, 12) AS mo) AS m
        UNION ALL
        SELECT p.person_id, period, 3000, '44'
          FROM bench_people p, (VALUES (202311), (202312)) AS d(period)
         WHERE p.person_id %% 10 = 0) AS rows;

INSERT INTO insurance_interestrun
       (province_id, scheme, year, up_to_period, channel, reference, ran_at, entries, total)
VALUES ('11', 'EP', %(year)s, %(first)s, 'periodic', 'transfer bench', NOW(), 0, 0);

INSERT INTO insurance_accountentry
       (person_id, province_id, scheme, kind, amount, period, interest_run_id, created_at)
SELECT person_id, '11', 'EP', 'interest', 12.34, %(first)s, currval('insurance_interestrun_id_seq'), NOW()
  FROM bench_people WHERE person_id %% 3 = 0;
ANALYZE;
"""


def data_seed(persons: int) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM insurance_insuredperson WHERE id_number_hash LIKE %s ORDER BY id",
            ["transfer-bench-%"],
        )
        ids = [row[0] for row in cursor.fetchall()]
        if len(ids) == persons:
            return ids
        if ids:
            raise SystemExit(f"The bench database holds {len(ids)} people, not {persons}: drop it first.")
        year = timezone.localdate().year
        started = time.perf_counter()
        cursor.execute(SEED, {"persons": persons, "rate": RATE, "year": year, "first": year * 100 + 1})
        print(f"seeded {persons} people in {time.perf_counter() - started:.1f} s")
        return data_seed(persons)


# The same figures in one statement over the same rows: what the service computes, written out as SQL.
# Interest as accounts._INTEREST_DUE: the balance before the year earns `months` twelfths, each entry of
# the year the months after it, less what the year's runs credited, rounded once; nothing when not due.
BARE = f"""
WITH held AS (
    SELECT person_id, period, base, account_credit FROM insurance_contributionrecord
     WHERE scheme = 'EP' AND province_id = %(from)s AND period <= %(up_to)s AND person_id = ANY(%(persons)s)
), paid_in AS (
    SELECT person_id, period FROM insurance_contributionrecord
     WHERE scheme = 'EP' AND province_id = %(to)s AND person_id = ANY(%(persons)s)
), years AS (
    SELECT h.person_id, h.period / 100 AS year,
           COUNT(*) FILTER (WHERE p.period IS NULL) AS months,
           COALESCE(SUM(h.base) FILTER (WHERE p.period IS NULL), 0) AS bases,
           COALESCE(SUM(h.account_credit) FILTER (WHERE p.period IS NOT NULL), 0) AS refund,
           COUNT(p.period) AS duplicates
      FROM held h LEFT JOIN paid_in p ON p.person_id = h.person_id AND p.period = h.period
     GROUP BY h.person_id, h.period / 100
), per_person AS (
    SELECT person_id, SUM(months) AS months, SUM(refund) AS refund, SUM(duplicates) AS duplicates,
           SUM(CASE WHEN year >= {POOLED_FUND_FROM_YEAR} THEN {money_sql(f"bases * {POOLED_FUND_RATE}")}
                    ELSE 0 END) AS pooled
      FROM years GROUP BY person_id
), ledger AS (
    SELECT person_id, SUM(amount) AS balance,
           SUM(CASE WHEN period < %(first)s THEN amount * %(month)s
                    WHEN period <= %(up_to)s THEN amount * (%(up_to)s - period) ELSE 0 END)
               FILTER (WHERE period <= %(last)s) AS weighted,
           SUM(amount) FILTER (WHERE kind = %(interest)s AND period BETWEEN %(first)s AND %(last)s)
               AS credited
      FROM insurance_ledger
     WHERE scheme = 'EP' AND province_id = %(from)s AND person_id = ANY(%(persons)s)
     GROUP BY person_id
)
SELECT p.person_id, p.months, p.pooled, p.refund, p.duplicates, l.balance,
       GREATEST({money_sql("l.weighted * %(rate)s / 12 - COALESCE(l.credited, 0)")}, 0) AS interest
  FROM per_person p JOIN ledger l ON l.person_id = p.person_id
 ORDER BY p.person_id
"""


def by_service(ids: list[int], chunk: int, up_to: int) -> dict[int, tuple]:
    figures: dict[int, tuple] = {}
    for start in range(0, len(ids), chunk):
        requests = [
            TransferRequest(
                person_id=person_id,
                scheme=Scheme.EMPLOYEE_PENSION,
                from_province_id=FROM,
                to_province_id=TO,
                up_to_period=up_to,
            )
            for person_id in ids[start : start + chunk]
        ]
        for person_id, s in transfer_statements_compute(requests=requests).items():
            figures[person_id] = (
                s.months, s.pooled_amount, s.refund_amount, len(s.duplicate_periods), s.balance,
                s.interest_due, s.account_amount,
            )  # fmt: skip
    return figures


def by_bare_sql(ids: list[int], up_to: int, rate: Decimal) -> dict[int, tuple]:
    year = period_year(up_to)
    with connection.cursor() as cursor:
        cursor.execute(
            BARE,
            {
                "from": FROM, "to": TO, "persons": ids, "up_to": up_to, "first": year * 100 + 1,
                "last": year * 100 + 12, "month": period_month(up_to), "rate": rate,
                "interest": AccountEntryKind.INTEREST.value,
            },
        )  # fmt: skip
        return {
            person_id: (months, pooled, refund, duplicates, balance, interest, balance + interest - refund)
            for person_id, months, pooled, refund, duplicates, balance, interest in cursor.fetchall()
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=10_000, help="People per call of the service.")
    args = parser.parse_args()
    database_prepare(BENCH_DATABASE_URL)
    ids = data_seed(args.persons)
    up_to = period_of(timezone.localdate())
    rate = interest_rates(year=period_year(up_to), province_id=FROM)[FROM]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM insurance_contributionrecord WHERE person_id = ANY(%s)", [ids])
        (rows,) = cursor.fetchone()
    print(f"{len(ids)} people, {rows} contribution months, interest up to {up_to} at {rate}")

    by_bare_sql(ids[:100], up_to, rate)  # warm the cache and the plans alike for both
    by_service(ids[:100], args.chunk, up_to)
    started = time.perf_counter()
    service = by_service(ids, args.chunk, up_to)
    service_seconds = time.perf_counter() - started
    started = time.perf_counter()
    bare = by_bare_sql(ids, up_to, rate)
    bare_seconds = time.perf_counter() - started

    differing = [person_id for person_id in ids if service.get(person_id) != bare.get(person_id)]
    if differing:
        first = differing[0]
        raise SystemExit(
            f"{len(differing)} people differ, e.g. {first}: "
            f"service {service.get(first)}, SQL {bare.get(first)}"
        )
    duplicates = sum(1 for figures in bare.values() if figures[3])
    print(f"figures equal for all {len(ids)} people ({duplicates} with duplicate months)")
    print(f"service    {service_seconds:8.2f} s  ({len(ids) / service_seconds:,.0f} people/s)")
    print(f"bare SQL   {bare_seconds:8.2f} s  ({len(ids) / bare_seconds:,.0f} people/s)")
    ratio = bare_seconds / service_seconds
    print(f"ratio      {ratio:8.2f}  (bare SQL time / service time; target >= {TARGET_RATIO})")


if __name__ == "__main__":
    main()
