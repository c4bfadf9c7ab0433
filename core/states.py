"""Explicit state machines: a table of allowed moves per model, one function that applies a move by
compare-and-set, and an append-only `StateEvent` per move, written by the same statement.

    PERSON_STATES = StateMachine(InsuredPerson, moves={"active": {"retired", "deceased"}, ...})
    PERSON_STATES.move(person.pk, to="deceased", actor=Actor.api(user), values={"date_of_death": day})
    PERSON_STATES.move_many([...], to="deceased", actor=Actor.import_job(job), values={...})

A move of one row and a set-based move of a chunk (an import's deaths) are the same statement: lock the
rows that are in a state the move may start from, update them, and insert one event per moved row. Two
concurrent moves from the same state give exactly one winner, since the loser finds the row, once
unlocked, no longer in that state. A move that the table does not allow is refused with
`state_move_not_allowed`; rows that were not in a state to move are left out of the result, for the
caller to refuse in its own words.

django-fsm (with django-fsm-log) was weighed: it moves one loaded instance at a time, and a chunk of an
import would need a second path that writes the same events, which is the twin this kernel avoids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models.options import Options
from django.utils import timezone

from core.exceptions import ConflictError
from core.models import Channel, StateEvent


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a move and through which channel; `reference` names the job or run that acted."""

    channel: str
    user_id: int | None = None
    reference: str = ""

    @classmethod
    def api(cls, user: Any) -> Actor:
        return cls(Channel.API, _user_id(user))

    @classmethod
    def admin(cls, user: Any) -> Actor:
        return cls(Channel.ADMIN, _user_id(user))

    @classmethod
    def import_job(cls, job: Any) -> Actor:
        return cls(Channel.IMPORT, job.uploaded_by_id, f"import_job:{job.pk}")

    @classmethod
    def periodic(cls, name: str) -> Actor:
        return cls(Channel.PERIODIC, None, name[:64])


def _user_id(user: Any) -> int | None:
    return user.pk if user is not None and getattr(user, "is_authenticated", False) else None


class StateMoveNotAllowed(ConflictError):
    def __init__(self, entity: str, source: str | None, target: str) -> None:
        super().__init__(
            "state_move_not_allowed",
            f"A {entity} cannot move from {source or 'any state'} to {target}.",
            fields={"status": [f"{source} -> {target}"]},
        )


@dataclass(frozen=True, slots=True)
class Moved:
    """A row that moved, and the state it left."""

    pk: int
    source: str
    person_id: int | None


class StateMachine:
    """The allowed moves of `model`'s `field`: `moves` maps each state to the states it may move to.
    `person_field` is the column naming the person a row belongs to (`id` for a person itself), or None
    for rows that belong to nobody (an import job)."""

    def __init__(
        self,
        model: type[models.Model],
        *,
        moves: Mapping[str, Iterable[str]],
        field: str = "status",
        person_field: str | None = "person_id",
    ) -> None:
        self.model = model
        self.field = field
        self.moves = {str(source): frozenset(map(str, targets)) for source, targets in moves.items()}
        self.person_field = person_field
        self.entity = model._meta.label_lower

    def allows(self, source: str, target: str) -> bool:
        return target in self.moves.get(source, ())

    def sources_of(self, target: str) -> frozenset[str]:
        """The states from which `target` may be reached."""
        return frozenset(source for source, targets in self.moves.items() if target in targets)

    def move(
        self,
        pk: int,
        *,
        to: str,
        actor: Actor,
        reason: str = "",
        sources: Iterable[str] | None = None,
        values: Mapping[str, Any] | None = None,
    ) -> Moved:
        """Move one row to `to` from whatever allowed state it is in (or only from `sources`), setting
        `values` on it too. Refused with `state_move_not_allowed` when the row's state may not move there
        (or the row is not in one of `sources`)."""
        moved = self.move_many(
            [pk],
            to=to,
            actor=actor,
            reason=reason,
            sources=sources,
            values={column: [value] for column, value in (values or {}).items()},
        )
        if not moved:
            current = self.model._base_manager.filter(pk=pk).values_list(self.field, flat=True).first()
            raise StateMoveNotAllowed(str(self.model._meta.verbose_name), current, to)
        return moved[0]

    def move_many(
        self,
        pks: Sequence[int],
        *,
        to: str,
        actor: Actor,
        reason: str = "",
        sources: Iterable[str] | None = None,
        values: Mapping[str, Sequence[Any]] | None = None,
    ) -> list[Moved]:
        """Move every row of `pks` that is in a state allowed to move to `to` (and in `sources`, when
        given), in one statement with its events; `values` gives more columns to set, one value per pk.
        Returns the rows that moved: the others were not in such a state (or do not exist)."""
        allowed = self.sources_of(to)
        if sources is not None:
            allowed &= frozenset(map(str, sources))
        if not allowed:
            raise StateMoveNotAllowed(str(self.model._meta.verbose_name), None, to)
        if not pks:
            return []
        sql, params = self._statement(list(pks), to, actor, reason, sorted(allowed), values or {})
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [Moved(pk, source, person_id) for pk, source, person_id in cursor.fetchall()]

    def record_created(
        self, rows: Sequence[tuple[int, str, int | None]], *, actor: Actor, reason: str = ""
    ) -> None:
        """Write the first event of rows just created, each (pk, state, person id): a move from nothing
        (from_state ""), so that a row's history starts with who made it, and through which channel."""
        if not rows:
            return
        pks, states, people = (list(column) for column in zip(*rows, strict=True))
        with connection.cursor() as cursor:
            cursor.execute(
                f"""INSERT INTO {connection.ops.quote_name(StateEvent._meta.db_table)}
                           (entity, object_id, person_id, from_state, to_state, actor_id, channel, reference,
                            reason, at)
                    SELECT %s, pk, person_id, '', state, %s, %s, %s, %s, %s
                      FROM UNNEST(%s::bigint[], %s::varchar[], %s::bigint[]) AS created(pk, state, person_id)
                """,  # noqa: S608 - the table name from the model; values are parameters
                [self.entity, actor.user_id, actor.channel, actor.reference, reason, timezone.now(),
                 pks, states, people],
            )  # fmt: skip

    def _statement(
        self,
        pks: list[int],
        to: str,
        actor: Actor,
        reason: str,
        allowed: list[str],
        values: Mapping[str, Sequence[Any]],
    ) -> tuple[str, list[Any]]:
        meta = self.model._meta
        quote = connection.ops.quote_name
        table, pk_column = quote(meta.db_table), quote(meta.pk.column)
        state_column = quote(_concrete_field(meta, self.field).column)
        person = f"row.{quote(self.person_field)}" if self.person_field else "NULL::bigint"
        # The new values, one array per column and one element per pk, unnested beside the pks.
        columns = [_concrete_field(meta, name) for name in values]
        new_values = ", ".join(
            f"%s::{field.db_type(connection)}[]" for field in (meta.pk, *columns)
        )  # e.g. %s::bigint[], %s::date[]
        new_names = ", ".join(["pk", *(f"v{i}" for i in range(len(columns)))])
        assignments = [f"{state_column} = %s"]
        assignments += [f"{quote(field.column)} = new.v{i}" for i, field in enumerate(columns)]
        now = timezone.now()
        for field in meta.concrete_fields:
            if getattr(field, "auto_now", False) and field.name not in values:
                assignments.append(f"{quote(field.column)} = %s")
        auto_now = [now] * (len(assignments) - 1 - len(columns))
        events = quote(StateEvent._meta.db_table)
        # The rows are found by `pk = ANY(pks)`, an index scan: joined to the unnested pks instead, a chunk
        # of 20,000 made the planner hash the whole table.
        sql = f"""
            WITH new AS (SELECT * FROM UNNEST({new_values}) AS new({new_names})),
            locked AS (
                SELECT row.{pk_column} AS pk, row.{state_column} AS source, {person} AS person_id
                  FROM {table} row
                 WHERE row.{pk_column} = ANY(%s::bigint[]) AND row.{state_column} = ANY(%s)
                 ORDER BY row.{pk_column}
                   FOR UPDATE OF row
            ), moved AS (
                UPDATE {table} SET {", ".join(assignments)}
                  FROM locked JOIN new ON new.pk = locked.pk
                 WHERE {table}.{pk_column} = locked.pk
             RETURNING locked.pk, locked.source, locked.person_id
            )
            INSERT INTO {events}
                   (entity, object_id, person_id, from_state, to_state, actor_id, channel, reference,
                    reason, at)
            SELECT %s, pk, person_id, source, %s, %s, %s, %s, %s, %s FROM moved
         RETURNING object_id, from_state, person_id
        """  # noqa: S608 - names from the model; values are parameters
        params: list[Any] = [
            pks,
            *(list(values[field.name]) for field in columns),
            pks,
            allowed,
            to,
            *auto_now,
        ]
        params += [self.entity, to, actor.user_id, actor.channel, actor.reference, reason, now]
        return sql, params


def _concrete_field(meta: Options[Any], name: str) -> models.Field[Any, Any]:
    """The model's column `name`: a move sets columns, never relations seen from their other side."""
    field = meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{meta.label}.{name} is not a column.")
    return field


def events_of(*, entity: type[models.Model], object_id: int) -> models.QuerySet[StateEvent]:
    """The moves of one row, oldest first."""
    return StateEvent.objects.filter(entity=entity._meta.label_lower, object_id=object_id).order_by(
        "at", "pk"
    )


__all__ = ["Actor", "Moved", "StateMachine", "StateMoveNotAllowed", "events_of"]
