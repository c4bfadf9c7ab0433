"""The benchmarks run, at a small size, and their checks pass: a bench whose two sides stopped agreeing
fails here, not on the day someone wants its figures."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.faults.processes import service_env

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


@pytest.mark.slow
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_face_bench_decides_each_job_as_expected_and_prints_its_figures():
    # It starts a worker process: on the test database, migrated already, as the fault suite's processes;
    # the test's end empties it. Its broker: the bench's default, on a queue of the run's own.
    output = _bench_run(
        "face_bench.py", "--jobs", "4", "--compares", "1", database_url=service_env()["DATABASE_URL"]
    )
    for figures in (
        r"jobs: 4, accepted 2, refused 2: as expected",
        r"throughput per worker process: \d+\.\d\d decisions/s \(2 decisions in \d+\.\d s from the first",
        r"time from upload to decision: p50 \d+ ms, p99 \d+ ms \(2 jobs uploaded at \d+\.\d\d/s",
        r"comparison alone \(backend\.compare in this process, 2 times\): p50 \d+ ms, p99 \d+ ms",
    ):
        assert re.search(f"^{figures}", output, re.MULTILINE), output
