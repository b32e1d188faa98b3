"""The outbox's figures for /metrics (registered from InboxConfig.ready; see bankbuzz/metrics.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Min, Q
from prometheus_client.core import GaugeMetricFamily, Metric

from inbox.models import Reply

State = Reply.State
WATCHED = (State.AWAITING_APPROVAL, State.APPROVED, State.QUEUED, State.SENDING, State.FAILED)


def collect(now: dt.datetime) -> Iterable[Metric]:
    # "Ready": not waiting for a network's rate limit to reset, which is a wait the network asked for.
    ready = Q(not_before__isnull=True) | Q(not_before__lte=now)
    by_state = {
        row["state"]: row
        for row in Reply.objects.filter(state__in=WATCHED)
        .values("state")
        .annotate(
            n=Count("pk"),
            oldest_ready=Min("queued_at", filter=ready),
            waiting=Count("pk", filter=~ready),
            undispatched=Count("pk", filter=ready & Q(dispatched_at__isnull=True)),
        )
    }
    count = GaugeMetricFamily("bankbuzz_replies", "Replies in the outbox by state.", labels=["state"])
    age = GaugeMetricFamily(
        "bankbuzz_reply_oldest_age_seconds",
        "Seconds since the oldest queued (ready to send) or sending reply was queued; 0 when none.",
        labels=["state"],
    )
    for state in WATCHED:
        count.add_metric([state], by_state.get(state, {}).get("n", 0))
    for state in (State.QUEUED, State.SENDING):
        oldest = by_state.get(state, {}).get("oldest_ready")
        age.add_metric([state], max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)
    queued = by_state.get(State.QUEUED, {})
    waiting = GaugeMetricFamily(
        "bankbuzz_replies_rate_limited", "Queued replies waiting for a network's rate limit to reset."
    )
    waiting.add_metric([], queued.get("waiting", 0))
    undispatched = GaugeMetricFamily(
        "bankbuzz_replies_undispatched",
        "Queued replies ready to send that no task carries yet (the broker refused them).",
    )
    undispatched.add_metric([], queued.get("undispatched", 0))
    return [count, age, waiting, undispatched]
