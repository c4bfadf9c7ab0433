"""Face certification jobs through one real Celery worker process: its throughput, and the time from
upload to decision (issue 15, R10), on the fixture photos of ../shared/fixtures/faces/.

    .venv/bin/python bench/face_bench.py [--jobs 200] [--load 0.5] [--compares 20]

In its own database (BENCH_DATABASE_URL, default si_face_bench, created and migrated here) it seeds, once,
`--jobs` pensioners in payment in Beijing through the services, each with a citizen account and an enabled
card whose photo, the face reference, is obama.jpg (a rerun reuses them, and seeds only those missing).
It starts one Celery worker process (the project's app in config/, prefork, concurrency 1, task events on)
on BENCH_REDIS_URL (default: REDIS_URL's server, database 13), on a queue and under a node name of this
run's own, so that no other worker takes its jobs; waits until it runs a ping, and lets it decide one
warm-up job, not counted (a worker process loads the face models on its first job). The citizens then
upload their selfies through the API (POST /api/v1/me/pension/face-jobs, multipart, with Django's test
client in this process: the commit queues `certification.face_job_run` on the broker), obama2.jpg and
biden.jpg in turn, so that every other job is accepted and the rest refused as face_mismatch. Anything
else (an upload not answered 202, a job decided otherwise, an accepted job with no certification) ends the
bench with exit status 1.

The jobs run in two phases, as one stream cannot give both figures: a stream faster than the worker
measures its throughput but turns the time to decision into time spent queueing; one slower lets the
worker idle, and measures the stream's rate.

1. saturated: the first half of the jobs uploaded one after another, as fast as the API answers (faster
   than the worker decides). Throughput per worker process: decisions / wall time from the first dequeue
   (the worker's task-started event) to the last decision (decided_at).
2. paced: the second half uploaded at a steady rate, `--load` times that throughput (or `--rate` a
   second), so that the queue stays short. Time from upload (the job's created_at) to decision
   (decided_at), p50 and p99; with its parts, in the queue (to task-started) and in the worker.

Last, with the worker stopped, for reference: the comparison alone, the province's face backend's
`compare` on the same two pairs of photos in this process, `--compares` times each (after one untimed
call), p50 and p99.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import logging
import math
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
FACES = ROOT.parent / "shared" / "fixtures" / "faces"


def _redis_database(url: str, number: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/si_face_bench")
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL") or _redis_database(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), 13
)
# The web process and the worker as production runs them: DEBUG off (no query log kept per request).
os.environ.update(
    DATABASE_URL=BENCH_DATABASE_URL,
    REDIS_URL=BENCH_REDIS_URL,
    CELERY_BROKER_URL=BENCH_REDIS_URL,
    DJANGO_DEBUG="0",
)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

import django  # noqa: E402

django.setup()

from bench_databases import database_prepare, process_env  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Role, User  # noqa: E402
from accounts.scope import Scope  # noqa: E402
from accounts.services import auth_token_issue, citizen_create  # noqa: E402
from cards.models import Card  # noqa: E402
from cards.photos import photo_check  # noqa: E402
from cards.services.cards import BankAccount, Consent, card_apply, card_enable  # noqa: E402
from cards.services.production import production_batch_create, production_batch_return  # noqa: E402
from certification.faces import face_backend_for  # noqa: E402
from certification.models import Certification, FaceJob, FaceJobStatus  # noqa: E402
from certification.services.awards import award_create  # noqa: E402
from config.celery import app  # noqa: E402
from core.batch import refusal_raise  # noqa: E402
from core.identity import IdentityNumber, check_character  # noqa: E402
from core.models import Channel  # noqa: E402
from core.states import Actor  # noqa: E402
from core.tasks import ping, ping_key  # noqa: E402
from insurance.models import Scheme  # noqa: E402
from insurance.services.persons import PersonDetails, persons_register  # noqa: E402

PROVINCE = "11"
REFERENCE, MATCHING, OTHER = "obama.jpg", "obama2.jpg", "biden.jpg"
USERNAME = "face-bench-{}"
PASSWORD = "face-bench-passphrase-not-used-7"
ACTOR = Actor(Channel.ADMIN, reference="face_bench")
UPLOAD_PATH = "/api/v1/me/pension/face-jobs"
# This run's own queue and worker name: another run's worker on the same broker never takes these jobs.
RUN = f"face-bench-{os.getpid()}"
app.conf.task_default_queue = RUN


def id_number(index: int) -> str:
    """Pensioner `index`'s ID number: Dongcheng, Beijing, born in 1950 (a thousand a birth date)."""
    born = datetime.date(1950, 1, 1) + datetime.timedelta(days=index // 1000)
    first_17 = f"110101{born:%Y%m%d}{index % 1000:03d}"
    return first_17 + check_character(first_17)


def _seed(indexes: range) -> None:
    """Pensioners `indexes`, as the services make them: registered, in payment since 2024 and certified
    eleven months ago, a card applied for with the reference photo, produced, issued and enabled, and a
    citizen account."""
    numbers = [id_number(index) for index in indexes]
    registered, refusals = persons_register(
        items=[PersonDetails(id_number=IdentityNumber.parse(n), name="面容测试") for n in numbers],
        scope=Scope(role=Role.ADMINISTRATOR),
        actor=ACTOR,
    )
    refusal_raise(refusals)
    photo = photo_check(content=(FACES / REFERENCE).read_bytes())
    certified_on = timezone.localdate() - datetime.timedelta(days=330)
    cards = []
    for position, index in enumerate(indexes):
        person_id = registered[position].person_id
        award_create(
            person_id=person_id,
            province_id=PROVINCE,
            scheme=Scheme.EMPLOYEE_PENSION,
            monthly_amount=Decimal("3000.00"),
            first_month=202401,
            certified_on=certified_on,
            inputs={},
            actor=ACTOR,
        )
        cards.append(
            card_apply(
                person_id=person_id,
                province_id=PROVINCE,
                bank=BankAccount("中国工商银行", "6222020200112233445"),
                pin="902741",
                photo=photo,
                consent=Consent(True, "face bench"),
                actor=ACTOR,
            ).pk
        )
        citizen_create(username=USERNAME.format(index), password=PASSWORD, id_number=numbers[position])
    batch = production_batch_create(province_id=PROVINCE, actor=ACTOR)
    numbers_made = Card.objects.filter(pk__in=cards).values_list("number", flat=True)
    day = timezone.localdate().isoformat()
    production_batch_return(
        batch=batch,
        content="card_number,issue_date\n" + "".join(f"{number},{day}\n" for number in numbers_made),
        actor=ACTOR,
    )
    for card in Card.objects.filter(pk__in=cards):
        card_enable(card=card, actor=ACTOR)


def pensioners_prepare(count: int) -> list[str]:
    """The first `count` bench pensioners (seeded if missing, all or none): a fresh API token for each."""
    have = User.objects.filter(username__startswith=USERNAME.format("")).count()
    if have < count:
        started = time.perf_counter()
        with transaction.atomic():
            _seed(range(have, count))
        print(f"seeded {count - have} pensioners in {time.perf_counter() - started:.1f} s")
    users = User.objects.in_bulk([USERNAME.format(index) for index in range(count)], field_name="username")
    return [auth_token_issue(user=users[USERNAME.format(index)]).token for index in range(count)]


class TaskEvents:
    """The task events of this run's worker (it runs with -E): which job each task decides (received) and
    when the worker process began it (started), by task id."""

    def __init__(self) -> None:
        self.args: dict[str, str] = {}
        self.started: dict[str, float] = {}
        self._receiver = None
        self._thread = threading.Thread(target=self._capture, daemon=True)

    def _ours(self, event: dict) -> bool:
        return str(event.get("hostname", "")).startswith(f"{RUN}@")

    def _received(self, event: dict) -> None:
        if self._ours(event) and event.get("name") == "certification.face_job_run":
            self.args[event["uuid"]] = event.get("args", "")

    def _began(self, event: dict) -> None:
        if self._ours(event):
            self.started[event["uuid"]] = event["timestamp"]

    def _capture(self) -> None:
        logging.getLogger("kombu.mixins").setLevel(logging.WARNING)  # its "Connected to" line is no figure
        with app.connection_for_read() as broker:
            self._receiver = app.events.Receiver(
                broker,
                handlers={"task-received": self._received, "task-started": self._began, "*": lambda e: None},
            )
            self._receiver.capture(limit=None, timeout=None, wakeup=False)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._receiver is not None:
            self._receiver.should_stop = True
        self._thread.join(timeout=5)

    def started_of_jobs(self) -> dict[int, float]:
        """Job id -> when the worker began deciding it (seconds since the epoch)."""
        jobs = {}
        for task_id, args in list(self.args.items()):
            if task_id in self.started:
                jobs[ast.literal_eval(args)[0]] = self.started[task_id]
        return jobs


def worker_start() -> subprocess.Popen:
    env = process_env(database_url=BENCH_DATABASE_URL, redis_url=BENCH_REDIS_URL, broker_url=BENCH_REDIS_URL)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-c", "1",
         "--pool=prefork", "-E", "-Q", RUN, "-n", f"{RUN}@%h", "--without-gossip", "--without-mingle"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )  # fmt: skip


def worker_stop(worker: subprocess.Popen) -> None:
    """The worker's process group (its pool process too): a warm shutdown, else killed."""
    try:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    except ProcessLookupError:
        pass


def queue_delete() -> None:
    """This run's queue, once its worker has stopped: the broker would keep its bindings."""
    with app.connection_for_write() as broker:
        queue = app.amqp.queues[RUN](broker.default_channel)
        queue.declare()  # a channel deletes the bindings it knows of
        queue.delete()


def worker_wait_ready(worker: subprocess.Popen, events: TaskEvents, timeout: float = 120) -> None:
    """Until the worker has run a ping from this run's queue, and its task events reach this process."""
    token = uuid.uuid4().hex
    task_id = ping.delay(token=token).id
    deadline = time.monotonic() + timeout
    while cache.get(ping_key(token)) is None or task_id not in events.started:
        if worker.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("The Celery worker did not start, or sent no task events; see its output above.")
        time.sleep(0.1)


@dataclass
class Upload:
    index: int  # the pensioner
    job_id: int
    matching: bool  # obama2.jpg, else biden.jpg
    seconds: float  # the POST, until its 202


def upload(client: Client, token: str, index: int, selfies: dict[bool, bytes]) -> Upload:
    matching = index % 2 == 0
    started = time.perf_counter()
    response = client.post(
        UPLOAD_PATH,
        {
            "method": "face_self",
            "consent": "true",
            "selfie": SimpleUploadedFile("selfie.jpg", selfies[matching], content_type="image/jpeg"),
        },
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    seconds = time.perf_counter() - started
    if response.status_code != 202:
        raise SystemExit(f"Upload of pensioner {index} answered {response.status_code}: {response.content!r}")
    return Upload(index, response.json()["id"], matching, seconds)


def wait_decided(job_ids: list[int], worker: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while FaceJob.objects.filter(pk__in=job_ids, status=FaceJobStatus.QUEUED).exists():
        if worker.poll() is not None:
            raise SystemExit("The Celery worker exited before the jobs were decided.")
        if time.monotonic() > deadline:
            raise SystemExit(f"Jobs still queued after {timeout:.0f} s.")
        time.sleep(0.05)


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def p50_p99(values: list[float]) -> str:
    return f"p50 {percentile(values, 50):.0f} ms, p99 {percentile(values, 99):.0f} ms"


@dataclass
class Phase:
    name: str
    uploads: list[Upload]
    jobs: dict[int, FaceJob]
    started: dict[int, float]  # job id -> task-started

    @property
    def accepted(self) -> int:
        return sum(job.status == FaceJobStatus.ACCEPTED for job in self.jobs.values())

    @property
    def refused(self) -> int:
        return sum(job.status == FaceJobStatus.REFUSED for job in self.jobs.values())

    @property
    def wall(self) -> float:
        """Seconds from the first dequeue to the last decision."""
        first = min(self.started[job_id] for job_id in self.jobs)
        return max(job.decided_at.timestamp() for job in self.jobs.values()) - first

    @property
    def throughput(self) -> float:
        return len(self.jobs) / self.wall

    def times_ms(self, part: str) -> list[float]:
        """Per job, in ms: `total` upload to decision, `queue` upload to dequeue, `worker` dequeue to
        decision."""
        times = []
        for job_id, job in self.jobs.items():
            created, decided = job.created_at.timestamp(), job.decided_at.timestamp()
            began = self.started[job_id]
            times.append(
                {"total": decided - created, "queue": began - created, "worker": decided - began}[part] * 1000
            )
        return times


def phase_run(
    name: str,
    indexes: range,
    tokens: list[str],
    selfies: dict[bool, bytes],
    worker: subprocess.Popen,
    events: TaskEvents,
    *,
    rate: float | None,
) -> Phase:
    """Upload a selfie for each of the pensioners `indexes`, one after another (`rate` None) or `rate` a
    second, then wait until every job is decided."""
    client = Client()
    uploads = []
    begun = time.monotonic()
    for position, index in enumerate(indexes):
        if rate is not None:
            time.sleep(max(0.0, begun + position / rate - time.monotonic()))
        uploads.append(upload(client, tokens[index], index, selfies))
    job_ids = [one.job_id for one in uploads]
    wait_decided(job_ids, worker, timeout=60 + 30 * len(job_ids))
    # Each job's events were sent as it began, before its decision: they are here, or nearly.
    deadline = time.monotonic() + 10
    while missing := [job_id for job_id in job_ids if job_id not in (started := events.started_of_jobs())]:
        if time.monotonic() > deadline:
            raise SystemExit(f"{name}: no task-started event for jobs {missing[:10]}")
        time.sleep(0.05)
    jobs = FaceJob.objects.in_bulk(job_ids)
    return Phase(name, uploads, jobs, {job_id: started[job_id] for job_id in job_ids})


def decisions_check(phases: list[Phase]) -> None:
    """Each matching selfie accepted and certified, each other refused as a mismatch; else exit 1."""
    wrong = []
    for phase in phases:
        certified = set(
            Certification.objects.filter(
                evidence__in=[f"face_job:{job_id}" for job_id in phase.jobs]
            ).values_list("evidence", flat=True)
        )
        for one in phase.uploads:
            job = phase.jobs[one.job_id]
            expected = (
                (FaceJobStatus.ACCEPTED, "") if one.matching else (FaceJobStatus.REFUSED, "face_mismatch")
            )
            if (job.status, job.reason) != expected:
                wrong.append(
                    f"job {job.pk} ({MATCHING if one.matching else OTHER}): {job.status} {job.reason}"
                )
            elif one.matching and f"face_job:{job.pk}" not in certified:
                wrong.append(f"job {job.pk}: accepted with no certification")
    if wrong:
        raise SystemExit(f"{len(wrong)} jobs not decided as expected: " + "; ".join(wrong[:10]))


def comparisons_time(selfies: dict[bool, bytes], runs: int) -> list[float]:
    """ms per comparison: the province's backend on (obama2.jpg, obama.jpg) and (biden.jpg, obama.jpg) in
    turn, `runs` times each, after one untimed call (the models load on the first)."""
    backend = face_backend_for(province_id=PROVINCE)
    reference = (FACES / REFERENCE).read_bytes()
    backend.compare(selfie=selfies[True], reference=reference)
    times = []
    for _ in range(runs):
        for matching in (True, False):
            started = time.perf_counter()
            backend.compare(selfie=selfies[matching], reference=reference)
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200, help="Jobs (and pensioners): half in each phase.")
    parser.add_argument(
        "--load", type=float, default=0.5, help="The paced phase's upload rate, as a share of the throughput."
    )
    parser.add_argument("--rate", type=float, help="The paced phase's uploads a second (instead of --load).")
    parser.add_argument("--compares", type=int, default=20, help="Timed comparisons in process, each pair.")
    args = parser.parse_args()
    if args.jobs < 4:
        parser.error("--jobs must be at least 4: each phase has a matching and another selfie.")

    database_prepare(BENCH_DATABASE_URL)
    tokens = pensioners_prepare(args.jobs)
    selfies = {True: (FACES / MATCHING).read_bytes(), False: (FACES / OTHER).read_bytes()}
    saturated_jobs = args.jobs // 2

    events = TaskEvents()
    events.start()
    booted = time.perf_counter()
    worker = worker_start()
    try:
        worker_wait_ready(worker, events)
        ready = time.perf_counter() - booted
        warm = time.perf_counter()
        warm_up = upload(Client(), tokens[0], 0, selfies)
        wait_decided([warm_up.job_id], worker, timeout=300)
        warm_seconds = time.perf_counter() - warm
        if FaceJob.objects.get(pk=warm_up.job_id).status != FaceJobStatus.ACCEPTED:
            raise SystemExit("The warm-up job (a matching selfie) was not accepted.")
        saturated = phase_run("saturated", range(saturated_jobs), tokens, selfies, worker, events, rate=None)
        rate = args.rate or args.load * saturated.throughput
        paced = phase_run(
            f"paced {rate:.2f}/s",
            range(saturated_jobs, args.jobs),
            tokens,
            selfies,
            worker,
            events,
            rate=rate,
        )
    finally:
        worker_stop(worker)
        events.stop()
        queue_delete()
    phases = [saturated, paced]
    decisions_check(phases)
    compares = comparisons_time(selfies, args.compares)
    connection.close()

    print(
        f"\n{os.cpu_count()} CPUs (load average {os.getloadavg()[0]:.1f} at the end), Python "
        f"{sys.version.split()[0]}; worker: 1 process (prefork, concurrency 1), ready in {ready:.1f} s, "
        f"warm-up job decided in {warm_seconds:.1f} s (not counted)\n"
    )
    print(
        f"{'phase':<16} {'jobs':>5} {'accepted':>8} {'refused':>7} {'decisions/s':>11}  "
        f"{'upload->decision p50/p99 ms':>27}  {'queue p50 ms':>12}  {'worker p50/p99 ms':>17}"
    )
    for phase in phases:
        total, queue, work = (phase.times_ms(part) for part in ("total", "queue", "worker"))
        print(
            f"{phase.name:<16} {len(phase.jobs):>5} {phase.accepted:>8} {phase.refused:>7} "
            f"{phase.throughput:>11.2f}  {percentile(total, 50):>13.0f} / {percentile(total, 99):>11.0f}  "
            f"{percentile(queue, 50):>12.0f}  {percentile(work, 50):>8.0f} / {percentile(work, 99):>6.0f}"
        )
    accepted = sum(phase.accepted for phase in phases)
    refused = sum(phase.refused for phase in phases)
    print(
        f"\njobs: {args.jobs}, accepted {accepted}, refused {refused}: as expected (each {MATCHING} selfie "
        f"accepted and certified, each {OTHER} one refused as face_mismatch; reference {REFERENCE})"
    )
    print(
        f"upload (POST, answered 202): {p50_p99([one.seconds * 1000 for p in phases for one in p.uploads])}"
    )
    print(
        f"throughput per worker process: {saturated.throughput:.2f} decisions/s ({len(saturated.jobs)} "
        f"decisions in {saturated.wall:.1f} s from the first dequeue to the last decision)"
    )
    print(
        f"time from upload to decision: {p50_p99(paced.times_ms('total'))} ({len(paced.jobs)} jobs uploaded "
        f"at {rate:.2f}/s, {rate / saturated.throughput:.2f} x the throughput)"
    )
    compare_rate = 1000 * len(compares) / sum(compares)
    print(
        f"comparison alone (backend.compare in this process, {len(compares)} times): {p50_p99(compares)}, "
        f"{compare_rate:.2f}/s; worker throughput / that rate: {saturated.throughput / compare_rate:.2f}"
    )


if __name__ == "__main__":
    main()
