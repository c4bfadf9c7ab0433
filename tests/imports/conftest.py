import sys

import pytest


@pytest.fixture
def switch_interval_restored():
    """The interpreter tuning of an import process is process-wide: give the rest of the suite its own."""
    interval = sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)
