"""The import tasks under the imports app's names, the schedule that runs them, and the worker's tuning."""

import sys

import pytest
from celery.signals import worker_init, worker_process_init
from django_celery_beat.models import PeriodicTask

from config.celery import app
from imports.tasks import import_job_run_task, resume_stalled_imports_task
from imports.tuning import READ_AHEAD_SWITCH_INTERVAL, interpreter_tune


def test_import_tasks_are_registered_under_the_imports_names():
    tasks = {name for name in app.tasks if name.startswith(("imports.", "insurance."))}

    assert tasks == {"imports.run_job", "imports.resume_stalled_jobs", "imports.purge_expired_files"}
    assert (import_job_run_task.name, resume_stalled_imports_task.name) == (
        "imports.run_job",
        "imports.resume_stalled_jobs",
    )
    assert (app.tasks["imports.run_job"].acks_late, app.tasks["imports.run_job"].reject_on_worker_lost) == (
        True,
        True,
    )


@pytest.mark.django_db
def test_the_stalled_job_recovery_schedule_runs_the_task_under_its_new_name():
    schedules = PeriodicTask.objects.filter(name__contains="stalled import jobs")

    assert list(schedules.values_list("name", "task", "enabled")) == [
        ("imports: resume stalled import jobs", "imports.resume_stalled_jobs", True)
    ]
    # None left under the insurance app's old task name (insurance has schedules of its own, for transfers).
    assert not PeriodicTask.objects.filter(task__startswith="insurance.", task__contains="import").exists()


@pytest.mark.parametrize("signal", [worker_init, worker_process_init], ids=["worker", "pool process"])
def test_a_starting_worker_shortens_the_switch_interval(signal, switch_interval_restored):
    # Sending the signal itself would also start Celery's Django fixup here, which closes connections.
    receivers = signal._live_receivers(None)
    sys.setswitchinterval(0.005)

    interpreter_tune(signal=signal, sender=None)

    assert interpreter_tune in receivers
    assert sys.getswitchinterval() == pytest.approx(READ_AHEAD_SWITCH_INTERVAL)
