"""Connected accounts' polling for /metrics (registered from ListeningConfig.ready).

"Polls by outcome" is the outcome of each account's last poll (its `health`), read from the
account's own fields: a per-poll counter would need a write per poll in every worker, and the
account already records what the on-call person needs (how the last poll went, and when one
last succeeded).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily, Metric

from listening.models import SocialAccount

Health = SocialAccount.Health
LABELS = ["account", "network", "handle"]


def collect(now: dt.datetime) -> Iterable[Metric]:
    since = GaugeMetricFamily(
        "bankbuzz_account_seconds_since_last_success",
        "Seconds since the account's last successful poll (since it was connected, if none yet).",
        labels=LABELS,
    )
    interval = GaugeMetricFamily(
        "bankbuzz_account_poll_interval_seconds", "The account's poll interval.", labels=LABELS
    )
    outcome = GaugeMetricFamily(
        "bankbuzz_account_last_poll_outcome",
        "1 for the outcome of the account's last poll (its health), 0 for the others.",
        labels=[*LABELS, "outcome"],
    )
    accounts = SocialAccount.objects.filter(is_active=True).values_list(
        "pk", "network", "handle", "health", "last_success_at", "created_at", "poll_interval"
    )
    for pk, network, handle, health, last_success, created, every in accounts:
        labels = [str(pk), network, handle]
        since.add_metric(labels, max(0.0, (now - (last_success or created)).total_seconds()))
        interval.add_metric(labels, every)
        for value in Health.values:
            outcome.add_metric([*labels, value], 1 if value == health else 0)
    totals = GaugeMetricFamily(
        "bankbuzz_accounts",
        "Active connected accounts by the outcome of their last poll.",
        labels=["outcome"],
    )
    counted = dict(
        SocialAccount.objects.filter(is_active=True).values_list("health").annotate(n=Count("pk")).order_by()
    )
    for value in Health.values:
        totals.add_metric([value], counted.get(value, 0))
    return [since, interval, outcome, totals]
