"""The hourly mention rollup: counts, idempotence (upsert), late arrivals, removals, the task."""

from __future__ import annotations

import datetime as dt

from dashboards import services, tasks
from dashboards.models import MentionHourly, RollupState
from tests.factories import MentionFactory

UTC = dt.UTC


def at(hour: int, minute: int = 0, day: int = 2) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def buckets() -> dict:
    return {
        (r.hour, r.network, r.account_id, r.sentiment, r.intent): r.count for r in MentionHourly.objects.all()
    }


def mention(when, **fields):
    return MentionFactory(created_at=when, received_at=when, **fields)


def test_counts_inbound_mentions_per_hour(db):
    a = mention(at(10, 5), sentiment_label="negative", intent="complaint")
    mention(at(10, 50), account=a.account, sentiment_label="negative", intent="complaint")
    mention(at(11, 0), account=a.account, sentiment_label="positive", intent="thanks")
    mention(at(11, 10), account=a.account, direction="out")  # ours: not counted
    services.rollup_refresh_mentions(now=at(12))
    assert buckets() == {
        (at(10), "x", a.account_id, "negative", "complaint"): 2,
        (at(11), "x", a.account_id, "positive", "thanks"): 1,
    }


def test_refresh_twice_changes_nothing(db):
    mention(at(10, 5), sentiment_label="neutral")
    services.rollup_refresh_mentions(now=at(12))
    first = buckets()
    services.rollup_refresh_mentions(now=at(12))
    services.rollup_refresh_mentions(now=at(12), full=True)
    assert buckets() == first
    assert MentionHourly.objects.count() == 1


def test_late_mentions_in_the_overlap_are_counted_once(db):
    a = mention(at(10, 5))
    services.rollup_refresh_mentions(now=at(10, 30))
    # A batch stamped 10:20 commits after the 10:30 refresh: the next refresh recounts 10h.
    mention(at(10, 20), account=a.account)
    services.rollup_refresh_mentions(now=at(11, 0))
    assert buckets() == {(at(10), "x", a.account_id, "", ""): 2}
    assert RollupState.objects.get().refreshed_through == at(11, 0)


def test_removed_mentions_leave_the_rollup(db):
    a = mention(at(10, 5), sentiment_label="negative")
    b = mention(at(10, 6), account=a.account, sentiment_label="positive")
    services.rollup_refresh_mentions(now=at(11))
    b.delete()
    services.rollup_refresh_mentions(now=at(11, 30))
    assert buckets() == {(at(10), "x", a.account_id, "negative", ""): 1}


def test_mentions_without_account_are_one_bucket(db):
    mention(at(10, 5), account=None)
    mention(at(10, 6), account=None)
    services.rollup_refresh_mentions(now=at(11))
    services.rollup_refresh_mentions(now=at(11))
    assert list(MentionHourly.objects.values_list("account_id", "count")) == [(None, 2)]


def test_first_refresh_backfills_history(db):
    old = mention(at(9, day=1) - dt.timedelta(days=30))
    mention(at(10), account=old.account)
    start, _end = services.rollup_refresh_mentions(now=at(11))
    assert start == at(9, day=1) - dt.timedelta(days=30)
    assert sum(buckets().values()) == 2


def test_task_runs_the_refresh(db):
    mention(dt.datetime.now(tz=UTC) - dt.timedelta(minutes=5))
    tasks.refresh_rollups.apply()
    assert sum(buckets().values()) == 1
