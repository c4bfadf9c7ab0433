"""Nothing shaped like an ID number reaches a log line (PIPL; issue 11, R4).

Every handler of every process (Django's LOGGING, gunicorn's error and access logs, Celery's worker and
task logs) carries `IdNumberMaskFilter`: it renders the record's message, its exception and its stack,
and masks each substring shaped like an ID number in them, whatever the code that logged it, a request
line that carried one included. The shapes, not the checksum: a mistyped number is personal data too.

Kept free of Django imports: gunicorn loads it (`GunicornLogger`) before any application code.
"""

from __future__ import annotations

import logging
import re

from gunicorn.config import Config as _GunicornConfig  # type: ignore[import-untyped]
from gunicorn.glogging import Logger as _GunicornBaseLogger  # type: ignore[import-untyped]

# One character of an ID number as it may appear in a log: an ASCII or full-width digit, or either
# percent-encoded, as a request line carries what a client sent. The check character may also be an X.
_DIGIT = r"(?:[0-9０-９]|%3[0-9]|%EF%BC%9[0-9])"
_CHECK = r"(?:[0-9０-９Xx]|%3[0-9]|%58|%78|%EF%BC%9[0-9]|%EF%BC%B8|%EF%BD%98|Ｘ|ｘ)"
# Not part of a longer run of digits: a 20-digit number is not an ID number, nor its middle.
_ID_SHAPED = re.compile(
    rf"(?<![0-9０-９])(?:(?P<new>{_DIGIT}{{17}}{_CHECK})|(?P<old>{_DIGIT}{{15}}))(?![0-9０-９]|%3[0-9])",
    re.IGNORECASE,
)
MASK_18 = "******************"
MASK_15 = "***************"


def _masked(match: re.Match[str]) -> str:
    return MASK_18 if match.group("new") else MASK_15


# The same shapes in plain ASCII digits, the only form most lines can hold: searched far faster. Every
# record of every process passes here, gunicorn's access line of each request among them.
_ASCII_ID_SHAPED = re.compile(r"(?<![0-9])(?:(?P<new>[0-9]{17}[0-9Xx])|(?P<old>[0-9]{15}))(?![0-9])")
_ASCII_DIGIT_RUN = re.compile(r"[0-9]{15}")
_PERCENT_ENCODED_DIGIT = re.compile(r"%3[0-9]")


def _may_be_encoded(text: str) -> bool:
    """Whether `text` may hold a digit that only the full pattern sees: full-width (not ASCII), or
    percent-encoded (an ASCII digit as %3N; a full-width one's bytes begin %EF)."""
    if not text.isascii():
        return True
    if "%" not in text:
        return False
    return "%EF" in text or "%ef" in text or _PERCENT_ENCODED_DIGIT.search(text) is not None


def id_numbers_masked(text: str) -> str:
    """`text` with every substring shaped like an ID number, the 18-character one (17 digits and a digit
    or X) or the old 15-digit one, replaced by as many stars."""
    if _may_be_encoded(text):
        return _ID_SHAPED.sub(_masked, text)
    if _ASCII_DIGIT_RUN.search(text) is None:
        return text
    return _ASCII_ID_SHAPED.sub(_masked, text)


class IdNumberMaskFilter(logging.Filter):
    """A handler filter that masks ID-shaped substrings in the rendered message, exception and stack of
    every record it passes. It renders the message once (`msg % args`) and keeps the result, so every
    handler after it formats the masked text."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = id_numbers_masked(message)
        if masked != message or record.args:
            record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            # What Formatter.format would render, cached on the record where every formatter takes it.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = id_numbers_masked(record.exc_text)
        if record.stack_info:
            record.stack_info = id_numbers_masked(record.stack_info)
        return True


def handlers_masked(logger: logging.Logger) -> None:
    """Add the filter to each handler of `logger` that lacks it (Celery's and gunicorn's own handlers)."""
    for handler in logger.handlers:
        if not any(isinstance(existing, IdNumberMaskFilter) for existing in handler.filters):
            handler.addFilter(IdNumberMaskFilter())


class GunicornLogger(_GunicornBaseLogger):
    """gunicorn's logger (`logger_class` in platform/gunicorn.conf.py) whose error and access handlers
    mask ID numbers: the access log writes the raw request line, query string included."""

    def setup(self, cfg: _GunicornConfig) -> None:
        super().setup(cfg)
        handlers_masked(self.error_log)
        handlers_masked(self.access_log)
