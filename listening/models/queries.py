"""Listening queries, the mentions they match, and the volume spikes they raise."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from bankbuzz.cardmask import CardMaskedCharField, CardMaskedTextField
from listening.models.accounts import SocialAccount, network_labels
from listening.models.mentions import Mention


class ListeningQuery(models.Model):
    """A named boolean query (the bank, a competitor, a topic), its networks and cursors.

    On X it runs as a recent search (`run_query`); on every network it is also
    evaluated on each stored item, so Facebook and LinkedIn comments count too.
    """

    class Kind(models.TextChoices):
        BRAND = "brand", "The bank"
        COMPETITOR = "competitor", "Competitor"
        TOPIC = "topic", "Topic"

    class InboxPolicy(models.TextChoices):
        ALL = "all", "Everything it finds"
        QUESTIONS = "questions", "Only questions and complaints"
        NONE = "none", "Nothing (listening only)"

    name = CardMaskedCharField(max_length=100, unique=True)
    text = CardMaskedTextField(help_text="The boolean query.")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.TOPIC)
    networks = models.JSONField(
        default=list, help_text='Networks it runs on: ["x", "facebook", "linkedin", "instagram"].'
    )
    inbox_policy = models.CharField(max_length=16, choices=InboxPolicy.choices, default=InboxPolicy.QUESTIONS)
    is_active = models.BooleanField(default=True)
    # Standard deviations above the baseline that make a spike; null: the site default.
    spike_sensitivity = models.FloatField(null=True, blank=True)
    run_interval = models.PositiveIntegerField(default=60, help_text="Seconds between X searches.")
    # {"x": {"search": "<since_id>", "search_page": ..., "search_head": ...}}
    cursors = models.JSONField(default=dict, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "listening queries"
        ordering = ("kind", "name")

    def __str__(self) -> str:
        return self.name

    @property
    def network_labels(self) -> list[str]:
        return network_labels(self.networks)


class QueryMatch(models.Model):
    """A stored mention that a listening query matches; `created_at` is the mention's, for time series."""

    query = models.ForeignKey(ListeningQuery, on_delete=models.CASCADE, related_name="matches")
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="query_matches")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["query", "mention"], name="uniq_query_match")]
        indexes = [models.Index(fields=["query", "created_at"], name="query_match_time_idx")]

    def __str__(self) -> str:
        return f"{self.query_id} matches {self.mention_id}"


class SpikeAlert(models.Model):
    """One spike: from the first unusual 15 minutes until volume is back to normal.

    `scopes` lists what spiked (queries and accounts) with their counts and
    baselines. At most one alert is open at a time (a partial unique
    constraint): everything spiking during it joins it, so people get one
    alert per spike, not one per scope and quarter hour.
    """

    started_at = models.DateTimeField(help_text="Start of the first unusual 15 minutes.")
    last_spike_at = models.DateTimeField(help_text="Start of the latest unusual 15 minutes.")
    ended_at = models.DateTimeField(null=True, blank=True)
    is_open = models.BooleanField(default=True)
    peak_count = models.PositiveIntegerField(default=0)
    baseline = models.FloatField(default=0)
    scopes = models.JSONField(default=list)
    terms = models.JSONField(default=list)
    queries = models.ManyToManyField(ListeningQuery, blank=True, related_name="alerts")
    accounts = models.ManyToManyField(SocialAccount, blank=True, related_name="spike_alerts")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ("-started_at", "-id")
        constraints = [
            models.UniqueConstraint(
                fields=["is_open"], condition=models.Q(is_open=True), name="one_open_spike"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        names = ", ".join(scope["label"] for scope in self.scopes[:3]) or "volume"
        terms = ", ".join(f"\u201c{term}\u201d" for term in self.terms[:4])
        return f"Spike in {names}" + (f": {terms}" if terms else "")
