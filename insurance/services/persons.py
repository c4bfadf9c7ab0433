"""Who is insured (DOMAIN.md §1): registering people and recording deaths, each one set-based service
that the API calls with one item and an import with a chunk."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from accounts.services import citizens_close_on_death
from core.batch import Refusal, refusal_raise
from core.crypto import encrypt_text, keyed_hash
from core.exceptions import ApplicationError, ConflictError, NotFoundError
from core.identity import IdentityNumber
from core.models import max_length_of
from core.regions import PROVINCE_NAMES
from core.states import Actor
from insurance.hooks import DEATH_HOOKS, DeathRecorded
from insurance.models import (
    OPEN_RELATIONSHIP_STATUSES,
    InsuredPerson,
    PersonStatus,
    RelationshipStatus,
)
from insurance.periods import period_of
from insurance.states import PERSON_STATES, RELATIONSHIP_STATES

_NAME_LENGTH = max_length_of(InsuredPerson, "name")
# Control characters (Cc) and formatting ones (Cf: the bidirectional overrides among them) have no place in
# a name that is printed on certificates and cards.
_FORBIDDEN_IN_NAMES = frozenset({"Cc", "Cf"})
_PHONE_LENGTH = max_length_of(InsuredPerson, "phone")


@dataclass(frozen=True, slots=True)
class PersonDetails:
    """A person as registered. Sex and birth date are read from the ID number; the hukou province starts
    as the ID's province unless another is given."""

    id_number: IdentityNumber
    name: str
    hukou_province: str | None = None
    residence_province: str | None = None
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Registered:
    person_id: int
    created: bool


def _details_refusal(details: PersonDetails) -> tuple[ApplicationError, str] | None:
    name = details.name.strip()
    if not name:
        return ApplicationError("name_required", _("The person's name is required.")), "name"
    if any(unicodedata.category(character) in _FORBIDDEN_IN_NAMES for character in name):
        return ApplicationError(
            "name_invalid_characters", _("The name holds control or text-direction characters.")
        ), "name"
    if len(name) > _NAME_LENGTH:
        return ApplicationError(
            "name_too_long",
            _("The name is longer than %(max_length)s characters.") % {"max_length": _NAME_LENGTH},
        ), "name"
    for column in ("hukou_province", "residence_province"):
        code = getattr(details, column)
        if code is not None and code not in PROVINCE_NAMES:
            return ApplicationError(
                "province_unknown", _("%(code)s is not a province code.") % {"code": code}
            ), column
    if len(details.phone.strip()) > _PHONE_LENGTH:
        return ApplicationError(
            "phone_too_long",
            _("The phone is longer than %(max_length)s characters.") % {"max_length": _PHONE_LENGTH},
        ), "phone"
    return None


_PERSON_COLUMNS = (
    "id_number_ciphertext, id_number_hash, name, sex, birth_date, hukou_province_id, residence_province_id, "
    "phone, status, created_at, updated_at"
)


@transaction.atomic
def persons_register(
    *, items: Sequence[PersonDetails], scope: Scope, actor: Actor, dry_run: bool = False
) -> tuple[dict[int, Registered], list[Refusal]]:
    """Register people, each once nationwide. Someone already registered is not registered again: their
    name, residence and phone are brought up to date when the registering `scope` may see them, or when
    they are insured nowhere yet, and left as they are otherwise. Returns, per accepted item's index,
    the person and whether they are new, and the refusals. New people start their history with an event."""
    refusals: list[Refusal] = []
    accepted: dict[str, int] = {}  # keyed hash -> index of the item
    for index, details in enumerate(items):
        refused = _details_refusal(details)
        digest = keyed_hash(details.id_number.value)
        if refused is not None:
            refusals.append(Refusal(index, refused[0], refused[1]))
        elif digest in accepted:
            refusals.append(
                Refusal(
                    index,
                    ApplicationError(
                        "person_repeated", _("The same person is registered twice in this batch.")
                    ),
                    "id_number",
                )
            )
        else:
            accepted[digest] = index
    if dry_run or not accepted:
        return {index: Registered(0, False) for index in accepted.values()} if dry_run else {}, refusals
    visible, visible_params = scope.persons_sql("insurance_insuredperson") or ("FALSE", [])
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS person_registration ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {_PERSON_COLUMNS} FROM insurance_insuredperson WITH NO DATA"  # the columns: a constant
        )
        with cursor.copy(f"COPY person_registration ({_PERSON_COLUMNS}) FROM STDIN") as copy:
            for digest, index in accepted.items():
                details = items[index]
                number = details.id_number
                copy.write_row(
                    (
                        encrypt_text(number.value), digest, details.name.strip(), number.sex.value,
                        number.birth_date, details.hukou_province or number.province_code,
                        details.residence_province, details.phone.strip(), PersonStatus.ACTIVE.value,
                        now, now,
                    )
                )  # fmt: skip
        cursor.execute(
            f"""INSERT INTO insurance_insuredperson ({_PERSON_COLUMNS})
                SELECT {_PERSON_COLUMNS} FROM person_registration
                ON CONFLICT (id_number_hash) DO UPDATE SET
                    name = EXCLUDED.name,
                    residence_province_id = COALESCE(EXCLUDED.residence_province_id,
                                                     insurance_insuredperson.residence_province_id),
                    phone = COALESCE(NULLIF(EXCLUDED.phone, ''), insurance_insuredperson.phone),
                    updated_at = EXCLUDED.updated_at
                WHERE {visible}
                   OR NOT EXISTS (SELECT FROM insurance_insurancerelationship r
                                   WHERE r.person_id = insurance_insuredperson.id)
                RETURNING id, id_number_hash, xmax = 0""",  # noqa: S608 - names from the code; values are parameters
            visible_params,
        )
        registered = {digest: Registered(pk, created) for pk, digest, created in cursor.fetchall()}
        cursor.execute("TRUNCATE person_registration")  # for the next batch of the same transaction
        left_alone = [digest for digest in accepted if digest not in registered]
        if left_alone:
            cursor.execute(
                "SELECT id, id_number_hash FROM insurance_insuredperson WHERE id_number_hash = ANY(%s)",
                [left_alone],
            )
            registered.update((digest, Registered(pk, False)) for pk, digest in cursor.fetchall())
    PERSON_STATES.record_created(
        [(r.person_id, PersonStatus.ACTIVE, r.person_id) for r in registered.values() if r.created],
        actor=actor,
    )
    return {accepted[digest]: found for digest, found in registered.items()}, refusals


def person_register(*, details: PersonDetails, scope: Scope, actor: Actor) -> tuple[InsuredPerson, bool]:
    """Register one person (see `persons_register`): the person, and whether they are new."""
    registered, refusals = persons_register(items=[details], scope=scope, actor=actor)
    refusal_raise(refusals)
    return InsuredPerson.objects.get(pk=registered[0].person_id), registered[0].created


@dataclass(frozen=True, slots=True)
class Death:
    person_id: int
    date_of_death: datetime.date


@transaction.atomic
def deaths_register(
    *, items: Sequence[Death], actor: Actor, dry_run: bool = False
) -> tuple[list[int], list[Refusal]]:
    """Record deaths: each person becomes deceased, every open relationship closes in the month of death
    (nothing can be owed after it), and the apps above react through `insurance.hooks.DEATH_HOOKS` (a
    card is cancelled, a pension stopped). A death is recorded once: another report of it, on any date, is
    refused for a person to check. Returns the indexes of the deaths recorded, and the refusals."""
    person_ids = sorted({item.person_id for item in items})
    with connection.cursor() as cursor:
        # Locked first, so that no relationship opens between the checks and the moves.
        cursor.execute(
            """SELECT id, status, date_of_death, birth_date FROM insurance_insuredperson
                WHERE id = ANY(%s) ORDER BY id FOR UPDATE""",
            [person_ids],
        )
        people = {pk: (status, died, born) for pk, status, died, born in cursor.fetchall()}
        cursor.execute(
            """SELECT person_id, id, opened_period FROM insurance_insurancerelationship
                WHERE person_id = ANY(%s) AND status = ANY(%s)""",
            [person_ids, list(OPEN_RELATIONSHIP_STATUSES)],
        )
        open_relationships: dict[int, list[tuple[int, int]]] = {}
        for person_id, pk, opened in cursor.fetchall():
            open_relationships.setdefault(person_id, []).append((pk, opened))
    today = timezone.localdate()
    refusals: list[Refusal] = []
    deaths: dict[int, int] = {}  # person -> index of the item
    for index, death in enumerate(items):
        refused = _death_refusal(death, people.get(death.person_id), open_relationships, today)
        if refused is None and death.person_id in deaths:
            refused = ConflictError("death_repeated", _("The same death is reported twice in this batch."))
        if refused is not None:
            refusals.append(Refusal(index, refused, "date_of_death"))
        else:
            deaths[death.person_id] = index
    if dry_run or not deaths:
        return sorted(deaths.values()), refusals
    recorded = [items[index] for index in deaths.values()]
    PERSON_STATES.move_many(
        [death.person_id for death in recorded],
        to=PersonStatus.DECEASED,
        actor=actor,
        reason="Death recorded",
        values={"date_of_death": [death.date_of_death for death in recorded]},
    )
    closing = [
        (pk, period_of(death.date_of_death))
        for death in recorded
        for pk, _ in open_relationships.get(death.person_id, ())
    ]
    RELATIONSHIP_STATES.move_many(
        [pk for pk, _ in closing],
        to=RelationshipStatus.CLOSED,
        actor=actor,
        reason="Death of the insured person",
        values={"closed_period": [period for _, period in closing]},
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, id_number_hash FROM insurance_insuredperson WHERE id = ANY(%s)",
            [[death.person_id for death in recorded]],
        )
        digests = dict(cursor.fetchall())
    # The dead cannot sign in: their citizens' accounts close with the death (the accounts app is below).
    citizens_close_on_death(deaths=[(digests[death.person_id], death.date_of_death) for death in recorded])
    for hook in DEATH_HOOKS:
        hook([DeathRecorded(death.person_id, death.date_of_death) for death in recorded], actor)
    return sorted(deaths.values()), refusals


def _death_refusal(
    death: Death,
    person: tuple[str, datetime.date | None, datetime.date] | None,
    open_relationships: dict[int, list[tuple[int, int]]],
    today: datetime.date,
) -> ApplicationError | None:
    if person is None:
        return NotFoundError(_("No such person."))
    status, recorded_death, birth_date = person
    if status == PersonStatus.DECEASED:
        recorded = (
            _("This person's death is already recorded, on %(date)s.") % {"date": recorded_death.isoformat()}
            if recorded_death
            else _("This person's death is already recorded.")
        )
        return ConflictError("person_already_deceased", recorded)
    if death.date_of_death > today or death.date_of_death < birth_date:
        return ApplicationError(
            "date_of_death_invalid",
            _("The date of death cannot be in the future or before the person's birth."),
        )
    if any(
        opened > period_of(death.date_of_death) for _, opened in open_relationships.get(death.person_id, ())
    ):
        # A relationship cannot close before the month it opened: one of the two dates is wrong.
        return ApplicationError(
            "date_of_death_before_relationship",
            _("The date of death is before the month an open insurance relationship was opened in."),
        )
    return None


def person_register_death(
    *, person: InsuredPerson, date_of_death: datetime.date, actor: Actor
) -> InsuredPerson:
    """Record one death (see `deaths_register`)."""
    _, refusals = deaths_register(items=[Death(person.pk, date_of_death)], actor=actor)
    refusal_raise(refusals)
    return InsuredPerson.objects.get(pk=person.pk)
