"""A full run leaves no ID number in any log (issue 11, R4): gunicorn as in production (platform/
gunicorn.conf.py) and a Celery worker, both at DEBUG, get real ID numbers in URLs (the refused search
parameter, a path, the admin's search box), in request bodies, in refused requests, in task arguments and
in a task's traceback. Every line they write is then read: no ID-shaped text is left, and the lines that
carried one are there, masked."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import requests
from django.conf import settings

from config.celery import app as celery_app
from core.log_masking import MASK_18, id_numbers_masked
from insurance.models import Scheme
from tests.factories import (
    DEFAULT_PASSWORD,
    AdministratorFactory,
    AgencyStaffFactory,
    make_id_number,
    open_relationship,
    register_person,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

ROOT = Path(__file__).resolve().parent.parent
ID_SHAPED = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])|(?<![0-9])[0-9]{15}(?![0-9])")


def _env() -> dict[str, str]:
    """The processes see the test database and use our keys, at the most talkative log level."""
    db = settings.DATABASES["default"]
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "IDENTITY_ENCRYPTION_KEYS": ",".join(settings.IDENTITY_ENCRYPTION_KEYS),
        "IDENTITY_HMAC_KEY": settings.IDENTITY_HMAC_KEY,
        "LOG_LEVEL": "DEBUG",
        "WEB_CONCURRENCY": "1",
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            cwd=ROOT,
            env=_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the master and its children stop together
        )


def _stop(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _wait_for(condition, *, what: str, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen"
        time.sleep(0.3)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def test_a_full_run_writes_no_id_number_to_any_log(tmp_path, configured_years):
    person = register_person(id_number=make_id_number(sequence=11), name="王小明")
    open_relationship(person=person, scheme=Scheme.EMPLOYEE_PENSION, province_id="11", opened_period=202401)
    staff, admin = AgencyStaffFactory(province="11"), AdministratorFactory()
    known = person.id_number
    nobody = make_id_number(province="44", sequence=5)
    with_x = next(make_id_number(sequence=n) for n in range(100) if make_id_number(sequence=n).endswith("X"))
    numbers = [known, nobody, with_x]

    port = _free_port()
    web_log, worker_log = tmp_path / "gunicorn.log", tmp_path / "worker.log"
    web = _spawn(
        ["gunicorn", "-c", "platform/gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "config.wsgi"], web_log
    )
    worker = _spawn(
        ["celery", "-A", "config", "worker", "-l", "debug", "-c", "1", "--without-gossip", "--without-mingle",
         "--without-heartbeat", "-n", f"logs-{port}@%h"],
        worker_log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _answers(f"{base}/api/ready"), what="gunicorn answering")
        token = requests.post(
            f"{base}/api/v1/auth/login",
            json={"username": staff.username, "password": DEFAULT_PASSWORD},
            timeout=10,
        ).json()["token"]
        api = requests.Session()
        api.headers["Authorization"] = f"Bearer {token}"

        # In URLs: the refused search parameter (as typed, and percent-encoded), and a path.
        refused = api.get(f"{base}/api/v1/agency/persons", params={"id_number": known}, timeout=10)
        assert refused.json()["error"]["code"] == "id_number_in_url"
        encoded = "".join(f"%{ord(c):02X}" for c in nobody)
        assert (
            api.get(f"{base}/api/v1/agency/persons?name=王&id_number={encoded}", timeout=10).status_code
            == 400
        )
        assert api.get(f"{base}/api/v1/agency/persons/{known}", timeout=10).status_code == 404
        # In bodies: found, not found, refused, and an error that names the field.
        lookup = f"{base}/api/v1/agency/persons/lookup"
        assert api.post(lookup, json={"id_number": known}, timeout=10).json()["id"] == person.pk
        assert api.post(lookup, json={"id_number": nobody}, timeout=10).status_code == 404
        assert api.post(
            lookup, json={"id_number": known[:-1] + "0" * (known[-1] != "0")}, timeout=10
        ).status_code
        registration = api.post(
            f"{base}/api/v1/agency/registrations", json={"id_number": with_x, "name": ""}, timeout=10
        )
        assert registration.status_code == 400

        # The admin's search box, whose query travels in the URL.
        admin_site = requests.Session()
        admin_site.get(f"{base}/admin/login/", timeout=10)
        signed_in = admin_site.post(
            f"{base}/admin/login/?next=/admin/",
            data={
                "username": admin.username,
                "password": DEFAULT_PASSWORD,
                "csrfmiddlewaretoken": admin_site.cookies["csrftoken"],
            },
            timeout=10,
        )
        assert signed_in.url.endswith("/admin/"), "the administrator did not sign in"
        search = admin_site.get(f"{base}/admin/insurance/insuredperson/", params={"q": known}, timeout=10)
        assert search.status_code == 200
        assert person.id_number_masked in search.text  # found through the keyed hash

        # In the worker: a task's arguments, an unknown task's whole message, and a traceback.
        celery_app.send_task("core.ping", kwargs={"token": with_x})
        celery_app.send_task("insurance.no_such_task", args=[known])
        celery_app.send_task("imports.run_job", args=[with_x])
        _wait_for(
            lambda: (
                "imports.run_job" in worker_log.read_text() and "raised unexpected" in worker_log.read_text()
            ),
            what="the worker running the tasks",
        )
    finally:
        _stop(web)
        _stop(worker)

    logs = {path.name: path.read_text() for path in (web_log, worker_log)}
    for name, text in logs.items():
        assert ID_SHAPED.findall(text) == [], name
        assert id_numbers_masked(text) == text, name
        for number in numbers:
            for form in (number, number.lower(), urllib.parse.quote(number)):
                assert form not in text, (name, form)
    access = logs["gunicorn.log"]
    # The lines that carried a number were written, masked.
    assert f'"GET /api/v1/agency/persons?id_number={MASK_18} HTTP/1.1" 400' in access
    assert f"/api/v1/agency/persons?name=%E7%8E%8B&id_number={MASK_18} HTTP/1.1" in access
    assert f"Not Found: /api/v1/agency/persons/{MASK_18}" in access
    assert f'"GET /admin/insurance/insuredperson/?q={MASK_18} HTTP/1.1" 200' in access
    assert '"POST /api/v1/agency/persons/lookup HTTP/1.1" 200' in access
    worker_text = logs["worker.log"]
    assert "Received unregistered task of type 'insurance.no_such_task'" in worker_text
    assert MASK_18 in worker_text
