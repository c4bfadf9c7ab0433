"""Interpreter settings for the processes that run import jobs: the Celery worker (config/celery.py) and
the `import_file` command. Set once when the process starts, never from inside a service."""

from __future__ import annotations

import sys

# Seconds. A job's writer waits for the interpreter lock after each database round trip, while its
# read-ahead thread (imports.services._read_ahead) validates the next chunk and keeps the lock for up to
# the switch interval (5 ms by default): with a dozen round trips per chunk, a shorter interval lets the
# writer go on sooner.
READ_AHEAD_SWITCH_INTERVAL = 0.0005


def interpreter_tune(**_signal: object) -> None:
    """Shorten the interpreter's switch interval for this process. Takes (and ignores) the keyword
    arguments of the Celery signal it is connected to."""
    sys.setswitchinterval(READ_AHEAD_SWITCH_INTERVAL)
