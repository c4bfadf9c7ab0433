"""The benefit province (DOMAIN.md §3, the 10-year rule): where a person's pension would be paid, and why.
One decision for the pension estimate, the transfer and retirement, and the citizen's own question.

The months of a province are its non-temporary employee-pension months together with those whose history
a completed transfer or a temporary account's gathering brought there (each month once); a relationship
that was transferred out is no candidate (its history moved), and a temporary-account province never is
one.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy

from insurance.calculators.contribution_years import ContributionYears
from insurance.models import ContributionRecord, InsuredPerson, RelationshipStatus, Scheme
from insurance.services.transfer_money import held_provinces

BENEFIT_PROVINCE_YEARS = 10
RULES = {
    1: gettext_lazy("The current relationship is in the hukou province."),
    2: gettext_lazy("10 years or more in the current province."),
    3: gettext_lazy("The most recent earlier province with 10 years."),
    4: gettext_lazy("Everything gathers in the hukou province."),
}


@dataclass(frozen=True, slots=True)
class BenefitProvinceBranch:
    branch: int
    rule: str
    province: str | None
    years: ContributionYears | None
    applies: bool

    @property
    def months(self) -> int | None:
        return None if self.years is None else self.years.total_months

    @property
    def decimal_years(self) -> Decimal | None:
        return None if self.years is None else self.years.decimal_years


@dataclass(frozen=True, slots=True)
class BenefitProvinceDecision:
    province: str
    branch: int
    hukou_province: str
    branches: tuple[BenefitProvinceBranch, ...]


def _branch(
    number: int, province: str | None, years: ContributionYears | None, applies: bool
) -> BenefitProvinceBranch:
    return BenefitProvinceBranch(number, str(RULES[number]), province, years, applies)


def benefit_province_decide(*, person: InsuredPerson) -> BenefitProvinceDecision:
    """The 10-year rule, branch by branch: (1) the current relationship is in the hukou province; (2) else
    the current province after 10 years there; (3) else the most recent earlier province with 10 years;
    (4) else everything gathers in the hukou province."""
    hukou = person.hukou_province_id
    candidates = list(
        person.relationships.filter(scheme=Scheme.EMPLOYEE_PENSION, is_temporary_account=False)
        .exclude(status=RelationshipStatus.TRANSFERRED_OUT)
        .order_by("-opened_period", "-pk")
        .values_list("province_id", flat=True)
    )
    provinces = list(dict.fromkeys(candidates))  # most recent first, each once
    months = _months_held(person, provinces)
    branches: list[BenefitProvinceBranch] = []

    def decided(branch: BenefitProvinceBranch) -> BenefitProvinceDecision:
        branches.append(branch)
        return BenefitProvinceDecision(branch.province or hukou, branch.branch, hukou, tuple(branches))

    current = provinces[0] if provinces else None
    years = months.get(current) if current else None
    if current == hukou:
        return decided(_branch(1, current, years, True))
    branches.append(_branch(1, current, years, False))
    ten_years = ContributionYears(total_months=BENEFIT_PROVINCE_YEARS * 12)
    if current is not None and years is not None and years >= ten_years:
        return decided(_branch(2, current, years, True))
    branches.append(_branch(2, current, years, False))
    for earlier in provinces[1:]:
        held = months.get(earlier)
        if held is not None and held >= ten_years:
            return decided(_branch(3, earlier, held, True))
        branches.append(_branch(3, earlier, held, False))
    if len(provinces) < 2:
        branches.append(_branch(3, None, None, False))
    return decided(_branch(4, hukou, months.get(hukou), True))


def _months_held(person: InsuredPerson, provinces: list[str]) -> dict[str, ContributionYears]:
    """The months each province holds for the person: its own non-temporary months and those a completed
    transfer or the gathering of a temporary account brought to it (temporary months among them: once
    gathered, they count where they arrived), each month once."""
    own: dict[str, set[int]] = {}
    recorded: dict[str, set[int]] = {}
    for period, province, temporary in ContributionRecord.objects.filter(
        person_id=person.pk, scheme=Scheme.EMPLOYEE_PENSION
    ).values_list("period", "province_id", "temporary_account"):
        recorded.setdefault(province, set()).add(period)
        if not temporary:
            own.setdefault(province, set()).add(period)
    held: dict[str, ContributionYears] = {}
    for province in provinces:
        chain = held_provinces(
            person_ids=[person.pk], scheme=Scheme.EMPLOYEE_PENSION, provinces={person.pk: province}
        )[person.pk]
        months = own.get(province, set()).union(*(recorded.get(source, set()) for source in chain[1:]))
        held[province] = ContributionYears(total_months=len(months))
    return held
