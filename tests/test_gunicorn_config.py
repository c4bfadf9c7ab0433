"""platform/gunicorn.conf.py: what production (docker compose, `make run`) serves the API with."""

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
