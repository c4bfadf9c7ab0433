"""The pension personal account: an append-only ledger whose balance is the sum of its entries."""

from __future__ import annotations

from django.db import connection, transaction

from core.exceptions import ApplicationError
from insurance.models import AccountEntryKind, ProvinceYearConfig

# Yearly interest, credited at the end of the year (period YYYY12) for every person with money held in the
# province: the opening balance earns the whole year's rate, and each entry made during the year earns it
# for the months left after its own month. Rounded once per person-year, to the fen (half up: amounts
# are positive, and PostgreSQL's ROUND on numeric rounds half away from zero). Re-running is harmless:
# the partial unique index on interest entries makes it insert nothing twice.
_CREDIT_INTEREST = """
WITH due AS (
    SELECT person_id, ROUND(SUM(
               CASE WHEN period < %(first)s THEN amount ELSE amount * (12 - period %% 100) / 12 END
           ) * %(rate)s, 2) AS interest
      FROM insurance_accountentry
     WHERE province_id = %(province)s AND period <= %(last)s
     GROUP BY person_id
)
INSERT INTO insurance_accountentry (person_id, province_id, kind, amount, period, created_at)
SELECT person_id, %(province)s, %(kind)s, interest, %(last)s, NOW() FROM due WHERE interest > 0
ON CONFLICT (person_id, province_id, period) WHERE kind = 'interest' DO NOTHING
"""


@transaction.atomic
def account_credit_interest(*, province_id: str, year: int) -> int:
    """Credit a province's yearly interest to every personal account held there. Returns how many
    entries were written (0 when the year was already credited)."""
    config = ProvinceYearConfig.objects.filter(province_id=province_id, year=year).first()
    if config is None or config.account_interest_rate is None:
        raise ApplicationError(
            "interest_rate_not_published",
            f"Province {province_id} has not published its account interest rate for {year}.",
        )
    with connection.cursor() as cursor:
        cursor.execute(
            _CREDIT_INTEREST,
            {
                "province": province_id,
                "kind": AccountEntryKind.INTEREST.value,
                "first": year * 100 + 1,
                "last": year * 100 + 12,
                "rate": config.account_interest_rate,
            },
        )
        return cursor.rowcount
