import os
from typing import Any

from celery import Celery, bootsteps
from celery.signals import setup_logging, worker_init, worker_process_init

from imports.tuning import interpreter_tune

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("social_insurance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Import jobs run in the worker: tune the interpreter once per process that runs tasks, the worker itself
# (solo and thread pools) and each process of a prefork pool.
worker_init.connect(interpreter_tune)
worker_process_init.connect(interpreter_tune)


@setup_logging.connect
def keep_django_logging(**kwargs: Any) -> None:
    """The worker and beat log through Django's LOGGING (UTC, as gunicorn), not a format of Celery's own.
    Connecting here is what stops Celery from configuring logging; Django already has."""


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
