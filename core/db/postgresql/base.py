"""Django's PostgreSQL backend, with a cheaper health check of persistent connections and a cursor that
prepares its statements (`prepared_cursor`).

With CONN_HEALTH_CHECKS, Django checks a reused connection at the start of each request by sending
`SELECT 1` and waiting for the answer: a round trip before every request's first query, a sizeable share
of the work of the API's short reads. A connection that the server has given
up on (restart, idle timeout, `pg_terminate_backend`) tells so itself: the server sends an error and closes
the socket, and nothing else arrives on an idle connection. So the check first looks, without waiting,
whether libpq already knows the connection is broken or the idle socket has something to read, and only
then asks the server as Django does.

No check at the start of a request can see a termination that lands after it: the server may act on
`pg_terminate_backend` a moment later, when the request's statement is already on its way. So the
cursors also reconnect in place and run the statement again when that is certainly safe: the server
refused it for the termination (SQLSTATE 57P01, the statement did not run) or the connection was known
dead before it was sent, and no transaction had begun on the server (the first statement of a
transaction, or any statement in autocommit). Inside a transaction that had already run statements,
the error stands: the transaction is lost, and only the caller can run it again.
"""

from __future__ import annotations

import contextlib
import select
from typing import Any

import psycopg
from django.db import OperationalError
from django.db.backends.postgresql import base

# django-stubs leave out the psycopg 3 parts of the backend (this module, and the names from `base` below).
from django.db.backends.postgresql.psycopg_any import register_tzloader  # type: ignore[import-untyped]
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg import pq

# The server ended the session on request (pg_terminate_backend) or at shutdown: the statement it was sent
# did not run, and any transaction it began was rolled back.
ADMIN_SHUTDOWN = "57P01"


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

    def connect(self) -> None:
        """Connect, and once more if the server terminated the session while it was being set up (the
        same termination that killed the connection this one replaces): nothing had run on it yet."""
        try:
            super().connect()
        except psycopg.OperationalError as error:
            if error.sqlstate != ADMIN_SHUTDOWN:
                raise
            if self.connection is not None:
                self.connection.close()
                self.connection = None
            super().connect()

    def make_cursor(self, cursor: Any) -> CursorWrapper:
        return ReconnectingCursorWrapper(cursor, self)

    def make_debug_cursor(self, cursor: Any) -> CursorDebugWrapper:
        return ReconnectingCursorDebugWrapper(cursor, self)

    def statement_may_be_retried(self) -> bool:
        """Whether a statement about to be sent could be sent again on a new connection if this one turns
        out to be dead: no transaction has begun on the server, so nothing of it would be lost."""
        if self.connection is None:
            return False
        pgconn = self.connection.pgconn
        if pgconn.status != pq.ConnStatus.OK:
            # Dead before sending: safe outside a transaction only (inside, its earlier statements are lost).
            return not self.in_atomic_block and self.autocommit
        idle: bool = pgconn.transaction_status == pq.TransactionStatus.IDLE
        return idle

    def reconnect_in_place(self) -> None:
        """Replace a dead connection under Django's transaction state (atomic blocks, on-commit callbacks):
        used only when no transaction had begun on the server, so that state still holds."""
        dead = self.connection
        self.connection = self.get_new_connection(self.get_connection_params())
        self._set_autocommit(self.autocommit)  # type: ignore[attr-defined]
        self.init_connection_state()
        self.health_check_done = True
        # It is dead already: closing only tidies the client side, and may fail on a broken socket.
        with contextlib.suppress(Exception):
            dead.close()

    def _raw_prepared_cursor(self) -> Any:
        cursor = base.ServerBindingCursor(self.connection)  # type: ignore[attr-defined]
        # As Django's create_cursor does for its own cursors.
        timestamptz = base.TIMESTAMPTZ_OID  # type: ignore[attr-defined]
        loader = self.connection.adapters.get_loader(timestamptz, pq.Format.TEXT)
        if self.timezone != loader.timezone:
            register_tzloader(self.timezone, cursor)
        return cursor

    def raw_cursor_like(self, cursor: Any) -> Any:
        """A new raw cursor of the same kind as `cursor`, on the current connection."""
        if isinstance(cursor, base.ServerBindingCursor):  # type: ignore[attr-defined]
            return self._raw_prepared_cursor()
        return self.create_cursor()

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
            wrapped: CursorWrapper = self._prepare_cursor(self._raw_prepared_cursor())  # type: ignore[attr-defined]
            return wrapped


def _has_input(socket: int) -> bool:
    """Whether the socket has data or an end of file waiting (poll, unlike select, takes any descriptor)."""
    poller = select.poll()
    poller.register(socket, select.POLLIN)
    return bool(poller.poll(0))


class _Reconnecting:
    """Runs a statement again on a new connection when its connection was terminated before any of its
    transaction reached the server (see the module's docstring)."""

    db: DatabaseWrapper
    cursor: Any

    def _retrying(self, run: Any, sql: Any, *args: Any) -> Any:
        connection = self.db.connection
        dead_before = connection is not None and connection.pgconn.status != pq.ConnStatus.OK
        # A named (server-side) cursor lives on its connection: never moved.
        retry = getattr(self.cursor, "name", None) is None and self.db.statement_may_be_retried()
        try:
            return run(sql, *args)
        except OperationalError as error:
            if not retry or not self._safe_to_run_again(error, sql, dead_before=dead_before):
                raise
        self.db.reconnect_in_place()
        self.cursor = self.db.raw_cursor_like(self.cursor)
        return run(sql, *args)

    def _safe_to_run_again(self, error: OperationalError, sql: Any, *, dead_before: bool) -> bool:
        """Whether running the statement again on a new connection can neither lose nor double anything.
        A statement that began a transaction left nothing behind when its session died (the transaction
        had not committed); in autocommit, a statement refused for the termination did not run, and a read
        can run twice. A write whose connection vanished without a word may have committed: never again."""
        lost = self.db.connection is None or self.db.connection.pgconn.status != pq.ConnStatus.OK
        if not lost:
            return False
        if dead_before or getattr(error.__cause__, "sqlstate", None) == ADMIN_SHUTDOWN:
            return True
        if not self.db.autocommit:
            return True
        return isinstance(sql, str) and sql.lstrip()[:6].upper() == "SELECT"

    def _execute(self, sql: Any, params: Any, *ignored_wrapper_args: Any) -> Any:
        return self._retrying(super()._execute, sql, params, *ignored_wrapper_args)  # type: ignore[misc]

    def _executemany(self, sql: Any, param_list: Any, *ignored_wrapper_args: Any) -> Any:
        return self._retrying(super()._executemany, sql, param_list, *ignored_wrapper_args)  # type: ignore[misc]


class ReconnectingCursorWrapper(_Reconnecting, CursorWrapper):
    pass


class ReconnectingCursorDebugWrapper(_Reconnecting, CursorDebugWrapper):
    pass
