import os

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


@worker_ready.connect
def resume_stalled_imports_on_start(sender: object = None, **_signal: object) -> None:
    """Crash recovery does not wait for beat: a worker that starts sweeps at once, and so takes over the
    jobs of a worker that died on this host, and relays the starts that waited for the broker."""
    from imports.tasks import resume_stalled_imports_task

    resume_stalled_imports_task.delay()
