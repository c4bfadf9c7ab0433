"""Each hostile file of the audit uploaded to a real gunicorn (as production serves): refused with its
code, no job, no stored file, no 500, and the service keeps answering its health check meanwhile."""

import json
import threading
import time

import pytest
from django.conf import settings

from accounts.services import auth_token_issue
from imports.models import ImportJob
from tests.factories import AgencyStaffFactory
from tests.faults.processes import gunicorn, http, multipart, service_env
from tests.imports.test_hostile_files import hostile_uploads

pytestmark = [
    pytest.mark.slow,
    pytest.mark.faults,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def stored_files() -> set[str]:
    folder = settings.MEDIA_ROOT / "imports"
    return {str(path) for path in folder.rglob("*")} if folder.exists() else set()


def test_each_hostile_file_is_refused_with_its_code_and_the_service_stays_up():
    token = auth_token_issue(user=AgencyStaffFactory(province="11")).token
    before = stored_files()
    figures: dict[str, dict] = {}
    health: list[tuple[int, float]] = []
    stop = threading.Event()

    with gunicorn(service_env()) as base:

        def watch_health() -> None:
            while not stop.is_set():
                started = time.monotonic()
                status, _body = http("GET", f"{base}/api/health")
                health.append((status, time.monotonic() - started))
                time.sleep(0.1)

        watcher = threading.Thread(target=watch_health)
        watcher.start()
        try:
            for hostile, (name, content, code) in hostile_uploads().items():
                body, content_type = multipart({"kind": "persons"}, name, content)
                started = time.monotonic()
                status, raw = http(
                    "POST", f"{base}/api/v1/imports", body=body,
                    headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
                )  # fmt: skip
                figures[hostile] = {
                    "bytes": len(content),
                    "status": status,
                    "code": json.loads(raw)["error"]["code"],
                    "expected": code,
                    "seconds": round(time.monotonic() - started, 2),
                }
        finally:
            stop.set()
            watcher.join()

    slowest_health = max(seconds for _status, seconds in health)
    print(f"\n[faults] hostile uploads: {json.dumps(figures)}; health answered {len(health)} times, "
          f"slowest {slowest_health:.2f} s")  # fmt: skip
    assert {name: (f["status"], f["code"]) for name, f in figures.items()} == {
        name: (400, f["expected"]) for name, f in figures.items()
    }
    assert {status for status, _seconds in health} == {200}
    assert slowest_health < 5
    assert not ImportJob.objects.exists()
    assert stored_files() == before
