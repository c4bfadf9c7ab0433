import logging
import re
import runpy
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from core import health


@pytest.fixture(autouse=True)
def fresh_checks():
    """Heartbeats and the remembered migration check start unset in every test."""
    cache.delete_many([health.heartbeat_key("worker"), health.heartbeat_key("beat")])
    health._migrations_checked = None
    yield
    health._migrations_checked = None


def alive(*components: str) -> None:
    for component in components:
        health.heartbeat_record(component)


@pytest.mark.django_db
def test_health_reports_every_part_and_the_version(api_client):
    alive("worker", "beat")

    response = api_client.get("/api/health")

    assert response.status_code == 200
    body = response.json()
    worker_seen = datetime.fromisoformat(body.pop("worker_last_seen"))
    beat_tick = datetime.fromisoformat(body.pop("beat_last_tick"))
    assert body == {
        "status": "ok",
        "version": "0.1.0",
        "database": "ok",
        "broker": "ok",
        "worker": "ok",
        "beat": "ok",
        "migrations": "ok",
        "pending_migrations": [],
    }
    for seen in (worker_seen, beat_tick):
        assert abs(datetime.now(UTC) - seen) < timedelta(seconds=30)


@pytest.mark.django_db
def test_health_without_a_worker_heartbeat_is_503_and_ready_stays_200(api_client):
    alive("beat")

    response = api_client.get("/api/health")

    assert response.status_code == 503
    assert (response.json()["status"], response.json()["worker"], response.json()["worker_last_seen"]) == (
        "degraded",
        "unavailable",
        None,
    )
    # Requests are served without a worker: the load balancer keeps sending traffic.
    ready = api_client.get("/api/ready")
    assert (ready.status_code, ready.json()) == (200, {"ready": True, "failing": []})


@pytest.mark.django_db
def test_a_stale_beat_tick_is_reported_with_its_time(api_client):
    alive("worker")
    old = time.time() - health.BEAT_STALE_SECONDS - 5
    cache.set(health.heartbeat_key("beat"), old)

    body = api_client.get("/api/health").json()

    assert body["beat"] == "unavailable"
    assert datetime.fromisoformat(body["beat_last_tick"]) == datetime.fromtimestamp(old, tz=UTC)


def test_unreachable_broker_makes_health_and_ready_503(api_client, settings, db):
    alive("worker", "beat")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = api_client.get("/api/health")
    ready = api_client.get("/api/ready")

    assert (response.status_code, response.json()["status"], response.json()["broker"]) == (
        503,
        "degraded",
        "unavailable",
    )
    assert (ready.status_code, ready.json()) == (503, {"ready": False, "failing": ["broker"]})


@pytest.mark.django_db
def test_a_migration_the_database_lacks_makes_the_instance_not_ready(api_client, monkeypatch):
    alive("worker", "beat")
    # An answer of an earlier test in this process would be reused for a while: read the migrations anew.
    monkeypatch.setattr("core.health._migrations_checked", None)
    # The newest of core's migrations, as if this code were deployed before the database was migrated.
    (newest,) = [name for app, name in MigrationLoader(None).graph.leaf_nodes() if app == "core"]
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = 'core' AND name = %s", [newest])

    response = api_client.get("/api/health")
    ready = api_client.get("/api/ready")

    assert (response.status_code, response.json()["migrations"]) == (503, "pending")
    assert response.json()["pending_migrations"] == [f"core.{newest}"]
    assert (ready.status_code, ready.json()) == (503, {"ready": False, "failing": ["migrations"]})


def test_health_and_ready_document_only_what_they_return():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in ("/api/health", "/api/ready"):
        # Their answers, and the envelope of 406 (an Accept that JSON does not match): nothing else.
        assert set(schema["paths"][path]["get"]["responses"]) == {"200", "406", "503"}
    health_properties = schema["components"]["schemas"]["Health"]["properties"]
    assert {"worker", "worker_last_seen", "beat", "beat_last_tick", "migrations", "version"} <= set(
        health_properties
    )


UTC_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00 ")


def _formatted(formatter_config: dict) -> str:
    config = dict(formatter_config)
    formatter = config.pop("()").rsplit(".", 1)
    module = __import__(formatter[0], fromlist=[formatter[1]])
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
    record.created = datetime(2026, 12, 1, 4, 5, 6, 789000, tzinfo=UTC).timestamp()
    record.msecs = 789
    return getattr(module, formatter[1])(fmt=config["format"]).format(record)


def test_django_gunicorn_and_celery_log_one_clock_utc_with_its_offset():
    django_line = _formatted(django_settings.LOGGING["formatters"]["plain"])
    gunicorn = runpy.run_path(str(django_settings.BASE_DIR / "platform" / "gunicorn.conf.py"))
    gunicorn_line = _formatted(gunicorn["logconfig_dict"]["formatters"]["utc"])

    # 12:05 in Shanghai is 04:05 UTC: the process's TIME_ZONE does not leak into the log.
    for line in (django_line, gunicorn_line):
        assert UTC_STAMP.match(line), line
        assert line.startswith("2026-12-01T04:05:06.789+00:00 INFO x")
    for logger in ("gunicorn.error", "gunicorn.access"):
        assert gunicorn["logconfig_dict"]["loggers"][logger]["handlers"] == ["console"]
    # Celery's own formatters (the task logger's adds the task) keep their format, on the same clock.
    from celery.app.log import TaskFormatter

    from core.logs import formatters_utc

    celery_logger = logging.getLogger("test.celery.utc")
    handler = logging.StreamHandler()
    handler.setFormatter(
        TaskFormatter("[%(asctime)s: %(levelname)s/%(processName)s] %(task_name)s %(message)s")
    )
    celery_logger.addHandler(handler)
    try:
        formatters_utc(celery_logger)
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", None, None)
        record.created = datetime(2026, 12, 1, 4, 5, 6, 789000, tzinfo=UTC).timestamp()
        record.msecs = 789
        assert handler.format(record).startswith("[2026-12-01T04:05:06.789+00:00: INFO/")
    finally:
        celery_logger.removeHandler(handler)


def test_unknown_api_address_answers_the_error_envelope(api_client, db):
    response = api_client.get("/api/v1/no-such-thing")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
