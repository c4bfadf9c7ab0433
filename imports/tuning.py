"""Interpreter settings for the processes that run import jobs: the Celery worker (config/celery.py) and
the `import_file` command. Set once when the process starts, never from inside a service."""

from __future__ import annotations

import resource
import sys

from django.conf import settings

# Seconds. A job's writer waits for the interpreter lock after each database round trip, while its
# read-ahead thread (imports.services._read_ahead) validates the next chunk and keeps the lock for up to
# the switch interval (5 ms by default): with a dozen round trips per chunk, a shorter interval lets the
# writer go on sooner.
READ_AHEAD_SWITCH_INTERVAL = 0.0005


def interpreter_tune(**_signal: object) -> None:
    """Shorten the interpreter's switch interval for this process. Takes (and ignores) the keyword
    arguments of the Celery signal it is connected to."""
    sys.setswitchinterval(READ_AHEAD_SWITCH_INTERVAL)


def address_space_limit(limit: int) -> None:
    """Cap this process's address space at `limit` bytes (0: no cap). The hard limit is left as it is,
    so a process can never raise its own cap beyond what it was started with."""
    if not limit:
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(
        resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard)
    )


def memory_limit_apply(**_signal: object) -> None:
    """Cap this process at IMPORT_WORKER_MEMORY_LIMIT_BYTES, so that an input needing more fails its job
    with import_memory_limit (a MemoryError, imports.services) instead of taking the machine's memory
    from the other processes. Takes (and ignores) the keyword arguments of the Celery signal it is
    connected to."""
    address_space_limit(settings.IMPORT_WORKER_MEMORY_LIMIT_BYTES)
