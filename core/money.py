"""Money is Decimal yuan with two places (fen). Every amount is rounded here, once, half up."""

from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)
