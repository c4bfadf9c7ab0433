import os
import sys

from celery import Celery
from celery.signals import worker_init, worker_process_init, worker_ready

from imports.tuning import interpreter_tune

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("social_insurance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Import jobs run in the worker: tune the interpreter once per process that runs tasks, the worker itself
# (solo and thread pools) and each process of a prefork pool.
worker_init.connect(interpreter_tune)
worker_process_init.connect(interpreter_tune)


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
