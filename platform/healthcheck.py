"""Container health check for the API: exit 0 when /api/ready answers 200 (the instance can serve; the
worker and beat have their own checks, and /api/health reports on everything).

The request carries an allowed Host and the proxy's X-Forwarded-Proto, as real traffic does, so that
production settings (ALLOWED_HOSTS, SSL redirect) answer it instead of refusing or redirecting it.
"""

import os
import sys
import urllib.request

hosts = [host.strip() for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host.strip()]
host = next((host.lstrip(".") for host in hosts if host != "*"), "localhost")
port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rpartition(":")[2]
request = urllib.request.Request(
    f"http://127.0.0.1:{port}/api/ready", headers={"Host": host, "X-Forwarded-Proto": "https"}
)
try:
    with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - fixed http URL
        sys.exit(0 if response.status == 200 else 1)
except OSError as error:
    print(f"health check failed: {error}", file=sys.stderr)
    sys.exit(1)
