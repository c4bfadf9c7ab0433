import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """Login failures, lockouts and throttle counters live in Redis: start every test without any."""
    cache.clear()
    yield
    cache.clear()
