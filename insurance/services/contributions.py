from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ApplicationError, ConflictError
from insurance.models import (
    ContributionRecord,
    Employer,
    InsuranceRelationship,
    InsuredPerson,
    PaymentType,
    RelationshipStatus,
)
from insurance.periods import period_of, period_year
from insurance.services.tariffs import Tariff, tariff_get


@dataclass(frozen=True, slots=True)
class ContributionMonth:
    """One month as declared by an agency: only the base is taken from input, never an amount."""

    period: int
    declared_base: Decimal
    employer_code: str | None = None
    payment_type: str = PaymentType.NORMAL


def _refuse(code: str, message: str, periods: list[int]) -> None:
    raise ApplicationError(code, message, fields={"periods": [str(p) for p in periods]})


def _check_months(person: InsuredPerson, months: list[ContributionMonth]) -> None:
    if not months:
        raise ApplicationError("contributions_empty", "At least one month is required.")
    periods = [month.period for month in months]
    repeated = sorted({p for p in periods if periods.count(p) > 1})
    if repeated:
        _refuse("duplicate_period", "A period appears more than once in the request.", repeated)
    future = [p for p in periods if p > period_of(timezone.localdate())]
    if future:
        _refuse("period_in_future", "Contributions cannot be recorded for future months.", future)
    if person.date_of_death is not None:
        after_death = [p for p in periods if p > period_of(person.date_of_death)]
        if after_death:
            _refuse(
                "period_after_death",
                "Contributions cannot be recorded after the month of death.",
                after_death,
            )


@transaction.atomic
def contributions_record(
    *, person: InsuredPerson, scheme: str, province_id: str, months: list[ContributionMonth]
) -> list[ContributionRecord]:
    """Record months of contributions to one scheme in one province, all or none. The amounts come from
    the province's figures for each month's year. An employee-pension record's account credit is the
    personal account's credit for the month (see LedgerEntry)."""
    _check_months(person, months)
    relationship = (
        InsuranceRelationship.objects.select_for_update()
        .filter(person=person, scheme=scheme, province_id=province_id)
        .first()
    )
    if relationship is None or relationship.status not in (
        RelationshipStatus.PAYING,
        RelationshipStatus.SUSPENDED,
    ):
        raise ApplicationError(
            "relationship_not_open",
            f"This person has no open {scheme} relationship in province {province_id}.",
        )
    existing = sorted(
        ContributionRecord.objects.filter(
            person=person, scheme=scheme, province_id=province_id, period__in=[m.period for m in months]
        ).values_list("period", flat=True)
    )
    if existing:
        raise ConflictError(
            "contribution_already_recorded",
            "Some of these months are already recorded.",
            fields={"periods": [str(p) for p in existing]},
        )
    codes = {m.employer_code for m in months if m.employer_code}
    employers = {e.code: e for e in Employer.objects.filter(code__in=codes)}
    unknown = sorted(codes - employers.keys())
    if unknown:
        raise ApplicationError(
            "employer_not_found", "Unknown employer codes.", fields={"employer_code": unknown}
        )
    tariffs: dict[int, Tariff] = {}
    records = []
    for month in sorted(months, key=lambda m: m.period):
        year = period_year(month.period)
        if year not in tariffs:
            tariffs[year] = tariff_get(province_id=province_id, scheme=scheme, year=year)
        amounts = tariffs[year].compute(month.declared_base, has_employer=bool(month.employer_code))
        records.append(
            ContributionRecord(
                person=person,
                scheme=scheme,
                province_id=province_id,
                period=month.period,
                declared_base=month.declared_base,
                employer=employers.get(month.employer_code or ""),
                payment_type=month.payment_type,
                temporary_account=relationship.is_temporary_account,
                base=amounts.base,
                base_adjustment=amounts.base_adjustment,
                employer_rate=amounts.employer_rate,
                individual_rate=amounts.individual_rate,
                employer_amount=amounts.employer_amount,
                individual_amount=amounts.individual_amount,
                account_credit=amounts.account_credit,
            )
        )
    try:
        with transaction.atomic():
            ContributionRecord.objects.bulk_create(records)
    except IntegrityError:
        raise ConflictError(
            "contribution_already_recorded", "Some of these months were recorded by another request."
        ) from None
    return records
