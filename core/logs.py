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


def formatters_utc(logger: logging.Logger) -> None:
    """Turn the formatters of `logger`'s handlers to UTC with the offset, keeping their class and line
    format: Celery sets up its worker's and beat's logging itself, with formatters of its own (the task
    logger's adds the task's name and id)."""
    for handler in logger.handlers:
        formatter = handler.formatter
        if formatter is not None:
            formatter.converter = time.gmtime
            formatter.default_time_format = UTCFormatter.default_time_format
            formatter.default_msec_format = UTCFormatter.default_msec_format
