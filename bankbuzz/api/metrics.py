"""Webhook deliveries for /metrics (registered from ApiConfig.ready).

Read from the delivery log: a delivery that gave up stays `failed` (kept 90 days, see
retention), one that is still being retried is `pending` with attempts made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from bankbuzz.api.models import WebhookDelivery

State = WebhookDelivery.State


def collect(now: dt.datetime) -> Iterable[Metric]:
    rows = (
        WebhookDelivery.objects.values("endpoint__name")
        .annotate(
            failed=Count("pk", filter=Q(state=State.FAILED)),
            retrying=Count("pk", filter=Q(state=State.PENDING, attempts__gt=0)),
        )
        .order_by()
    )
    failures = CounterMetricFamily(
        "bankbuzz_webhook_failures",
        "Webhook deliveries that gave up after their last attempt, by endpoint.",
        labels=["endpoint"],
    )
    retrying = GaugeMetricFamily(
        "bankbuzz_webhook_deliveries_retrying",
        "Webhook deliveries whose attempts failed so far and that wait for the next one.",
        labels=["endpoint"],
    )
    for row in rows:
        failures.add_metric([row["endpoint__name"]], row["failed"])
        retrying.add_metric([row["endpoint__name"]], row["retrying"])
    return [failures, retrying]
