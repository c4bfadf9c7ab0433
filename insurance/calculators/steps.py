"""A calculation's steps: each one a stable code that a client app can switch on (and word itself), the
figures it used, and the sentence in the caller's language.

    Step(code="pension_total", params={"pooled_part": "1255.50", ...}, message="月基本养老金 = ...")

The message is rendered when the step is made, with the language active then (the request's).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Step:
    code: str
    # Figures as a client reads them: whole numbers as ints, amounts and ratios as decimal text.
    params: MappingProxyType[str, int | str]
    message: str


def _shown(value: Any) -> str:
    """How a figure is written in a message: money (two places) with thousands separators."""
    if isinstance(value, Decimal) and value.as_tuple().exponent == -2:
        return f"{value:,.2f}"
    return str(value)


def step(code: str, template: str, **params: int | str | Decimal) -> Step:
    """A step whose message is `template` (a translated text with %(name)s placeholders) filled in."""
    return Step(
        code=code,
        params=MappingProxyType(
            {name: str(v) if isinstance(v, Decimal) else v for name, v in params.items()}
        ),
        message=template % {name: _shown(value) for name, value in params.items()},
    )
