"""End-to-end import throughput against a raw COPY of the same file.

    .venv/bin/python bench/import_bench.py [--rows 1000000] [--persons 100000]

In its own database (BENCH_DATABASE_URL, default si_import_bench, created and migrated here) it registers
the persons with an open employee-pension relationship in Beijing (bulk SQL, not timed), writes a
contributions CSV, uploads it through `import_upload` and lets a real Celery worker run the job, sampling
the worker process tree's memory. Then it times a raw `COPY` of the same CSV into a bare table with the
same unique key, and prints rows/s for both, their ratio and the worker's peak memory.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/si_import_bench"
)
os.environ["DATABASE_URL"] = BENCH_DATABASE_URL
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import django  # noqa: E402

django.setup()


import psutil  # noqa: E402
from bench_databases import database_prepare as bench_database_prepare  # noqa: E402
from bench_databases import process_env  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.files import File  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402
from import_parse_bench import person_ids  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from core.crypto import encrypt_text, keyed_hash  # noqa: E402
from core.identity import IdentityNumber  # noqa: E402
from core.tasks import ping, ping_key  # noqa: E402
from imports.models import IMPORT_FINISHED_STATES, ImportJob  # noqa: E402
from imports.services import import_upload  # noqa: E402
from insurance.models import Employer  # noqa: E402
from insurance.services.tariffs import province_year_config_create  # noqa: E402

PROVINCE = "11"
EMPLOYER_CODE = "91110000600037341L"
HEADER = "id_number,scheme,period,base,payment_type,employer_code,temporary_account\n"


def database_prepare() -> None:
    """Create the bench database if needed, migrate it, and empty what a previous run left."""
    bench_database_prepare(BENCH_DATABASE_URL)
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE insurance_insuredperson, insurance_contributionrecord, imports_importjob, "
            "insurance_employer, insurance_provinceyearconfig CASCADE"
        )
        cursor.execute("DROP TABLE IF EXISTS bench_raw_contribution")


def registry_prepare(id_numbers: list[str]) -> User:
    """Persons, their pension relationships, the province-year figures, one employer, one uploader."""
    now = timezone.now()
    with connection.cursor() as cursor:
        with cursor.copy(
            "COPY insurance_insuredperson (id_number_ciphertext, id_number_hash, name, sex, birth_date, "
            "hukou_province_id, phone, status, created_at, updated_at) FROM STDIN"
        ) as copy:
            for number in id_numbers:
                parsed = IdentityNumber(number)
                copy.write_row(
                    (
                        encrypt_text(number), keyed_hash(number), "测试", parsed.sex.value,
                        parsed.birth_date, PROVINCE, "", "active", now, now,
                    )
                )  # fmt: skip
        cursor.execute(
            """INSERT INTO insurance_insurancerelationship
                      (person_id, scheme, province_id, status, is_temporary_account, opened_period,
                       updated_at)
               SELECT id, 'EP', %s, 'paying', false, 202001, NOW() FROM insurance_insuredperson""",
            [PROVINCE],
        )
        cursor.execute("ANALYZE insurance_insuredperson; ANALYZE insurance_insurancerelationship")
    for year in (2023, 2024):
        province_year_config_create(province_id=PROVINCE, year=year, average_monthly_wage=Decimal("10000.00"))
    Employer.objects.create(code=EMPLOYER_CODE, name="Bench Co.", province_id=PROVINCE)
    user, _ = User.objects.get_or_create(
        username="bench-import-system", defaults={"role": Role.AGENCY_SYSTEM, "province_id": PROVINCE}
    )
    return user


def contributions_csv(path: Path, id_numbers: list[str], *, rows: int) -> None:
    """Each person pays `rows / persons` consecutive months of employee pension, from January 2023."""
    rng = random.Random(7)
    per_person = rows // len(id_numbers)
    periods = [2023_00 + 100 * (month // 12) + month % 12 + 1 for month in range(per_person)]
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER)
        for number in id_numbers:
            base = f"{rng.randint(4000, 30000)}.{rng.randint(0, 99):02d}"
            out.writelines(
                f"{number},EP,{period},{base},normal,{EMPLOYER_CODE},false\n" for period in periods
            )


class PeakMemory:
    """Samples every 0.2 s the resident memory of a process and all its children, and the CPU time they and
    the bench database's server processes have used: on a shared machine CPU seconds are steadier than
    wall time."""

    def __init__(self, pid: int, database: str) -> None:
        self.process = psutil.Process(pid)
        self.database = database
        self.peak = 0
        self._cpu: dict[int, float] = {}  # pid -> CPU seconds, worker tree
        self._server_cpu: dict[int, float] = {}  # pid -> CPU seconds, database server processes
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @property
    def worker_cpu(self) -> float:
        return sum(self._cpu.values())

    @property
    def server_cpu(self) -> float:
        return sum(self._server_cpu.values())

    def _sample(self) -> None:
        while not self._stop.is_set():
            total = 0
            for process in [self.process, *self.process.children(recursive=True)]:
                with contextlib.suppress(psutil.NoSuchProcess):
                    total += process.memory_info().rss
                    times = process.cpu_times()
                    self._cpu[process.pid] = times.user + times.system
            self.peak = max(self.peak, total)
            for process in psutil.process_iter(["cmdline"]):
                if self.database in " ".join(process.info["cmdline"] or ()).split():
                    with contextlib.suppress(psutil.NoSuchProcess):
                        times = process.cpu_times()
                        self._server_cpu[process.pid] = times.user + times.system
            self._stop.wait(0.2)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def worker_start() -> subprocess.Popen:
    env = process_env(
        database_url=BENCH_DATABASE_URL, redis_url=settings.REDIS_URL, broker_url=settings.CELERY_BROKER_URL
    )
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-c", "1",
         "--pool=prefork", "--without-gossip", "--without-mingle", "-n", "import-bench@%h"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip


def worker_wait_ready(worker: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until the worker has run a ping task: what is timed is the import, not the worker's boot."""
    token = uuid.uuid4().hex
    ping.delay(token=token)
    deadline = time.monotonic() + timeout
    while cache.get(ping_key(token)) is None:
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("The Celery worker did not start; see its output above.")
        time.sleep(0.1)


def job_import(path: Path, user: User) -> tuple[float, float, PeakMemory, ImportJob]:
    """Upload and run through a real worker, once it is ready. Returns (end-to-end seconds, worker
    seconds, samples, job)."""
    worker = worker_start()
    try:
        worker_wait_ready(worker)
        with PeakMemory(worker.pid, settings.DATABASES["default"]["NAME"]) as memory:
            started = time.perf_counter()
            with path.open("rb") as stored:
                job, _ = import_upload(
                    user=user,
                    kind="contributions",
                    province_id=PROVINCE,
                    uploaded=File(stored, name=path.name),
                    enqueue=True,
                )
            while job.state not in IMPORT_FINISHED_STATES:
                time.sleep(0.05)
                job.refresh_from_db()
            elapsed = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    return elapsed, (job.finished_at - job.started_at).total_seconds(), memory, job


def raw_copy(path: Path) -> float:
    with connection.cursor() as cursor:
        cursor.execute(
            """CREATE TABLE bench_raw_contribution (
                   id_number text, scheme text, period integer, base numeric(12, 2), payment_type text,
                   employer_code text, temporary_account boolean, UNIQUE (id_number, scheme, period))"""
        )
        started = time.perf_counter()
        with (
            path.open("rb") as source,
            cursor.copy("COPY bench_raw_contribution FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while block := source.read(1 << 20):
                copy.write(block)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=100_000)
    args = parser.parse_args()
    database_prepare()
    id_numbers = person_ids(args.persons, random.Random(4))
    user = registry_prepare(id_numbers)
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "contributions.csv"
        contributions_csv(path, id_numbers, rows=args.rows)
        rows = args.rows // args.persons * args.persons
        print(f"file: {path.stat().st_size / 1e6:.1f} MB, {rows:,} rows, {args.persons:,} persons")

        elapsed, worker_seconds, samples, job = job_import(path, user)
        print(
            f"job {job.pk}: {job.state}, {job.rows_accepted:,} accepted, {job.rows_rejected:,} rejected, "
            f"{job.chunks.count()} chunks"
        )
        print(f"import (upload + worker): {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s")
        print(f"import (worker only):     {worker_seconds:.1f} s, {rows / worker_seconds:,.0f} rows/s")
        copy_seconds = raw_copy(path)
        print(f"raw COPY:                 {copy_seconds:.1f} s, {rows / copy_seconds:,.0f} rows/s")
        print(f"ratio (upload + worker / raw COPY): {copy_seconds / elapsed:.3f}  (target >= 0.25)")
        print(f"ratio (worker only / raw COPY):     {copy_seconds / worker_seconds:.3f}")
        print(f"worker peak RSS (process tree): {samples.peak / 2**20:.0f} MB  (target < 500 MB)")
        cpu = samples.worker_cpu + samples.server_cpu
        print(
            f"CPU: worker tree {samples.worker_cpu:.1f} s + database server {samples.server_cpu:.1f} s "
            f"= {cpu:.1f} s, {rows / cpu:,.0f} rows per CPU second"
        )


if __name__ == "__main__":
    main()
