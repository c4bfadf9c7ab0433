"""Money is Decimal yuan with two places (fen). Every amount is rounded here, once, half up."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def money_sql(expression: str) -> str:
    """`money` in SQL, for set-based statements: PostgreSQL's ROUND on numeric rounds half away from
    zero, as ROUND_HALF_UP does."""
    return f"ROUND(({expression})::numeric, 2)"
