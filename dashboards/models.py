"""Rollups: pre-counted tables the dashboards read where a raw scan would be slow.

Only mentions need one: at a million rows, counting them per network, account, sentiment and
intent for every chart would scan the table each time. Conversations (200k) and escalations are
read raw through their own indexes; their medians need the individual durations anyway
(`percentile_cont`), which a count table cannot give.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from listening.models import Network, SocialAccount


class MentionHourly(models.Model):
    """Inbound customer mentions per hour (of `received_at`, UTC) and their attributes.

    Filled by `services.rollup_refresh_mentions` (beat, every minute); an hour is recomputed
    from the raw mentions and upserted, so running a refresh twice changes nothing.
    """

    hour = models.DateTimeField(help_text="Start of the UTC hour the mentions reached us.")
    network = models.CharField(max_length=16, choices=Network.choices)
    account = models.ForeignKey(
        SocialAccount,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    sentiment = models.CharField(max_length=8, blank=True)
    intent = models.CharField(max_length=16, blank=True)
    count = models.PositiveIntegerField()
    refreshed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            # The upsert's conflict target; an unknown account (NULL) is one bucket, not many.
            models.UniqueConstraint(
                fields=["hour", "network", "account", "sentiment", "intent"],
                name="uniq_mention_hourly_bucket",
                nulls_distinct=False,
            )
        ]
        # Every dashboard read is a range of hours (the unique index serves it: hour first).

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.network} {self.count}"


class RollupState(models.Model):
    """How far a rollup is known to be complete (the next refresh starts a little before it)."""

    name = models.CharField(max_length=40, unique=True)
    refreshed_through = models.DateTimeField()
    refreshed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} through {self.refreshed_through:%Y-%m-%d %H:%M}"


class FigureSnapshot(models.Model):
    """Every figure of the team's dashboard for one standard period (the last 7, 30 or 90 days,
    no other filter), computed from the raw rows by `services.figures_refresh` (beat, every
    minute) and read by the page as it is.

    Why: a median needs every duration of the period, sorted; at a million conversations the
    last 30 days hold about 300k of them, and the page needs some twenty such percentiles (per
    day, week, network and agent). Computing them per request costs seconds; computing them once
    a minute costs the same seconds once. A snapshot older than `snapshots.MAX_AGE`, or of other
    days (after midnight), is not used: the page computes its figures live instead.
    """

    key = models.CharField(max_length=16, unique=True, help_text="The period's preset: 7d, 30d, 90d.")
    start = models.DateField()
    end = models.DateField()
    figures = models.JSONField()
    computed_at = models.DateTimeField(help_text="The instant the figures are true at.")
    seconds = models.FloatField(default=0, help_text="How long computing them took.")

    def __str__(self) -> str:
        return f"{self.key} {self.start}..{self.end} at {self.computed_at:%H:%M:%S}"
