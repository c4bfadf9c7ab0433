"""Anything shaped like an ID number is masked in every log line (core.log_masking; issue 11, R4). The
full run, gunicorn and a Celery worker with real requests, is tests/test_no_id_numbers_in_logs.py."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from celery import signals

from core.log_masking import MASK_15, MASK_18, GunicornLogger, IdNumberMaskFilter, id_numbers_masked

ID = "11010519900307123X"
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            f"GET /api/v1/agency/persons?id_number={ID} HTTP/1.1",
            f"GET /api/v1/agency/persons?id_number={MASK_18} HTTP/1.1",
        ),
        (f"lower case x: {ID.lower()}.", f"lower case x: {MASK_18}."),
        ("old form 110105900307123 end", f"old form {MASK_15} end"),
        (f"glued to letters:abc{ID}def", f"glued to letters:abc{MASK_18}def"),
        # As a request line carries what a client typed: full-width, or percent-encoded.
        ("１１０１０５１９９００３０７１２３Ｘ", MASK_18),
        ("q=%31%31%30%31%30%35%31%39%39%30%30%33%30%37%31%32%33%58&", f"q={MASK_18}&"),
        ("q=%EF%BC%91%EF%BC%91" + "0105199003071239", "q=" + MASK_18),
        ("two: 110105199003071239,440106197001010012", f"two: {MASK_18},{MASK_18}"),
        # Percent-encoded text that holds no encoded digit beside a plain number (the fast path).
        (f"?cursor=cD0yMDI0%3D&q={ID}", f"?cursor=cD0yMDI0%3D&q={MASK_18}"),
        ("?q=%E7%8E%8B&id=110105900307123", f"?q=%E7%8E%8B&id={MASK_15}"),
    ],
)
def test_id_shaped_text_is_masked(text, masked):
    assert id_numbers_masked(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "a 20-digit number 11010519900307123412 is none",
        "a 16-digit one 1101051990030712 neither",
        "17 digits 11010519900307123 and a timestamp 1733059200123",
        "job 42, period 202401, amount 12000.00",
    ],
)
def test_other_numbers_are_left_as_they_are(text):
    assert id_numbers_masked(text) == text


def _record(msg, *args, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("test", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_the_filter_masks_the_rendered_message_its_arguments_and_its_exception():
    try:
        int(ID)
    except ValueError:
        exc_info = sys.exc_info()
    record = _record("looked up %s for %(user)s", ID, exc_info=exc_info)
    record.args = {"user": ID}  # a mapping, as gunicorn's access log passes its atoms
    record.msg = "looked up %(user)s"
    record.stack_info = f"Stack (most recent call last):\n  lookup({ID!r})"

    assert IdNumberMaskFilter().filter(record) is True
    line = logging.Formatter("%(message)s").format(record)

    assert ID not in line
    assert f"looked up {MASK_18}" in line
    assert "ValueError: invalid literal for int() with base 10: '" + MASK_18 + "'" in line
    assert record.stack_info.endswith(f"lookup('{MASK_18}')")


# Run in a process of its own: pytest's log capture adds handlers of its own to the root logger.
_UNMASKED_HANDLERS = """
import logging
import django
from core.log_masking import IdNumberMaskFilter
django.setup()
loggers = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
writing = [
    (logger.name, handler)
    for logger in loggers if isinstance(logger, logging.Logger)
    for handler in logger.handlers if not isinstance(handler, logging.NullHandler)
]
assert writing, "no handler at all"
print([(name, type(handler).__name__) for name, handler in writing
       if not any(isinstance(f, IdNumberMaskFilter) for f in handler.filters)])
"""


def test_every_handler_of_the_django_process_masks():
    """After Django's LOGGING is applied, no handler of any logger writes without the filter: records
    reach only the masked console handler (Django's own debug console and admins' e-mail give way)."""
    result = subprocess.run(
        [sys.executable, "-c", _UNMASKED_HANDLERS],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "[]"


def test_celerys_worker_and_task_loggers_mask():
    for signal in (signals.after_setup_logger, signals.after_setup_task_logger):
        logger = logging.Logger(f"celery-{signal.name}")
        stream = io.StringIO()
        logger.addHandler(logging.StreamHandler(stream))

        signal.send(
            sender=None, logger=logger, loglevel=logging.INFO, logfile=None, format="", colorize=False
        )
        logger.error("Task failed for %s", ID)

        assert stream.getvalue() == f"Task failed for {MASK_18}\n"


def test_gunicorns_access_and_error_logs_mask():
    from gunicorn.config import Config

    config = Config()
    config.set("accesslog", "-")
    config.set("errorlog", "-")
    logger = GunicornLogger(config)

    for log in (logger.access_log, logger.error_log):
        assert log.handlers
        assert all(
            any(isinstance(f, IdNumberMaskFilter) for f in handler.filters) for handler in log.handlers
        )
