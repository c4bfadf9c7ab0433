import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """Throttle counters live in Redis (sign-in failures in PostgreSQL): start every test without any."""
    cache.clear()
    yield
    cache.clear()
