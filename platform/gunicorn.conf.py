"""Gunicorn settings for the API (variables documented in platform/env.example)."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
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

accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'

# Worker heartbeats on a disk-backed /tmp can stall under I/O load (and containers often have one).
_SHARED_MEMORY = "/dev/shm"  # noqa: S108 - only heartbeat files, as the gunicorn docs advise
if os.path.isdir(_SHARED_MEMORY):
    worker_tmp_dir = _SHARED_MEMORY
