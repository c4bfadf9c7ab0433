import os

from celery import Celery
from celery.signals import worker_init, worker_process_init

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
