"""A connection terminated by the server is replaced at the next statement (core/db/postgresql)."""

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connection, transaction

from core.sql import prepared_cursor

pytestmark = pytest.mark.django_db(transaction=True)


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def terminate(pid: int) -> None:
    """From another session, as an administrator or a failover would; returns once the session is gone."""
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


def as_if_checked_just_before() -> None:
    """The termination lands after this request's health check: the race no check can close."""
    connection.health_check_done = True


def test_a_statement_after_the_termination_runs_on_a_new_connection():
    old = backend_pid()
    terminate(old)
    as_if_checked_just_before()

    assert backend_pid() != old


def test_a_prepared_statement_after_the_termination_runs_on_a_new_connection():
    old = backend_pid()
    terminate(old)
    as_if_checked_just_before()

    with prepared_cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != old


def test_the_first_statement_of_a_transaction_is_run_again_and_the_transaction_commits():
    old = backend_pid()
    terminate(old)
    as_if_checked_just_before()

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE reconnected (n int)")
        cursor.execute("INSERT INTO reconnected VALUES (1)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), pg_backend_pid() FROM reconnected")
        assert cursor.fetchone() == (1, backend_pid())
    assert backend_pid() != old


def test_a_transaction_that_ran_statements_before_the_termination_fails_whole():
    with pytest.raises(OperationalError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        terminate(backend_pid())
        cursor.execute("SELECT 2")  # its first statement is lost: never run again silently
    connection.close()
