"""Prometheus metrics at /metrics (prometheus-client; alert rules in deploy/prometheus/alerts.yml).

Most figures are read from PostgreSQL and Redis at scrape time rather than counted in the
process: gunicorn runs several workers and Celery others, and a count kept in one process's
memory would be a fraction of the truth and lost at each restart. The database already holds
the truth (replies by state, accounts' last success, breached SLA clocks, webhook deliveries),
so every web process answers the same figures. Each app registers its own collector from its
`AppConfig.ready()` (`register`), so this module imports no app.

Only the request latency histogram is measured in the process. With `PROMETHEUS_MULTIPROC_DIR`
set (docker-compose sets it for gunicorn), prometheus-client writes each worker's samples to
that directory and the scrape adds them up across workers; without it (one process: `runserver`,
tests) the process's own histogram is served.

Access: `Authorization: Bearer <METRICS_TOKEN>`. Without METRICS_TOKEN the endpoint does not exist
(404), except under DEBUG, where it is open on the developer's own machine.
"""

from __future__ import annotations

import datetime as dt
import hmac
import logging
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric

logger = logging.getLogger(__name__)

Collect = Callable[[dt.datetime], Iterable[Metric]]
_collectors: dict[str, Collect] = {}

# kombu's Redis transport keeps a queue's priority levels 3, 6 and 9 in lists of their own.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")

REQUEST_LATENCY = Histogram(
    "bankbuzz_request_duration_seconds",
    "Time to answer a request, by view (Django's URL name) and method.",
    ["view", "method"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=None,
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def register(name: str, collect: Collect) -> None:
    """An app's figures: `collect(now)` yields metric families, read at each scrape."""
    _collectors[name] = collect


def _queue_lengths(now: dt.datetime) -> Iterable[Metric]:
    import redis

    up = GaugeMetricFamily("bankbuzz_redis_up", "1 when the scrape could read Redis (the broker), else 0.")
    depth = GaugeMetricFamily(
        "bankbuzz_celery_queue_length",
        "Task messages waiting in a Celery queue (Redis LLEN).",
        labels=["queue"],
    )
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1)
    try:
        for queue in settings.METRICS_QUEUES:
            pipe = client.pipeline(transaction=False)
            for suffix in _PRIORITY_SUFFIXES:
                pipe.llen(queue + suffix)
            depth.add_metric([queue], sum(pipe.execute()))
    except redis.RedisError as exc:
        logger.warning("metrics: Redis unreachable, queue lengths left out: %s", exc)
        up.add_metric([], 0)
        yield up
        return
    finally:
        client.close()
    up.add_metric([], 1)
    yield up
    yield depth


register("celery", _queue_lengths)


class _Figures:
    """Every registered collector at each scrape; one that fails is reported, not fatal."""

    def collect(self) -> Iterable[Metric]:
        now = timezone.now()
        ok = GaugeMetricFamily(
            "bankbuzz_metrics_collector_up",
            "1 when a group of figures could be read at this scrape.",
            labels=["group"],
        )
        for name, collect in sorted(_collectors.items()):
            try:
                families = list(collect(now))
            except Exception as exc:  # the database may be down: the other groups still answer
                logger.warning("metrics: %s figures not read: %s", name, exc)
                ok.add_metric([name], 0)
                continue
            ok.add_metric([name], 1)
            yield from families
        yield ok


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    registry.register(_Figures())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(REQUEST_LATENCY)
    return registry


def _authorised(request) -> bool:
    expected = f"Bearer {settings.METRICS_TOKEN}".encode()
    return hmac.compare_digest(request.headers.get("Authorization", "").encode(), expected)


@login_not_required
@never_cache
@require_GET
def metrics_view(request):
    if not settings.METRICS_TOKEN:
        if not settings.DEBUG:
            raise Http404("Metrics are off: set METRICS_TOKEN.")
    elif not _authorised(request):
        response = HttpResponse("A bearer token is needed.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_registry()), content_type=CONTENT_TYPE_LATEST)


class RequestLatencyMiddleware:
    """Times every request but the scrape itself, labelled by URL name (bounded), not by path."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match is not None and match.view_name else "unmatched"
        if view != "metrics":
            method = request.method if request.method in _METHODS else "other"
            REQUEST_LATENCY.labels(view, method).observe(time.perf_counter() - started)
        return response
