"""At a moderate scale (the bench's own seed: 2,000 conversations over four months), the figures
the page reads from a snapshot equal the same figures computed live, and both equal direct counts
and medians of the raw rows."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import timezone

from bench.seed import seed
from dashboards import services, snapshots
from dashboards.forms import Filters
from dashboards.models import FigureSnapshot
from inbox.models import Conversation
from listening.models import Mention

# The seed drops and rebuilds indexes around its COPY, which PostgreSQL refuses inside the
# transaction a plain database test runs in (its foreign-key checks are still pending).
pytestmark = pytest.mark.django_db(transaction=True)


def percentile_cont(values: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont, by hand: linear between the two nearest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def period(days: int) -> Filters:
    today = timezone.localdate()
    return Filters(start=today - dt.timedelta(days=days - 1), end=today, preset=f"{days}d")


@pytest.fixture
def seeded():
    return seed(0, log=lambda _m: None, pool_size=20, conversations_target=2000, history_days=120)


@pytest.mark.parametrize("days", [30, 90])
def test_the_snapshot_equals_the_raw_rows(seeded, days):
    services.rollup_refresh_mentions()
    now = timezone.now()
    services.figures_refresh(now=now)
    filters = period(days)

    read = snapshots.period_figures(filters, snapshots.TEAM, now=now)
    live = snapshots.compute(filters, snapshots.TEAM, now=now)
    assert read.from_snapshot and not live.from_snapshot
    assert snapshots.encode(read) == snapshots.encode(live)

    rows = Conversation.objects.filter(
        first_received_at__gte=filters.start_at, first_received_at__lt=filters.end_at
    ).exclude(status=Conversation.Status.SPAM)
    summary = read.conv.summary
    assert summary["received"] == rows.count() > 300
    assert summary["responded"] == rows.filter(first_response_at__isnull=False).count()
    assert summary["resolved"] == rows.filter(resolved_at__isnull=False).count()
    assert sum(r["received"] for r in read.conv.daily) == summary["received"]
    assert sum(r["received"] for r in read.conv.by_network) == summary["received"]
    waits = [
        (c.first_response_at - c.first_received_at).total_seconds()
        for c in rows.filter(first_response_at__isnull=False)
    ]
    assert summary["fr_median"] == pytest.approx(percentile_cont(waits, 0.5), abs=1e-3)
    assert summary["fr_p90"] == pytest.approx(percentile_cont(waits, 0.9), abs=1e-3)

    mentions = Mention.objects.filter(
        direction=Mention.Direction.IN, received_at__gte=filters.start_at, received_at__lt=filters.end_at
    )
    assert read.volume.total == mentions.count()
    assert read.thanks == mentions.filter(intent="thanks").count()


def test_an_old_snapshot_or_a_filter_means_live_figures(seeded):
    now = timezone.now()
    services.figures_refresh(now=now - snapshots.MAX_AGE - dt.timedelta(seconds=1))
    assert FigureSnapshot.objects.count() == len(snapshots.PRESETS)
    assert not snapshots.period_figures(period(30), snapshots.TEAM, now=now).from_snapshot
    services.figures_refresh(now=now)
    assert snapshots.period_figures(period(30), snapshots.TEAM, now=now).from_snapshot
    filtered = Filters(start=period(30).start, end=period(30).end, preset="30d", network="x")
    assert not snapshots.period_figures(filtered, snapshots.TEAM, now=now).from_snapshot
