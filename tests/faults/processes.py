"""Real server processes for the fault suite: gunicorn and Celery workers against the test database."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
CLOSED_PORT_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connections are refused


def service_env(*, application_name: str = "", **overrides: str) -> dict[str, str]:
    """The environment of a process that must see the test database and decrypt and hash identity
    numbers exactly as the test does. `application_name` tags its database sessions (pg_stat_activity)."""
    db = settings.DATABASES["default"]
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    if application_name:
        url += f"?application_name={application_name}"
    return {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "IDENTITY_ENCRYPTION_KEYS": ",".join(settings.IDENTITY_ENCRYPTION_KEYS),
        "IDENTITY_HMAC_KEY": settings.IDENTITY_HMAC_KEY,
        "IMPORT_FILE_ENCRYPTION_KEYS": ",".join(settings.IMPORT_FILE_ENCRYPTION_KEYS),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **overrides,
    }


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"Timed out waiting for {what}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    """One request; the status and body of any answer, error statuses included."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _answers(url: str) -> bool:
    try:
        http("GET", url)
    except (urllib.error.URLError, ConnectionError):
        return False
    return True


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2) -> Iterator[str]:
    """gunicorn as production runs it (platform/gunicorn.conf.py); yields its base URL."""
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - read on failure, closed in the finally below
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "platform/gunicorn.conf.py", "config.wsgi:application"],
        cwd=ROOT,
        env={
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": str(workers),
            "LOG_LEVEL": "WARNING",
        },
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(
            lambda: process.poll() is not None or _answers(f"{base}/api/health"), timeout=60, what="gunicorn"
        )
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"gunicorn exited at start: {log.read()[-3000:].decode(errors='replace')}")
        yield base
    finally:
        kill_group(process)
        log.close()


def kill_group(process: subprocess.Popen) -> None:
    """Kill the process and everything it started (its own session), and wait until all are gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    wait_for(lambda: _group_gone(process.pid), timeout=10, what="the process group to exit")


def _group_gone(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False


def start_worker(name: str, env: dict[str, str]) -> subprocess.Popen:
    """A Celery worker (one prefork process) in its own process group: parent and child die together."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-l", "warning", "-c", "1",
         "--pool=prefork", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-n", f"{name}@%h"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
