"""The benches' own databases on the server of DATABASE_URL: created if missing and migrated, and copied
whole (a seeded database serves as the template of the copies that a run changes); and the environment of
the processes a bench starts against one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent


def _server(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


def database_prepare(url: str) -> None:
    """Create the database of `url` if needed, and migrate it."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_server(url), autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )


def database_copy(url: str, name: str) -> str:
    """A new copy, named `name`, of the database of `url` (which nobody may be connected to), made
    again if it exists; returns its URL. The files are copied, which for gigabytes is much faster than
    the WAL-logged default."""
    with psycopg.connect(_server(url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}" STRATEGY FILE_COPY')
    return url.rsplit("/", 1)[0] + "/" + name


def database_drop(url: str) -> None:
    with psycopg.connect(_server(url), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def process_env(*, database_url: str, redis_url: str, broker_url: str) -> dict[str, str]:
    """The environment of a worker a bench starts: its database and broker, and this process's keys, so
    that it reads, decrypts and hashes identity numbers as the bench's seed wrote them."""
    from django.conf import settings

    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": broker_url,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "IDENTITY_ENCRYPTION_KEYS": ",".join(settings.IDENTITY_ENCRYPTION_KEYS),
        "IDENTITY_HMAC_KEY": settings.IDENTITY_HMAC_KEY,
        "IMPORT_FILE_ENCRYPTION_KEYS": ",".join(settings.IMPORT_FILE_ENCRYPTION_KEYS),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
    }
