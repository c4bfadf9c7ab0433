"""Contribution years (DOMAIN.md §2): 12 months make a year, part years count by month, and the months
of every province add up. The months are counted in one place, `insurance.selectors.contribution_months_of`.

A month paid for the same scheme in two provinces counts once. One person is insured once at a time:
under the transfer rules a duplicate contribution for the same period is cleared, one relationship kept
and the other refunded (人社部规〔2016〕5号), so counting it twice would credit a refund as insured time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True, slots=True, order=True)
class ContributionYears:
    total_months: int

    @property
    def years(self) -> int:
        return self.total_months // 12

    @property
    def months(self) -> int:
        return self.total_months % 12

    @property
    def decimal_years(self) -> Decimal:
        """For display (187 months -> 15.58). Calculations use `total_months` / 12 exactly."""
        return (Decimal(self.total_months) / 12).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    def __str__(self) -> str:
        return f"{self.years} y {self.months} m"
