import os
import sys
from typing import Any

from celery import Celery, bootsteps
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    worker_init,
    worker_process_init,
    worker_ready,
)

from core.log_masking import handlers_masked
from core.logs import formatters_utc
from imports.tuning import interpreter_tune, memory_limit_apply

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("social_insurance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Import jobs run in the worker: tune the interpreter once per process that runs tasks, the worker itself
# (solo and thread pools) and each process of a prefork pool.
worker_init.connect(interpreter_tune)
worker_process_init.connect(interpreter_tune)
# Each process of the pool that runs the jobs has a memory ceiling (IMPORT_WORKER_MEMORY_LIMIT_BYTES).
worker_process_init.connect(memory_limit_apply)


@worker_init.connect
def refuse_keys_that_do_not_match_the_data(**_signal: object) -> None:
    """A worker with other identity keys would fail every row it reads: it does not start (core.keys)."""
    import django

    django.setup()  # idempotent; Celery's own Django set-up comes after this signal
    from django.core.exceptions import ImproperlyConfigured

    from core.keys import keys_verify_at_start

    try:
        keys_verify_at_start()
    except ImproperlyConfigured as refusal:
        # Celery logs and swallows a signal handler's exceptions: only an exit stops the worker.
        sys.stderr.write(f"{refusal}\n")
        raise SystemExit(1) from None


@worker_ready.connect
def resume_stalled_imports_on_start(sender: object = None, **_signal: object) -> None:
    """Crash recovery does not wait for beat: a worker that starts sweeps at once, and so takes over the
    jobs of a worker that died on this host, and relays the starts that waited for the broker."""
    from imports.tasks import resume_stalled_imports_task

    resume_stalled_imports_task.delay()


# The worker sets up logging of its own (its root and task loggers, not Django's LOGGING): its handlers
# mask ID numbers too (core.log_masking).
@after_setup_logger.connect
@after_setup_task_logger.connect
def _handlers_mask_id_numbers(logger, **kwargs) -> None:
    handlers_masked(logger)
    # The same clock as gunicorn's and Django's lines: UTC, with the offset shown.
    formatters_utc(logger)


class WorkerHeartbeat(bootsteps.StartStopStep):
    """Writes the worker's heartbeat (core.health) from its main process, on the worker's own timer."""

    requires = {"celery.worker.components:Timer"}

    def start(self, worker: Any) -> None:
        from core.health import WORKER_HEARTBEAT_SECONDS, heartbeat_record

        heartbeat_record("worker")
        self.timer = worker.timer.call_repeatedly(WORKER_HEARTBEAT_SECONDS, heartbeat_record, ("worker",))

    def stop(self, worker: Any) -> None:
        timer = getattr(self, "timer", None)
        if timer is not None:
            timer.cancel()


app.steps["worker"].add(WorkerHeartbeat)
