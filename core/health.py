"""What the operators' endpoints report: each dependency of the service, and whether this instance is ready.

The worker and beat prove they are alive with heartbeats in the shared cache: each Celery worker's main
process writes one every WORKER_HEARTBEAT_SECONDS (config.celery's bootstep), beat one at every tick of its
scheduler (core.scheduler). Reading them costs one cache read, so the health check never waits on the
broker for a worker's answer.
"""

from __future__ import annotations

import logging
import time
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import redis
from django.conf import settings
from django.core.cache import cache as shared_cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

logger = logging.getLogger(__name__)

WORKER_HEARTBEAT_SECONDS = 30
# A component whose last heartbeat is older than this is reported unavailable: a few missed beats.
WORKER_STALE_SECONDS = 3 * WORKER_HEARTBEAT_SECONDS
# Beat ticks at least every few seconds (the scheduler's max_interval) even with nothing due.
BEAT_STALE_SECONDS = 60
_MIGRATIONS_CHECK_SECONDS = 30


def heartbeat_key(component: str) -> str:
    return f"core:heartbeat:{component}"


def heartbeat_record(component: str) -> None:
    """Note that `component` ("worker", "beat") is alive now. A cache outage is logged, never raised: the
    component keeps working, and the health check reports it as unseen."""
    try:
        shared_cache.set(heartbeat_key(component), time.time(), timeout=24 * 3600)
    except Exception:
        logger.warning("Could not record the %s heartbeat", component, exc_info=True)


def heartbeat_last(component: str) -> datetime | None:
    try:
        seen = shared_cache.get(heartbeat_key(component))
    except Exception:
        logger.warning("Could not read the %s heartbeat", component, exc_info=True)
        return None
    return None if seen is None else datetime.fromtimestamp(float(seen), tz=UTC)


def database_status() -> str:
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        logger.exception("Health check: database unavailable")
        return "unavailable"


def broker_status() -> str:
    try:
        with redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2
        ) as client:
            client.ping()
        return "ok"
    except redis.RedisError:
        logger.exception("Health check: broker unavailable")
        return "unavailable"


@dataclass(frozen=True, slots=True)
class Heartbeat:
    status: str  # "ok" or "unavailable"
    last_seen: datetime | None


def heartbeat_status(component: str, *, stale_after: float) -> Heartbeat:
    last = heartbeat_last(component)
    fresh = last is not None and (time.time() - last.timestamp()) <= stale_after
    return Heartbeat("ok" if fresh else "unavailable", last)


@dataclass(frozen=True, slots=True)
class Migrations:
    status: str  # "ok", "pending" (the schema is older than the code) or "unavailable"
    pending: tuple[str, ...]


_migrations_checked: tuple[float, Migrations] | None = None


def migrations_status() -> Migrations:
    """The migrations this code has that the database has not applied. Reading the migration files takes
    a while, so an answer is reused for _MIGRATIONS_CHECK_SECONDS."""
    global _migrations_checked
    now = time.monotonic()
    if _migrations_checked and now - _migrations_checked[0] < _MIGRATIONS_CHECK_SECONDS:
        return _migrations_checked[1]
    try:
        executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception:
        logger.exception("Health check: cannot read the applied migrations")
        return Migrations("unavailable", ())
    pending = tuple(f"{migration.app_label}.{migration.name}" for migration, _ in plan)
    result = Migrations("pending" if pending else "ok", pending)
    _migrations_checked = (now, result)
    return result


@cache
def version() -> str:
    """The platform's version, as pyproject.toml gives it."""
    with (settings.BASE_DIR / "pyproject.toml").open("rb") as file:
        return str(tomllib.load(file)["project"]["version"])
