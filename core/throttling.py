"""Request throttles that keep counting when the shared cache is down."""

from __future__ import annotations

import logging
from typing import Any

import redis
from django.core.cache.backends.locmem import LocMemCache
from rest_framework.request import Request
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)

# Per process: with Redis down each web process counts on its own, a looser limit but still a limit.
_FALLBACK = LocMemCache("throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


class ResilientScopedRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, counted in the shared cache; when that cannot be reached, in this process's
    memory, so that signing in and verifying a certificate still answer (the sign-in lockout itself is
    held in PostgreSQL)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        try:
            return super().allow_request(request, view)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            logger.warning(
                "Throttle %s counts in process memory: the cache is unreachable (%s)", self.scope, error
            )
            self.cache = _FALLBACK
            return super().allow_request(request, view)
