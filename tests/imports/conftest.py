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
