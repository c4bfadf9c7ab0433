"""The benches' own databases on the server of DATABASE_URL: created if missing and migrated, and copied
whole (a seeded database serves as the template of the copies that a run changes)."""

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
