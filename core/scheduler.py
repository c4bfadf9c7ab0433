"""Celery beat's scheduler: django-celery-beat's database scheduler, with a heartbeat at every tick."""

from __future__ import annotations

from typing import Any

from django_celery_beat.schedulers import DatabaseScheduler  # type: ignore[import-untyped]

from core.health import heartbeat_record


class HeartbeatDatabaseScheduler(DatabaseScheduler):
    """Records each tick (core.health), so that the health check reports when beat stopped ticking: a beat
    process that is alive but stuck shows as well as one that died."""

    def tick(self, *args: Any, **kwargs: Any) -> float:
        heartbeat_record("beat")
        return float(super().tick(*args, **kwargs))
