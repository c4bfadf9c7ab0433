"""The pension personal account: an append-only ledger whose balance is the sum of its entries."""

from __future__ import annotations

from django.db import connection, transaction

from core.exceptions import ApplicationError
from insurance.models import AccountEntryKind, ProvinceYearConfig

# Yearly interest, credited at the end of the year (period YYYY12) for every person with money held in a
# province that published its rate: the opening balance earns the whole year's rate, and each entry made
# during the year earns it for the months left after its own month. Rounded once per person, province and
# year, to the fen (half up: amounts are positive, and PostgreSQL's ROUND on numeric rounds half away
# from zero). Re-running is harmless: the partial unique index on interest entries makes it insert nothing
# twice. One statement serves one province or all of them, so a year costs one pass over the ledger.
_CREDIT_INTEREST = """
WITH rates AS (
    SELECT province_id, account_interest_rate AS rate
      FROM insurance_provinceyearconfig
     WHERE year = %(year)s AND account_interest_rate IS NOT NULL
       AND (%(province)s::varchar IS NULL OR province_id = %(province)s::varchar)
), due AS (
    SELECT entry.person_id, entry.province_id, ROUND(SUM(
               CASE WHEN entry.period < %(first)s THEN entry.amount
                    ELSE entry.amount * (12 - entry.period %% 100) / 12 END
           ) * rates.rate, 2) AS interest
      FROM insurance_ledger entry
      JOIN rates ON rates.province_id = entry.province_id
     WHERE entry.period <= %(last)s
     GROUP BY entry.person_id, entry.province_id, rates.rate
)
INSERT INTO insurance_accountentry (person_id, province_id, kind, amount, period, created_at)
SELECT person_id, province_id, %(kind)s, interest, %(last)s, NOW() FROM due WHERE interest > 0
ON CONFLICT (person_id, province_id, period) WHERE kind = 'interest' DO NOTHING
"""


@transaction.atomic
def account_credit_interest(*, year: int, province_id: str | None = None) -> int:
    """Credit a year's interest to the personal accounts held in `province_id`, or, without one, in every
    province that has published its rate for the year. Returns how many entries were written (0 when
    the year was already credited)."""
    if (
        province_id is not None
        and not ProvinceYearConfig.objects.filter(
            province_id=province_id, year=year, account_interest_rate__isnull=False
        ).exists()
    ):
        raise ApplicationError(
            "interest_rate_not_published",
            f"Province {province_id} has not published its account interest rate for {year}.",
        )
    with connection.cursor() as cursor:
        cursor.execute(
            _CREDIT_INTEREST,
            {
                "year": year,
                "province": province_id,
                "kind": AccountEntryKind.INTEREST.value,
                "first": year * 100 + 1,
                "last": year * 100 + 12,
            },
        )
        return cursor.rowcount
