"""Django's PostgreSQL backend, with a cheaper health check of persistent connections and a cursor that
prepares its statements (`prepared_cursor`).

With CONN_HEALTH_CHECKS, Django checks a reused connection at the start of each request by sending
`SELECT 1` and waiting for the answer: a round trip before every request's first query, a sizeable share
of the work of the API's short reads. A connection that the server has given
up on (restart, idle timeout, `pg_terminate_backend`) tells so itself: the server sends an error and closes
the socket, and nothing else arrives on an idle connection. So the check first looks, without waiting,
whether libpq already knows the connection is broken or the idle socket has something to read, and only
then asks the server as Django does.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base

# django-stubs leave out the psycopg 3 parts of the backend (this module, and the names from `base` below).
from django.db.backends.postgresql.psycopg_any import register_tzloader  # type: ignore[import-untyped]
from django.db.backends.utils import CursorWrapper
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        if self.connection is None:
            return False
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            return False
        if pgconn.transaction_status == pq.TransactionStatus.IDLE and not _has_input(pgconn.socket):
            return True
        return super().is_usable()

    def prepared_cursor(self) -> CursorWrapper:
        """A cursor whose statements PostgreSQL parses and plans once per connection, then only runs: for
        the hand-written reads on (nearly) every request. For a read as short as the token's, parsing and
        planning take PostgreSQL longer than running it. Its parameters are bound by the server (`%s`
        placeholders only, where PostgreSQL can infer a type). Django's own cursors bind on the client, and
        psycopg never prepares those; OPTIONS["prepare_threshold"] (settings) says when these are prepared,
        and None turns preparing off, as a transaction-pooling PgBouncer before 1.21 needs."""
        self.close_if_health_check_failed()
        self.ensure_connection()
        with self.wrap_database_errors:
            cursor = base.ServerBindingCursor(self.connection)  # type: ignore[attr-defined]
            # As Django's create_cursor does for its own cursors.
            timestamptz = base.TIMESTAMPTZ_OID  # type: ignore[attr-defined]
            loader = self.connection.adapters.get_loader(timestamptz, pq.Format.TEXT)
            if self.timezone != loader.timezone:
                register_tzloader(self.timezone, cursor)
            wrapped: CursorWrapper = self._prepare_cursor(cursor)  # type: ignore[attr-defined]
            return wrapped


def _has_input(socket: int) -> bool:
    """Whether the socket has data or an end of file waiting (poll, unlike select, takes any descriptor)."""
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    return bool(poller.poll(0))
