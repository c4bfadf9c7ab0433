"""Gunicorn settings for the API (variables documented in platform/env.example)."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# One synchronous worker per CPU. A request here is mostly Python (the rest is short round trips to a
# PostgreSQL on the same host), so more processes than CPUs only add context switches and wake-ups on
# accept: each worker beyond the CPUs (as the former 2 x CPUs + 1) made every request cost the machine more
# (README.md, "Benchmarks"). Threaded workers, which keep client connections alive, served no more requests
# and were slower at the tail: a connection stays with the worker that accepted it, so the connections
# spread unevenly and some workers queue far more requests than others. Give more workers
# (WEB_CONCURRENCY) when the database is remote and requests wait longer on it. A synchronous
# worker reads a slow client's request itself: on an open network, a buffering proxy belongs in front.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A request running longer than this is stuck: the worker is replaced and the client gets a 502.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
# Load Django once in the master: workers fork ready to serve, so a recycled worker costs a fork, not a
# second of imports that the requests queued behind it would wait for. (No connection is opened at
# import time, so none is shared across the fork.)
preload_app = True
# Recycle workers now and then so that a slow leak cannot grow without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
# The reverse proxy in front sets X-Forwarded-Proto; only trust it from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Its error and access handlers mask anything shaped like an ID number (the access log writes the raw
# request line, query string included), as every other log of the service does (core/log_masking.py).
logger_class = "core.log_masking.GunicornLogger"
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
# The same line format and clock (UTC, offset shown) as Django's and Celery's logs (core.logs).
_LINES = {
    "()": "core.logs.UTCFormatter",
    "format": "%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s",
}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"utc": _LINES},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "utc", "stream": "ext://sys.stderr"}
    },
    "loggers": {
        "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# Worker heartbeats on a disk-backed /tmp can stall under I/O load (and containers often have one).
_SHARED_MEMORY = "/dev/shm"  # noqa: S108 - only heartbeat files, as the gunicorn docs advise
if os.path.isdir(_SHARED_MEMORY):
    worker_tmp_dir = _SHARED_MEMORY


def when_ready(server) -> None:
    """In the master, once the application is loaded and before any worker is forked: import the URL
    configuration and with it every view. Django would otherwise do it on each worker's first request
    (half a second here), and a recycled worker would stall the requests queued behind it again."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - reading the property is what imports them


def pre_fork(server, worker) -> None:
    """Leave everything the master has loaded out of the workers' garbage collections: a full collection
    would otherwise walk all of Django (a stall that every request waiting on that worker would see), and
    by touching each object unshare the memory the fork shares."""
    gc.freeze()


# Address space of each worker, in bytes (0: none). An upload is only inspected in the request (its head,
# or an XLSX's directory and first row, under the imports app's limits), so no input should come near
# it; if one ever does, that request fails (a MemoryError, a 500 that is logged) and the other workers and
# the machine are untouched.
_WEB_MEMORY_LIMIT = int(os.environ.get("WEB_MEMORY_LIMIT_BYTES", str(1024**3)))


def post_fork(server, worker) -> None:
    """Cap the worker's address space (the master keeps its own, to fork replacements)."""
    from imports.tuning import address_space_limit

    address_space_limit(_WEB_MEMORY_LIMIT)
