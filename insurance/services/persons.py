from __future__ import annotations

import datetime

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.crypto import keyed_hash
from core.exceptions import ApplicationError, ConflictError
from core.identity import IdentityNumber
from core.models import Region
from insurance.models import IdentityReadLog, InsuredPerson, PersonStatus, RelationshipStatus
from insurance.periods import period_of


def _region(code: str | None, field: str) -> Region | None:
    if code is None:
        return None
    try:
        return Region.objects.get(pk=code)
    except Region.DoesNotExist:
        raise ApplicationError(
            "province_unknown", f"{code} is not a province code.", fields={field: ["Unknown province."]}
        ) from None


@transaction.atomic
def person_register(
    *,
    id_number: IdentityNumber | str,
    name: str,
    hukou_province: str | None = None,
    residence_province: str | None = None,
    phone: str = "",
) -> InsuredPerson:
    """Register an insured person. Name is required; sex and birth date are read from the ID number, and
    the hukou province starts as the ID's province unless another is given."""
    number = id_number if isinstance(id_number, IdentityNumber) else IdentityNumber.parse(id_number)
    name = name.strip()
    if not name:
        raise ApplicationError(
            "name_required", "The person's name is required.", fields={"name": ["Required."]}
        )
    if InsuredPerson.objects.filter(id_number_hash=keyed_hash(number.value)).exists():
        raise ConflictError(
            "person_already_registered", "A person with this ID number is already registered."
        )
    person = InsuredPerson(
        name=name,
        sex=number.sex.value,
        birth_date=number.birth_date,
        hukou_province=_region(hukou_province or number.province_code, "hukou_province"),
        residence_province=_region(residence_province, "residence_province"),
        phone=phone.strip(),
    )
    person.id_number = number
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Another request registered the same ID between the check and the insert.
        raise ConflictError(
            "person_already_registered", "A person with this ID number is already registered."
        ) from None
    return person


@transaction.atomic
def person_register_death(*, person: InsuredPerson, date_of_death: datetime.date) -> InsuredPerson:
    """Record a death: the person becomes deceased and every open relationship closes in the month of
    death (no contribution can be owed after it)."""
    person = InsuredPerson.objects.select_for_update().get(pk=person.pk)
    if person.status == PersonStatus.DECEASED:
        raise ConflictError("person_already_deceased", "This person's death is already registered.")
    if date_of_death > timezone.localdate() or date_of_death < person.birth_date:
        raise ApplicationError(
            "date_of_death_invalid",
            "The date of death cannot be in the future or before the person's birth.",
            fields={"date_of_death": ["Out of range."]},
        )
    death_period = period_of(date_of_death)
    open_relationships = person.relationships.filter(
        status__in=[RelationshipStatus.PAYING, RelationshipStatus.SUSPENDED]
    )
    # An open relationship cannot be closed before the month it was opened in.
    if open_relationships.filter(opened_period__gt=death_period).exists():
        raise ApplicationError(
            "date_of_death_before_relationship",
            "The date of death is before the month an open insurance relationship was opened in.",
            fields={"date_of_death": ["Before an open relationship was opened."]},
        )
    person.status = PersonStatus.DECEASED
    person.date_of_death = date_of_death
    person.save(update_fields=["status", "date_of_death", "updated_at"])
    open_relationships.update(
        status=RelationshipStatus.CLOSED, closed_period=death_period, updated_at=timezone.now()
    )
    return person


# Written on every read of a detail page: waiting for a WAL flush each time would make every read as slow
# as a disk write, so the transaction that writes the row does not wait (set_config(..., true) lasts until
# its end: the statement's own transaction, or the caller's if one is open). Only a crash of the database
# server itself can lose the last instants of log rows, never a half-written one. One statement, so one
# round trip, where BEGIN, SET LOCAL, INSERT and COMMIT took four.
_IDENTITY_READ_INSERT = f"""
    INSERT INTO {IdentityReadLog._meta.db_table} (reader_id, person_id, endpoint, read_at)
    SELECT %s, %s, %s, %s FROM (SELECT set_config('synchronous_commit', 'off', true)) AS without_flush_wait
"""  # noqa: S608 - the table name from the model; values are parameters


def identity_read_record(*, reader, person: InsuredPerson, endpoint: str) -> None:
    """Log that `reader` was shown `person`'s unmasked ID number through `endpoint` (PIPL Art. 28)."""
    endpoint_field = IdentityReadLog._meta.get_field("endpoint")
    with connection.prepared_cursor() as cursor:
        cursor.execute(
            _IDENTITY_READ_INSERT,
            [reader.pk, person.pk, endpoint[: endpoint_field.max_length], timezone.now()],
        )
