"""Money is Decimal yuan with two places (fen). Every amount is rounded here, once, half up."""

import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
_AMOUNT_TEXT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")


def amount_text(value: str) -> str | None:
    """An amount as typed, made plain: NFKC first (full-width digits and point from a Chinese input method
    fold to ASCII), then ASCII digits only, with at most one decimal point. None for anything else:
    Decimal and regular expressions' `\\d` take other scripts' digits too (`٩٠٠٠` would be 9000)."""
    text = unicodedata.normalize("NFKC", value).strip()
    return text if _AMOUNT_TEXT.fullmatch(text) else None


def money(value: Decimal) -> Decimal:
    return value.quantize(FEN, rounding=ROUND_HALF_UP)


def money_sql(expression: str) -> str:
    """`money` in SQL, for set-based statements: PostgreSQL's ROUND on numeric rounds half away from
    zero, as ROUND_HALF_UP does."""
    return f"ROUND(({expression})::numeric, 2)"
