"""The state of the parts BankBuzz needs, for /healthz and `make run`."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import connection

HEARTBEAT_KEY = "health:heartbeat"
HEARTBEAT_MAX_AGE = 60  # seconds: four missed beats


def heartbeat_record() -> None:
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return "ok"
    except Exception:
        return "unreachable"


def check_redis() -> str:
    try:
        cache.set("health:ping", "1", timeout=10)
        return "ok" if cache.get("health:ping") == "1" else "unreachable"
    except Exception:
        return "unreachable"


def check_workers() -> str:
    from bankbuzz.celery import app

    try:
        replies = app.control.ping(timeout=0.5)
    except Exception:
        return "unreachable"
    return "ok" if replies else "none running"


def check_beat() -> str:
    """Beat sends a heartbeat task every 15 s and a worker records it."""
    try:
        last = cache.get(HEARTBEAT_KEY)
    except Exception:
        return "unknown"
    if last is None:
        return "no heartbeat yet"
    age = time.time() - float(last)
    return "ok" if age < HEARTBEAT_MAX_AGE else f"no heartbeat for {int(age)} s"


def health_report() -> dict[str, str]:
    report = {"database": check_database(), "redis": check_redis()}
    if report["redis"] == "ok":
        report["workers"] = check_workers()
        report["beat"] = check_beat()
    else:
        report["workers"] = report["beat"] = "unknown (redis unreachable)"
    return report


def health_warnings() -> list[str]:
    """What needs a person soon but works now: an API version near (or past) its end of life."""
    from bankbuzz.network_versions import configured_versions

    return [status.warning for status in configured_versions() if status.warning]
