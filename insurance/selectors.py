"""Reads, already restricted to what the caller may see (accounts.scope decides what that is).

An object outside the caller's scope is answered exactly as a missing one: NotFoundError.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import connection
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum

from accounts.scope import Scope
from core.crypto import keyed_hash
from core.exceptions import NotFoundError
from core.identity import IdentityNumber
from core.sql import ModelColumns
from insurance.calculators.contribution_years import ContributionYears
from insurance.models import (
    ContributionRecord,
    Employer,
    InsuranceRelationship,
    InsuredPerson,
    LedgerEntry,
    ParticipationCertificate,
)


def persons_visible(*, scope: Scope) -> QuerySet[InsuredPerson]:
    return scope.filter_persons(InsuredPerson.objects.all())


_PERSON_COLUMNS = ModelColumns(InsuredPerson, "person")


def _visible_person(*, scope: Scope, condition: str = "TRUE", params: Sequence = ()) -> InsuredPerson | None:
    """The person matching `condition` (SQL on the table aliased `person`) whose record the scope lets
    the caller see. Written out rather than built through the ORM, which took longer than the query
    itself: one of these runs on nearly every request (core.sql)."""
    visible = scope.persons_sql("person")
    if visible is None:
        return None
    visible_condition, visible_params = visible
    with connection.cursor() as cursor:
        cursor.execute(
            # Names from the model, conditions written here and in accounts.scope; values are parameters.
            f"SELECT {_PERSON_COLUMNS.sql} FROM {InsuredPerson._meta.db_table} person"  # noqa: S608
            f" WHERE {condition} AND {visible_condition}",
            [*params, *visible_params],
        )
        row = cursor.fetchone()
    return None if row is None else _PERSON_COLUMNS.instance(row)


def person_get(*, scope: Scope, person_id: int) -> InsuredPerson:
    person = _visible_person(scope=scope, condition="person.id = %s", params=[person_id])
    if person is None:
        raise NotFoundError("No such person.")
    return person


def person_of_citizen(*, scope: Scope) -> InsuredPerson:
    """The citizen's own insured-person record."""
    person = _visible_person(scope=scope)
    if person is None:
        raise NotFoundError("No insurance record is registered for your ID number yet.")
    return person


def persons_search(
    *,
    scope: Scope,
    id_number: IdentityNumber | None = None,
    name: str | None = None,
    status: str | None = None,
    hukou_province: str | None = None,
) -> QuerySet[InsuredPerson]:
    persons = persons_visible(scope=scope)
    if id_number is not None:
        persons = persons.filter(id_number_hash=keyed_hash(id_number.value))
    if name:
        persons = persons.filter(name__startswith=name.strip())
    if status:
        persons = persons.filter(status=status)
    if hukou_province:
        persons = persons.filter(hukou_province_id=hukou_province)
    return persons.order_by("name", "pk")


def relationships_of(*, person: InsuredPerson) -> QuerySet[InsuranceRelationship]:
    return person.relationships.order_by("scheme", "opened_period")


# The fields of a contribution as shown, each with the key it has in a row of `contribution_rows`.
CONTRIBUTION_COLUMNS = {
    "period": "period",
    "scheme": "scheme",
    "province": "province_id",
    "declared_base": "declared_base",
    "base": "base",
    "base_adjustment": "base_adjustment",
    "employer_rate": "employer_rate",
    "individual_rate": "individual_rate",
    "employer_amount": "employer_amount",
    "individual_amount": "individual_amount",
    "account_credit": "account_credit",
    "payment_type": "payment_type",
    "employer_code": "employer_code",
    "temporary_account": "temporary_account",
}


def contribution_rows(
    *,
    person: InsuredPerson,
    scheme: str | None = None,
    province: str | None = None,
    year: int | None = None,
) -> QuerySet:
    """A person's contribution records as plain rows (CONTRIBUTION_COLUMNS and the id): the lists that
    citizens and agencies page through most, so no model instance is built per row."""
    records = _CONTRIBUTION_ROWS.filter(person_id=person.pk)
    if scheme:
        records = records.filter(scheme=scheme)
    if province:
        records = records.filter(province_id=province)
    if year:
        records = records.filter(period__gte=year * 100 + 1, period__lte=year * 100 + 12)
    return records


# Built once (a queryset is a recipe: each filter above derives a new one), because building the columns
# and the subquery anew cost nearly a tenth of a contributions request. The employer's code comes by a
# subquery, not a join: PostgreSQL runs it for the rows of the page only, after sorting, where a join
# would first match every record of the person (hundreds) with the employers.
_CONTRIBUTION_ROWS = ContributionRecord.objects.annotate(
    employer_code=Subquery(Employer.objects.filter(pk=OuterRef("employer_id")).values("code"))
).values("id", *CONTRIBUTION_COLUMNS.values())


def contribution_years_of(
    *, person: InsuredPerson, scheme: str
) -> tuple[dict[str, ContributionYears], ContributionYears]:
    """Contribution years per province, and in total. A month paid in two provinces (an overlap that a
    transfer later clears) counts once in the total."""
    records = ContributionRecord.objects.filter(person=person, scheme=scheme)
    by_province = {
        row["province_id"]: ContributionYears(total_months=row["months"])
        for row in records.values("province_id")
        .annotate(months=Count("period", distinct=True))
        .order_by("province_id")
    }
    total = records.aggregate(months=Count("period", distinct=True))["months"]
    return by_province, ContributionYears(total_months=total)


def account_balance_of(*, person: InsuredPerson) -> tuple[Decimal, list[dict]]:
    """The pension personal account balance, in total and per province where it is held."""
    entries = LedgerEntry.objects.filter(person=person)
    by_province = list(entries.values("province_id").annotate(balance=Sum("amount")).order_by("province_id"))
    total = sum((row["balance"] for row in by_province), Decimal("0.00"))
    return total, by_province


def account_entries_of(*, person: InsuredPerson) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(person=person)


def certificate_by_code(*, code: str) -> ParticipationCertificate:
    certificate = ParticipationCertificate.objects.filter(verification_code=code.strip().upper()).first()
    if certificate is None:
        raise NotFoundError("No certificate was issued with this verification code.")
    return certificate
