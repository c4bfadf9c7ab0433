"""The project's PostgreSQL backend (core/db/postgresql). Its health check of persistent connections makes
no round trip on a quiet, healthy connection, and finds a connection the server has closed unusable, to be
replaced before the request's query. Its prepared cursor prepares statements once per connection."""

import time

import pytest
from django.db import connection, connections


@pytest.fixture
def own_connection(db):
    """A second connection to the test database, outside the test's transaction, so that it can be killed."""
    wrapper = connections.create_connection("default")
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


def test_the_backend_is_ours():
    assert connections["default"].__class__.__module__ == "core.db.postgresql.base"
    assert connections["default"].health_check_enabled


def test_a_quiet_connection_is_usable_without_asking_the_server(own_connection):
    def no_round_trip(*args, **kwargs):
        raise AssertionError("the health check sent a query")

    own_connection.connection.cursor = no_round_trip
    assert own_connection.is_usable()


def test_a_connection_the_server_closed_is_unusable_and_replaced(own_connection):
    old_pid = own_connection.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [old_pid])
    # The server's goodbye (an error, then the end of the stream) arrives asynchronously.
    deadline = time.monotonic() + 5
    while own_connection.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not own_connection.is_usable()

    # What Django does at a request's first query: check, close, reconnect.
    own_connection.health_check_done = False
    own_connection.close_if_health_check_failed()
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != old_pid


def test_a_connection_inside_a_transaction_is_asked(own_connection):
    """Not idle: the quiet socket proves nothing about the transaction, so the server is asked."""
    asked = []
    real_cursor = own_connection.connection.cursor

    def counting_cursor(*args, **kwargs):
        asked.append(True)
        return real_cursor(*args, **kwargs)

    own_connection.set_autocommit(False)
    with own_connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    own_connection.connection.cursor = counting_cursor
    assert own_connection.is_usable()
    assert asked
    own_connection.rollback()


def prepared_statements() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_prepared_cursor_prepares_its_statement_once_per_connection(db):
    statement = "SELECT count(*) FROM insurance_insuredperson WHERE id > %s"
    for _ in range(3):
        with connection.prepared_cursor() as cursor:
            cursor.execute(statement, [0])
            assert cursor.fetchone() == (0,)

    assert [text for text in prepared_statements() if "insurance_insuredperson" in text] == [
        statement.replace("%s", "$1")
    ]


def test_other_cursors_prepare_nothing(db):
    for _ in range(3):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM insurance_employer WHERE id > %s", [0])

    assert not [text for text in prepared_statements() if "insurance_employer" in text]


def test_preparing_can_be_turned_off(db):
    """DATABASE_PREPARED_STATEMENTS=0 (a transaction-pooling PgBouncer before 1.21)."""
    wrapper = connections.create_connection("default")
    wrapper.settings_dict["OPTIONS"] = {**wrapper.settings_dict["OPTIONS"], "prepare_threshold": None}
    try:
        with wrapper.prepared_cursor() as cursor:
            cursor.execute("SELECT count(*) FROM core_region WHERE code > %s", ["0"])
            cursor.execute("SELECT name FROM pg_prepared_statements")
            assert cursor.fetchall() == []
    finally:
        wrapper.close()
