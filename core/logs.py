"""One clock for every log line: gunicorn, Django and Celery all write UTC, with the offset shown."""

from __future__ import annotations

import logging
import time


class UTCFormatter(logging.Formatter):
    """Times as ISO 8601 in UTC with their offset (2026-12-01T04:05:06.789+00:00), whatever the process's
    local time zone (Django sets it to TIME_ZONE, Asia/Shanghai)."""

    converter = time.gmtime  # type: ignore[assignment]  # the stubs omit gmtime's optional argument
    default_time_format = "%Y-%m-%dT%H:%M:%S"
    default_msec_format = "%s.%03d+00:00"
