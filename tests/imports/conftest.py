import sys

import pytest


@pytest.fixture
def switch_interval_restored():
    """The interpreter tuning of an import process is process-wide: give the rest of the suite its own."""
    interval = sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path_factory):
    """Stored uploads go to a folder of each test's own, which the test can look into."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    return settings.MEDIA_ROOT


@pytest.fixture
def broker_messages(monkeypatch):
    """The job starts handed to the broker, recorded instead of sent (the broker is not the subject)."""
    from imports.tasks import import_job_run_task

    sent: list[int] = []
    monkeypatch.setattr(
        import_job_run_task, "apply_async", lambda args, **options: sent.append(args[0]), raising=False
    )
    return sent
