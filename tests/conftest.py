import os

import pytest
from hypothesis import settings
from rest_framework.test import APIClient

# Machines here are shared: a slow example is not a failure. In CI the examples are also derandomized, so
# that a run is repeatable and a submission cannot fail on a draw that the developer never saw.
settings.register_profile("local", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "local")


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()
