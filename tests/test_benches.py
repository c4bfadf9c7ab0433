"""The benchmarks run, at a small size, and their checks pass: a bench whose two sides stopped agreeing
fails here, not on the day someone wants its figures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench_database(name: str) -> str:
    server = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return f"{server}/{name}_{os.getpid()}"


@pytest.fixture
def bench_database_url(request):
    url = _bench_database(f"bench_{request.node.name[5:40]}")
    yield url
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


def _bench_run(script: str, *arguments: str, database_url: str) -> str:
    finished = subprocess.run(
        [sys.executable, f"bench/{script}", *arguments],
        cwd=ROOT,
        env={**os.environ, "BENCH_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert finished.returncode == 0, finished.stdout + finished.stderr
    return finished.stdout


def test_the_certification_bench_finds_both_sides_equal(bench_database_url):
    output = _bench_run("certification_bench.py", "--pensioners", "2000", database_url=bench_database_url)
    assert "2,000 pensioners, 24,000 award months, 200 death records" in output
    assert "both copies end with the same rows in: people," in output
    assert "awards stopped           200" in output
    assert "ratio" in output
