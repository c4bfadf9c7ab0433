"""API read latency under load, against a bare Django view, on the 100,000-person demo data.

    .venv/bin/python bench/api_bench.py [--persons 100000] [--duration 10] [--connections 16]

What it does:
1. Makes sure a dedicated database holds the demo data: BENCH_DATABASE_URL, or DATABASE_URL with
   `_bench` added to the database name. It is created, migrated and seeded (`seed_demo --persons N`) if
   needed; seeding is idempotent, so a seeded database costs seconds.
2. Signs in a pool of citizens (bench-only users bound to demo persons) and the `agency-11` demo login,
   and writes one request per line (token and path) for each scenario.
3. Serves the API with gunicorn as in production (platform/gunicorn.conf.py, DJANGO_DEBUG=0), with the
   bare view mounted (BENCH_BARE_VIEW=1, see config/bench_urls.py).
4. Loads each scenario with wrk (a Lua script rotates tokens and ids over the pool): a warm-up, then a
   measured run. Prints req/s, p50 and p99 for each and the ratio of its req/s to the bare view's.

Targets (issue 3, requirement 9): ratio >= 0.5 and p99 <= 25 ms. wrk runs on the same machine, so on
few cores it takes CPU from the server: compare ratios, which share that handicap, more than raw rates.
The server runs on this script's interpreter: production's is an optimized build (PGO and LTO), and one
without (pyenv's default) serves Django much slower, so run it from such a build (README.md, Benchmarks).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0

WRK_SCRIPT = r"""
local items = {}
local next_item = 1
local thread_number = 0

function setup(thread)
  thread:set("offset", thread_number * 7919)
  thread_number = thread_number + 1
end

function init(args)
  for line in io.lines(args[1]) do
    local token, target, body = line:match("^(%S*)\t(%S+)\t?(.*)$")
    items[#items + 1] = {token, target, body}
  end
  next_item = (offset % #items) + 1
end

function request()
  local item = items[next_item]
  next_item = next_item % #items + 1
  local headers = {}
  if item[1] ~= "" then headers["Authorization"] = "Bearer " .. item[1] end
  if item[3] ~= "" then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", item[2], headers, item[3])
  end
  return wrk.format("GET", item[2], headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non_2xx": %d, "errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.status,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    lines: list[str]  # "token<TAB>path", or "token<TAB>path<TAB>JSON body" for a POST
    expected: str  # a key every answer's JSON holds: an answer without it is not the one measured


@dataclass(frozen=True)
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float


def bench_database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/social_insurance")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_bench"))


def database_ensure(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            print(f"Creating database {name}")
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def scenarios_prepare(pool: int) -> list[Scenario]:
    """Sign in `pool` citizens and the Beijing agency login; one request line per person."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from accounts.models import Role, User
    from accounts.services import auth_token_issue
    from insurance.models import InsuredPerson, PersonStatus, Scheme

    # Living people with pension records, spread over the whole table.
    candidates = InsuredPerson.objects.exclude(status=PersonStatus.DECEASED).filter(
        contributions__scheme=Scheme.EMPLOYEE_PENSION, contributions__period__gte=202001
    )
    count = InsuredPerson.objects.count()
    step = max(1, count // pool)
    ids = list(InsuredPerson.objects.order_by("pk").values_list("pk", flat=True))[::step]
    citizens = list(candidates.filter(pk__in=ids).distinct()[:pool])
    users = []
    for person in citizens:
        # The citizen's own login if there is one (the `citizen` demo login), else a bench-only login:
        # signed in by token below, so it needs no (slow to hash) password.
        user = User.objects.filter(id_number_hash=person.id_number_hash).first()
        if user is None:
            user = User(username=f"bench-citizen-{person.pk}", role=Role.CITIZEN)
            user.id_number = person.id_number
            user.set_unusable_password()
            user.save()
        users.append((person, auth_token_issue(user=user).token))

    agency = User.objects.get(username="agency-11")
    agency_token = auth_token_issue(user=agency).token
    beijing = list(
        InsuredPerson.objects.filter(relationships__province_id="11")
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
    beijing = beijing[:: max(1, len(beijing) // pool)][:pool]
    return [
        Scenario("bare view (same person row)", [f"\t/bench/bare/persons/{p.pk}" for p, _ in users], "name"),
        Scenario("citizen profile", [f"{token}\t/api/v1/me/profile" for _, token in users], "id_number"),
        Scenario(
            "citizen contributions, page 1",
            [f"{token}\t/api/v1/me/contributions" for _, token in users],
            "results",
        ),
        Scenario(
            "agency person detail",
            [f"{agency_token}\t/api/v1/agency/persons/{pk}" for pk in beijing],
            "id_number",
        ),
    ]


def server_start(env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen(
        [
            Path(PYTHON).with_name("gunicorn"),
            "-c",
            "platform/gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "config.wsgi",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ready", timeout=2) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit(f"gunicorn did not become healthy; see {log}")


def answers_check(scenario: Scenario, port: int, sample: int = 20) -> None:
    """Ask a sample of the scenario's requests once and refuse to measure unless each answers 200 with
    the expected result."""
    for line in scenario.lines[:: max(1, len(scenario.lines) // sample)]:
        token, path, *body = line.split("\t")
        data = body[0].encode() if body else None
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = json.loads(response.read())
        except (OSError, ValueError) as failure:
            raise SystemExit(
                f"{scenario.name}: {path} failed before the load ({failure}); nothing measured."
            ) from None
        if scenario.expected not in body or not body[scenario.expected]:
            raise SystemExit(
                f"{scenario.name}: {path} answered without {scenario.expected!r}; nothing measured."
            )


def wrk_run(script: Path, data: Path, port: int, *, seconds: int, connections: int, threads: int) -> dict:
    output = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            f"http://127.0.0.1:{port}",
            "--",
            str(data),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--duration", type=int, default=10, help="Seconds measured per scenario.")
    parser.add_argument("--warmup", type=int, default=2, help="Seconds of unmeasured load first.")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads.")
    parser.add_argument("--pool", type=int, default=500, help="Distinct citizens and persons to rotate.")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed. On Debian or Ubuntu: sudo apt-get install -y wrk; "
            "on macOS: brew install wrk."
        )
    url = bench_database_url()
    os.environ["DATABASE_URL"] = url
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_DEBUG": "0", "BENCH_BARE_VIEW": "1"}
    database_ensure(url)
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "seed_demo", "--persons", str(args.persons), "--seed", str(args.seed))
    scenarios = scenarios_prepare(args.pool)

    with tempfile.TemporaryDirectory(prefix="api-bench-") as tmp:
        work = Path(tmp)
        script = work / "rotate.lua"
        script.write_text(WRK_SCRIPT)
        server = server_start(env, args.port, work / "gunicorn.log")
        try:
            results = []
            for scenario in scenarios:
                data = work / f"{len(results)}.tsv"
                data.write_text("\n".join(scenario.lines) + "\n")
                common = {"connections": args.connections, "threads": args.threads}
                answers_check(scenario, args.port)
                wrk_run(script, data, args.port, seconds=args.warmup, **common)
                raw = wrk_run(script, data, args.port, seconds=args.duration, **common)
                if raw["non_2xx"] or raw["errors"]:
                    # A rate of failed requests measures nothing: no figure is printed from it.
                    raise SystemExit(
                        f"{scenario.name}: {raw['non_2xx']} non-2xx answers and {raw['errors']} socket "
                        f"errors in {raw['requests']} requests; no figures reported. See the server's log."
                    )
                results.append(
                    Result(
                        name=scenario.name,
                        requests_per_second=raw["requests"] / (raw["duration_us"] / 1e6),
                        p50_ms=raw["p50_us"] / 1000,
                        p99_ms=raw["p99_us"] / 1000,
                    )
                )
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    report(results, args, pool=min(len(s.lines) for s in scenarios))


def report(results: list[Result], args, *, pool: int) -> None:
    bare = results[0].requests_per_second
    print(
        f"\n{args.persons:,} persons, {args.connections} connections, {args.duration} s per scenario after "
        f"{args.warmup} s warm-up, {pool} distinct people rotated, {os.cpu_count()} CPUs "
        f"(load average {os.getloadavg()[0]:.1f} at the end)\n"
        f"Server interpreter: Python {sys.version.split()[0]} at {sys.executable} "
        "(production's image runs an optimized build: see README.md, Benchmarks)\n"
    )
    print(f"{'scenario':<32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}  target")
    for result in results:
        ratio = result.requests_per_second / bare
        met = result is results[0] or (ratio >= TARGET_RATIO and result.p99_ms <= TARGET_P99_MS)
        print(
            f"{result.name:<32} {result.requests_per_second:8.0f} {result.p50_ms:8.2f} {result.p99_ms:8.2f} "
            f"{ratio:6.2f}  {'-' if result is results[0] else 'met' if met else 'MISSED'}"
        )


if __name__ == "__main__":
    main()
