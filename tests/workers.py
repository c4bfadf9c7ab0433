"""A pytest plugin for running the suite in parallel (pytest-xdist, `make test`): each worker process gets
its own Redis database and media folder beside its own test database (pytest-django names that one), so
that one worker's Celery processes never take another's tasks, and a worker's check that no file was
stored sees its own files only.

Loaded by `-p` (pyproject.toml), so that it runs before pytest-django reads the settings: the Redis URL
is chosen from the environment when the settings are read."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... in a worker; unset otherwise


def _redis_database_of_worker(url: str, worker: int) -> str:
    """The URL of the database `worker` + 1 databases after `url`'s (Redis has 16 by default)."""
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + 1 + worker
    if database > 15:
        raise RuntimeError(f"Too many test workers for Redis's 16 databases: worker {worker} of {url}.")
    return urlunsplit(parts._replace(path=f"/{database}"))


if WORKER:
    index = int(WORKER.removeprefix("gw"))
    for variable in ("REDIS_URL", "CELERY_BROKER_URL"):
        if variable in os.environ:
            os.environ[variable] = _redis_database_of_worker(os.environ[variable], index)
    if "REDIS_URL" not in os.environ:
        os.environ["REDIS_URL"] = _redis_database_of_worker("redis://127.0.0.1:6379/0", index)


def pytest_configure(config) -> None:
    if WORKER:
        from django.conf import settings

        settings.MEDIA_ROOT = Path(settings.MEDIA_ROOT) / WORKER
