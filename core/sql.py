"""Model instances from hand-written SQL, for the few reads that run on (nearly) every API request, and
`AnyOf`, the filter for a long list of values.

There the ORM costs more than PostgreSQL takes to answer: building and compiling even a primary-key read
takes it longer than the round trip (README.md, "Benchmarks"). A hand-written query names its columns
through `ModelColumns`, so that they follow the model:

    user_columns = ModelColumns(User, "u")
    cursor.execute(f"SELECT {user_columns.sql} FROM accounts_user u WHERE u.username = %s", [name])
    user = user_columns.instance(cursor.fetchone())
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorWrapper
from django.db.models import Lookup, Model

from core.db.postgresql.base import DatabaseWrapper

M = TypeVar("M", bound=Model)


def prepared_cursor(*, using: str = DEFAULT_DB_ALIAS) -> CursorWrapper:
    """A cursor of `using` that prepares its statements (core.db.postgresql), for the hot reads."""
    connection = connections[using]
    if not isinstance(connection, DatabaseWrapper):
        raise ImproperlyConfigured(f"Database {using!r} does not use the core.db.postgresql engine.")
    return connection.prepared_cursor()


class ModelColumns(Generic[M]):
    """Every concrete column of `model`, qualified by a table alias, in the order Model.from_db takes
    them: `sql` selects them, `instance` builds the model back from them, as the ORM would."""

    def __init__(self, model: type[M], alias: str, *, using: str = DEFAULT_DB_ALIAS) -> None:
        fields = model._meta.concrete_fields
        connection = connections[using]
        for field in fields:
            # Values go into the model exactly as the driver returns them: a field whose values the ORM
            # converts (JSON, for one) would come out different, so it is refused here, not mis-read.
            # django-stubs do not declare Field.get_db_converters, which Django's fields all have.
            converters = field.get_db_converters(connection)  # type: ignore[attr-defined]
            if converters or connection.ops.get_db_converters(field.get_col(alias)):
                raise ImproperlyConfigured(
                    f"{model.__name__}.{field.name} is converted on loading; read it through the ORM."
                )
        self.model = model
        self.using = using
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in fields)
        self._attnames = [field.attname for field in fields]

    def __len__(self) -> int:
        return len(self._attnames)

    def instance(self, values: Sequence[Any]) -> M:
        return self.model.from_db(self.using, self._attnames, values)


def instances(row: Sequence[Any], *columns: ModelColumns[Any]) -> list[Any]:
    """One instance per `ModelColumns`, from consecutive slices of a row that selected them in turn."""
    built: list[Any] = []
    start = 0
    for model_columns in columns:
        built.append(model_columns.instance(row[start : start + len(model_columns)]))
        start += len(model_columns)
    return built


class AnyOf(Lookup):
    """`column = ANY(%s)` with the whole list as one array parameter, for filters on the thousands of ids
    of an import's chunk: `__in` writes one placeholder per value, and building, sending and parsing a
    20,000-placeholder statement costs more than running it.

        PensionAward.objects.filter(AnyOf(F("person_id"), person_ids))
    """

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        array_type = self.lhs.output_field.db_type(connection)
        return f"{lhs} = ANY(%s::{array_type}[])", [*lhs_params, list(self.rhs)]
