"""Reader + validator throughput on a generated contributions CSV (no database writes).

    .venv/bin/python bench/import_parse_bench.py [--rows 1000000] [--persons 100000]

Prints the rows/s of `file_count`, the job's first pass (encoding of every line, row count), and of
`file_validate` (parse and validate every row), by wall-clock and by CPU time of this single-threaded process.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from core.identity import check_character  # noqa: E402
from imports.kinds import ImportKind  # noqa: E402
from imports.validation import file_count, file_prepare, file_validate  # noqa: E402

EMPLOYERS = ("91110000600037341L", "91310000MA1FL6KA3H", "")
SCHEMES = ("EP", "EM", "UI", "WI")


def person_ids(count: int, rng: random.Random) -> list[str]:
    ids = []
    for sequence in range(count):
        birth = f"{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
        first_17 = f"11{sequence // 1000:04d}{birth}{sequence % 1000:03d}"  # unique per person
        ids.append(first_17 + check_character(first_17))
    return ids


def contributions_csv(path: Path, *, rows: int, persons: int) -> None:
    """`rows` distinct (person, scheme, period) rows: each person pays several schemes over many months."""
    rng = random.Random(4)
    ids = person_ids(persons, rng)
    per_person = rows // persons
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("id_number,scheme,period,base,payment_type,employer_code,temporary_account\n")
        for id_number in ids:
            base = f"{rng.randint(4000, 30000)}.{rng.randint(0, 99):02d}"
            employer = rng.choice(EMPLOYERS)
            for index in range(per_person):
                scheme = SCHEMES[index % len(SCHEMES)]
                month = index // len(SCHEMES)
                period = (2010 + month // 12) * 100 + month % 12 + 1
                out.write(f"{id_number},{scheme},{period},{base},normal,{employer},false\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--persons", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "contributions.csv"
        contributions_csv(path, rows=args.rows, persons=args.persons)
        print(f"file: {path.stat().st_size / 1e6:.1f} MB, {args.rows:,} rows, {args.persons:,} persons")

        wall, cpu = time.perf_counter(), time.process_time()
        prepared = file_count(prepared=file_prepare(source=path, kind=ImportKind.CONTRIBUTIONS))
        report("file_count", prepared.row_count, wall, cpu)

        wall, cpu = time.perf_counter(), time.process_time()
        accepted = rejected = 0
        for chunk in file_validate(prepared=prepared):
            accepted += len(chunk.rows)
            rejected += chunk.rejected
        report("file_validate", prepared.row_count, wall, cpu)
        print(f"accepted {accepted:,}, rejected {rejected:,}")
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        print(f"peak memory (whole process): {peak_kib / 1024:.0f} MiB")


def report(step: str, rows: int, wall_started: float, cpu_started: float) -> None:
    # CPU time is the per-core figure; wall time also counts whatever else the machine is doing.
    wall = time.perf_counter() - wall_started
    cpu = time.process_time() - cpu_started
    print(
        f"{step:14} wall {wall:5.2f} s {rows / wall:9,.0f} rows/s, cpu {cpu:5.2f} s {rows / cpu:9,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
