"""Database sessions terminated by the server (`pg_terminate_backend`) under load give no 5xx: the next
statement on a dead connection reconnects (core/db/postgresql)."""

import collections
import json
import threading
import time

import psycopg
import pytest
from django.conf import settings

from accounts.services import auth_token_issue
from tests.factories import AgencyStaffFactory
from tests.faults.processes import gunicorn, http, service_env

pytestmark = [
    pytest.mark.slow,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WEB = "faults-web"
SECONDS = 8
CLIENTS = 4


def terminate_web_sessions() -> int:
    db = settings.DATABASES["default"]
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
    ) as conn:
        return conn.execute(
            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE application_name = %s",
            [WEB],
        ).fetchone()[0]


def test_terminated_database_sessions_under_load_give_no_server_error():
    staff = AgencyStaffFactory(province="11")
    token = auth_token_issue(user=staff).token
    statuses: collections.Counter = collections.Counter()
    stop = threading.Event()
    terminated = 0

    with gunicorn(service_env(application_name=WEB)) as base:

        def client(n: int) -> None:
            paths = ["/api/v1/auth/me", "/api/health", "/api/v1/imports/kinds"]
            i = n
            while not stop.is_set():
                status, body = http(
                    "GET", base + paths[i % len(paths)], headers={"Authorization": f"Bearer {token}"}
                )
                statuses[status] += 1
                if status >= 500:
                    statuses[f"{status} {body[:200]!r}"] += 1
                i += 1

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                time.sleep(0.2)
                terminated += terminate_web_sessions()
        finally:
            stop.set()
            for thread in threads:
                thread.join()

    total = sum(count for key, count in statuses.items() if isinstance(key, int))
    print(
        f"\n[faults] database sessions terminated under load: {terminated} sessions, {total} requests, "
        f"answers {json.dumps({str(k): v for k, v in statuses.items()})}"
    )
    assert terminated >= 10
    assert total > 200
    assert statuses == {200: total}
