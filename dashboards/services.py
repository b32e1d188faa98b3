"""Writes of the dashboards: only the rollup and snapshot refreshes (the dashboards themselves read)."""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection, transaction
from django.utils import timezone

from dashboards import snapshots
from dashboards.forms import Filters
from dashboards.models import FigureSnapshot, RollupState
from listening.models import Mention

MENTIONS_ROLLUP = "mention_hourly"
# Recompute this far behind the last refresh: a mention is stamped `received_at` before its
# batch commits, so a slow batch can land in an hour that was already counted.
OVERLAP = dt.timedelta(hours=2)
# The first refresh backfills history in slices of this size, one statement each.
BACKFILL_SLICE = dt.timedelta(days=7)
# pg_advisory_xact_lock key: two refreshes at once (a second beat) take turns instead of racing.
LOCK_KEY = 0x0DA5_0001

# One statement: recount the hours of [start, end) from the raw mentions, upsert every bucket,
# and delete the buckets of those hours that no longer exist (mentions removed by retention).
# The DELETE sees the table as it was before the INSERT, so it never removes what was just
# written; rows the upsert touched are excluded by id.
_REFRESH_SQL = """
WITH fresh AS (
    SELECT date_trunc('hour', received_at) AS hour, network, account_id,
           sentiment_label AS sentiment, intent, count(*) AS n
    FROM listening_mention
    WHERE direction = %(direction)s AND received_at >= %(start)s AND received_at < %(end)s
    GROUP BY 1, 2, 3, 4, 5
), upserted AS (
    INSERT INTO dashboards_mentionhourly (hour, network, account_id, sentiment, intent, count, refreshed_at)
    SELECT hour, network, account_id, sentiment, intent, n, %(now)s FROM fresh
    ON CONFLICT ON CONSTRAINT uniq_mention_hourly_bucket
    DO UPDATE SET count = EXCLUDED.count, refreshed_at = EXCLUDED.refreshed_at
    RETURNING id
)
DELETE FROM dashboards_mentionhourly AS h
WHERE h.hour >= %(start)s AND h.hour < %(end)s AND h.id NOT IN (SELECT id FROM upserted)
"""


def _hour(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def _recount(*, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            _REFRESH_SQL,
            {"direction": Mention.Direction.IN, "start": start, "end": end, "now": now},
        )


@transaction.atomic
def rollup_refresh_mentions(
    *, now: dt.datetime | None = None, full: bool = False
) -> tuple[dt.datetime, dt.datetime]:
    """Bring `MentionHourly` up to date; returns the [start, end) range of hours recounted.

    Idempotent: each hour is recomputed from the raw rows, never incremented, so a repeat (or a
    task delivered twice) writes the same counts. `full` recounts all history.
    """
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
    state = RollupState.objects.select_for_update().filter(name=MENTIONS_ROLLUP).first()
    end = _hour(now) + dt.timedelta(hours=1)
    if state is None or full:
        oldest = Mention.objects.order_by("received_at").values_list("received_at", flat=True).first()
        start = _hour(oldest) if oldest else _hour(now)
    else:
        start = _hour(min(state.refreshed_through, now) - OVERLAP)
    cursor_at = start
    while cursor_at < end:
        slice_end = min(cursor_at + BACKFILL_SLICE, end)
        _recount(start=cursor_at, end=slice_end, now=now)
        cursor_at = slice_end
    RollupState.objects.update_or_create(
        name=MENTIONS_ROLLUP, defaults={"refreshed_through": now, "refreshed_at": timezone.now()}
    )
    return start, end


def figures_refresh(*, now: dt.datetime | None = None) -> dict[str, float]:
    """Compute the team dashboard's figures of each standard period (`snapshots.PRESETS`) from
    the raw rows and store them (`FigureSnapshot`); returns the seconds each took.

    Run by beat after the mentions' rollup, so the volume figures include the last minute.
    Each period is one upsert of one row: a page reads the old snapshot or the new one, never a
    mixture. Two refreshes at once (a second beat) just write the same figures twice.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    took = {}
    for preset in snapshots.PRESETS:
        days = int(preset.rstrip("d"))
        filters = Filters(start=today - dt.timedelta(days=days - 1), end=today, preset=preset)
        started = time.monotonic()
        figures = snapshots.compute(filters, snapshots.TEAM, now=now)
        took[preset] = time.monotonic() - started
        FigureSnapshot.objects.update_or_create(
            key=preset,
            defaults={
                "start": filters.start,
                "end": filters.end,
                "figures": snapshots.encode(figures),
                "computed_at": now,
                "seconds": took[preset],
            },
        )
    return took
