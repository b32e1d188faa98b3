"""SLA figures for /metrics (registered from EscalationsConfig.ready).

Breaches are counted from the escalations' own breach stamps (set once per clock by
`check_slas`), so the count is the same whichever process answers the scrape and survives
restarts; it only falls when retention deletes old escalations, which Prometheus' `increase()`
treats as a reset.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Count, Q
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from escalations.models import Department, Escalation


def collect(now: dt.datetime) -> Iterable[Metric]:
    names = dict(Department.objects.values_list("pk", "name"))
    rows = (
        Escalation.objects.values("department")
        .annotate(
            response=Count("pk", filter=Q(response_breached_at__isnull=False)),
            resolution=Count("pk", filter=Q(resolution_breached_at__isnull=False)),
            past_due=Count("pk", filter=Q(state=Escalation.State.OPEN, due_at__lt=now)),
        )
        .order_by()
    )
    breaches = CounterMetricFamily(
        "bankbuzz_escalation_sla_breaches",
        "SLA clocks that ran out (first response or resolution), by department.",
        labels=["department", "clock"],
    )
    past_due = GaugeMetricFamily(
        "bankbuzz_escalations_past_due",
        "Escalations with the expert now past a deadline.",
        labels=["department"],
    )
    for row in rows:
        department = names.get(row["department"], str(row["department"]))
        breaches.add_metric([department, "response"], row["response"])
        breaches.add_metric([department, "resolution"], row["resolution"])
        past_due.add_metric([department], row["past_due"])
    return [breaches, past_due]
