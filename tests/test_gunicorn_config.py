"""platform/gunicorn.conf.py: what production (docker compose, `make run`) serves the API with."""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
CONFIG = BASE_DIR / "platform" / "gunicorn.conf.py"

# Runs the master's hooks as gunicorn would: after loading the application, before forking a worker.
MASTER_HOOKS = f"""
import gc, runpy, sys
config = runpy.run_path({str(CONFIG)!r})
from config.wsgi import application
loaded_before = "insurance.apis" in sys.modules
config["when_ready"](None)
config["pre_fork"](None, None)
print(loaded_before, "insurance.apis" in sys.modules, gc.get_freeze_count() > 0)
"""


def test_the_master_loads_every_view_and_freezes_it_before_forking():
    result = subprocess.run(
        [sys.executable, "-c", MASTER_HOOKS], cwd=BASE_DIR, capture_output=True, text=True, timeout=120
    )

    assert result.returncode == 0, result.stderr
    # Loading the application alone leaves the URL configuration (every view) to the first request.
    assert result.stdout.split() == ["False", "True", "True"]


# Runs the worker's hook as gunicorn would after forking, then tries to allocate past the ceiling.
WORKER_HOOK = f"""
import resource, runpy
config = runpy.run_path({str(CONFIG)!r})
config["post_fork"](None, None)
print(resource.getrlimit(resource.RLIMIT_AS)[0])
try:
    bytearray(2 * 1024**3)
except MemoryError:
    print("MemoryError")
"""


def test_each_worker_has_a_memory_ceiling_that_refuses_an_allocation_beyond_it():
    result = subprocess.run(
        [sys.executable, "-c", WORKER_HOOK],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "WEB_MEMORY_LIMIT_BYTES": str(1024**3)},
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(1024**3), "MemoryError"]
