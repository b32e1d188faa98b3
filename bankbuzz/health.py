"""The state of the parts BankBuzz needs: probes for a load balancer, and the full view.

- `/healthz/live`: this process answers. No dependency, so a Redis or database outage never
  makes the orchestrator restart healthy web processes.
- `/healthz/ready`: this process can serve pages: the database answers. Redis is left out on
  purpose: pages work without it (`bankbuzz.degrade`).
- `/healthz`: everything (database, Redis, workers, beat), for people and monitoring.

A 503 is logged once as a warning when an answer changes (and once when it recovers), never
as an error on every probe.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse

logger = logging.getLogger(__name__)

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


# --- The answers -------------------------------------------------------------------------------

PROBES = {"/healthz/live", "/healthz/ready"}
_last_status: dict[str, int] = {}
_status_lock = threading.Lock()


def _note_status(which: str, status: int, report: dict[str, str]) -> None:
    """Log a change of answer once (a warning), not every probe."""
    with _status_lock:
        before, _last_status[which] = _last_status.get(which, 200), status
    if status != before:
        if status == 200:
            logger.warning("health %s: healthy again", which)
        else:
            failing = {part: state for part, state in report.items() if state != "ok"}
            logger.warning("health %s: %s, unhealthy: %s", which, status, failing)


def health_response(which: str, report: dict[str, str], *, warnings: list[str] | None = None) -> JsonResponse:
    status = 200 if all(value == "ok" for value in report.values()) else 503
    _note_status(which, status, report)
    # Warnings need a person, not a restart: they never make the answer a 503.
    body = report if warnings is None else {**report, "warnings": warnings}
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    # Django logs every 5xx as an error; a failing probe is reported once above instead.
    response._has_been_logged = True
    return response


def live_response() -> JsonResponse:
    return health_response("live", {"process": "ok"})


def ready_response() -> JsonResponse:
    return health_response("ready", {"database": check_database()})


class HealthProbeMiddleware:
    """Answers the load balancer's probes before anything else runs.

    Before the host check (a probe addresses the container, not the bank's host name), the
    HTTPS redirect, sessions and the login: a probe needs none of them, and touching the
    session would make `live` depend on the database.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in PROBES and request.method in ("GET", "HEAD"):
            return live_response() if request.path == "/healthz/live" else ready_response()
        return self.get_response(request)


def health_warnings() -> list[str]:
    """What needs a person soon but works now: an API version near (or past) its end of life."""
    from bankbuzz.network_versions import configured_versions

    return [status.warning for status in configured_versions() if status.warning]
