from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.exceptions import ApplicationError, ConflictError
from insurance.models import InsuranceRelationship, InsuredPerson, PersonStatus, RelationshipStatus, Scheme
from insurance.periods import period_year

# DOMAIN.md §3: from these ages a move to a province other than the hukou province keeps the relationship
# where it was, and the new province opens a temporary account instead.
TEMPORARY_ACCOUNT_AGE = {"M": 50, "F": 40}


def _age_in_period(person: InsuredPerson, period: int) -> int:
    """Age in whole years reached by the month `period` (a birthday in that month counts as reached)."""
    birth = person.birth_date
    return (period_year(period) * 12 + period % 100 - (birth.year * 12 + birth.month)) // 12


def needs_temporary_account(
    *, person: InsuredPerson, scheme: str, province_id: str, opened_period: int
) -> bool:
    """A temporary account is opened for an employee pension when a person at or over the age threshold
    starts paying outside their hukou province while insured elsewhere."""
    if scheme != Scheme.EMPLOYEE_PENSION or province_id == person.hukou_province_id:
        return False
    if _age_in_period(person, opened_period) < TEMPORARY_ACCOUNT_AGE[person.sex]:
        return False
    return person.relationships.filter(scheme=scheme).exclude(province_id=province_id).exists()


@transaction.atomic
def relationship_open(
    *,
    person: InsuredPerson,
    scheme: str,
    province_id: str,
    opened_period: int,
    approved_transfer: bool = False,
) -> InsuranceRelationship:
    """Start (or resume) paying into a scheme in a province. A person pays one scheme in one province at a
    time, so a relationship paying elsewhere must be suspended first."""
    person = InsuredPerson.objects.select_for_update().get(pk=person.pk)
    if person.status == PersonStatus.DECEASED:
        raise ConflictError("person_deceased", "A relationship cannot be opened for a deceased person.")
    if person.relationships.filter(scheme=scheme, status=RelationshipStatus.PAYING).exists():
        raise ConflictError(
            "relationship_already_paying",
            "This person already pays into this scheme; suspend that relationship first.",
        )
    existing = person.relationships.filter(scheme=scheme, province_id=province_id).first()
    if existing is not None:
        if existing.status != RelationshipStatus.SUSPENDED:
            raise ConflictError(
                "relationship_not_resumable", f"The relationship is {existing.status} and cannot be resumed."
            )
        existing.status = RelationshipStatus.PAYING
        existing.closed_period = None
        existing.save(update_fields=["status", "closed_period", "updated_at"])
        return existing
    temporary = not approved_transfer and needs_temporary_account(
        person=person, scheme=scheme, province_id=province_id, opened_period=opened_period
    )
    try:
        with transaction.atomic():
            return InsuranceRelationship.objects.create(
                person=person,
                scheme=scheme,
                province_id=province_id,
                opened_period=opened_period,
                is_temporary_account=temporary,
            )
    except IntegrityError:
        raise ConflictError(
            "relationship_already_paying", "This person already pays into this scheme."
        ) from None


@transaction.atomic
def relationship_suspend(*, relationship: InsuranceRelationship, period: int) -> InsuranceRelationship:
    """Stop current contributions (the person left the job or moved); the history stays where it is."""
    if period < relationship.opened_period:
        raise ApplicationError(
            "period_before_opening", "A relationship cannot be suspended before it opened."
        )
    updated = InsuranceRelationship.objects.filter(
        pk=relationship.pk, status=RelationshipStatus.PAYING
    ).update(status=RelationshipStatus.SUSPENDED, closed_period=period, updated_at=timezone.now())
    if updated != 1:
        raise ConflictError("relationship_not_paying", "Only a paying relationship can be suspended.")
    relationship.refresh_from_db()
    return relationship
