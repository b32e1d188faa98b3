"""Reads of the listening page: volume, sentiment, share of voice, terms, authors, samples.

Every function is one or two bounded queries; terms are counted in Python over
the newest TERMS_SAMPLE posts of the range (the page says so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, DateTimeField, Exists, F, Func, OuterRef, Q, QuerySet, Value
from django.utils import timezone

from listening.models import Author, ListeningQuery, Mention, QueryMatch, SpikeAlert, network_labels
from listening.query.evaluate import positive_terms
from listening.query.parser import QuerySyntaxError, parse
from listening.terms import top_terms

TERMS_SAMPLE = 2000


@dataclass(frozen=True)
class Range:
    key: str
    label: str
    span: dt.timedelta
    step: dt.timedelta
    step_sql: str
    label_format: str


RANGES = {
    "24h": Range("24h", "Last 24 hours", dt.timedelta(hours=24), dt.timedelta(hours=1), "1 hour", "%H:%M"),
    "7d": Range("7d", "Last 7 days", dt.timedelta(days=7), dt.timedelta(hours=6), "6 hours", "%a %H:%M"),
    "30d": Range("30d", "Last 30 days", dt.timedelta(days=30), dt.timedelta(days=1), "1 day", "%d %b"),
}
DEFAULT_RANGE = "7d"


def range_for(key: str | None) -> Range:
    return RANGES.get(key or "", RANGES[DEFAULT_RANGE])


class DateBin(Func):
    """PostgreSQL's date_bin(interval, timestamp, origin)."""

    function = "date_bin"
    output_field = DateTimeField()

    def __init__(self, step_sql: str, expression, origin: dt.datetime):
        super().__init__(Value(step_sql), expression, Value(origin))


def _origin(rng: Range, now: dt.datetime) -> dt.datetime:
    """Buckets aligned on local midnight (days) or the hour (hours)."""
    local = timezone.localtime(now)
    start = local.replace(minute=0, second=0, microsecond=0)
    if rng.step >= dt.timedelta(days=1):
        start = start.replace(hour=0)
    return start


def mentions(query: ListeningQuery | None, *, since: dt.datetime, until: dt.datetime) -> QuerySet[Mention]:
    """What the page is about: a query's matches, or everything said to and about the bank."""
    if query is None:
        # A search hit that only a competitor query found is about another bank, not this one.
        for_the_bank = QueryMatch.objects.filter(mention=OuterRef("pk")).exclude(
            query__kind=ListeningQuery.Kind.COMPETITOR
        )
        return Mention.objects.filter(
            ~Q(kind=Mention.Kind.SEARCH) | Exists(for_the_bank),
            direction=Mention.Direction.IN,
            is_spam=False,
            created_at__gte=since,
            created_at__lt=until,
        )
    ids = QueryMatch.objects.filter(query=query, created_at__gte=since, created_at__lt=until).values(
        "mention_id"
    )
    return Mention.objects.filter(pk__in=ids)


def _buckets(rng: Range, now: dt.datetime) -> list[dt.datetime]:
    origin = _origin(rng, now)
    first = origin - int(rng.span / rng.step) * rng.step
    out, at = [], first
    while at <= now:
        out.append(at)
        at += rng.step
    return out


def _time_series(qs: QuerySet[Mention], rng: Range, now: dt.datetime, *, by: str | None = None):
    origin = _origin(rng, now)
    rows = qs.annotate(b=DateBin(rng.step_sql, F("created_at"), origin)).values("b", *([by] if by else []))
    rows = rows.annotate(n=Count("id")).order_by()
    return list(rows)


@dataclass
class Insights:
    range: Range
    total: int
    negative: int
    volume: list[tuple[dt.datetime, int]]
    sentiment: list[tuple[dt.datetime, dict[str, int]]]
    share_of_voice: list[dict]
    terms: list[tuple[str, int]]
    hashtags: list[tuple[str, int]]
    authors: list[dict]
    samples: list[Mention]
    terms_sampled: int

    @property
    def negative_percent(self) -> int | None:
        return round(100 * self.negative / self.total) if self.total else None

    def charts(self) -> dict:
        fmt = self.range.label_format
        labels = [timezone.localtime(b).strftime(fmt) for b, _ in self.volume]
        sov_total = sum(row["n"] for row in self.share_of_voice) or 1
        volume = [n for _, n in self.volume]
        sentiment = [
            {
                "label": label.title(),
                "key": label,
                "data": [counts.get(label, 0) for _, counts in self.sentiment],
            }
            for label in ("negative", "neutral", "positive")
        ]
        shares = [round(100 * row["n"] / sov_total, 1) for row in self.share_of_voice]
        return {
            "volume": {"kind": "line", "labels": labels, "datasets": [{"label": "Posts", "data": volume}]},
            "sentiment": {"kind": "stacked", "labels": labels, "datasets": sentiment},
            "sov": {
                "kind": "hbar",
                "unit": "%",
                "labels": [row["name"] for row in self.share_of_voice],
                "datasets": [{"label": "Share of voice", "data": shares}],
            },
        }


def insights(
    query: ListeningQuery | None, *, range_key: str | None = None, now: dt.datetime | None = None
) -> Insights:
    now = now or timezone.now()
    rng = range_for(range_key)
    buckets = _buckets(rng, now)
    since = buckets[0]
    qs = mentions(query, since=since, until=now + dt.timedelta(seconds=1))

    volume_rows = {row["b"]: row["n"] for row in _time_series(qs, rng, now)}
    volume = [(b, volume_rows.get(b, 0)) for b in buckets]
    sentiment_rows: dict[dt.datetime, dict[str, int]] = {}
    for row in _time_series(qs, rng, now, by="sentiment_label"):
        sentiment_rows.setdefault(row["b"], {})[row["sentiment_label"] or "unknown"] = row["n"]
    sentiment = [(b, sentiment_rows.get(b, {})) for b in buckets]
    total = sum(n for _, n in volume)
    negative = sum(counts.get("negative", 0) for _, counts in sentiment)

    sample = list(qs.order_by("-created_at").values_list("text", "lang")[:TERMS_SAMPLE])
    terms, hashtags = top_terms(sample, ignore=_own_words(query))
    authors = list(
        qs.values("author_id", "author__network", "author__handle", "author__name", "author__followers",
                  "author__profile_url", "author__external_id")
        .annotate(posts=Count("id"))
        .order_by(F("author__followers").desc(nulls_last=True), "-posts")[:10]
    )  # fmt: skip
    for row in authors:
        # Named as everywhere else: "@handle", or the name where the network gives no handle (Facebook).
        row["network_label"] = network_labels([row["author__network"]])[0]
        row["label"] = Author(
            network=row["author__network"],
            handle=row["author__handle"],
            name=row["author__name"],
            external_id=row["author__external_id"],
        ).label
    samples = list(qs.select_related("author").order_by("-created_at")[:10])
    return Insights(
        range=rng,
        total=total,
        negative=negative,
        volume=volume,
        sentiment=sentiment,
        share_of_voice=share_of_voice(since=since, until=now),
        terms=terms,
        hashtags=hashtags,
        authors=authors,
        samples=samples,
        terms_sampled=len(sample),
    )


def _own_words(query: ListeningQuery | None) -> set[str]:
    """A query's own words would top its own list, and the bank's name every list."""
    words = set(settings.BANK_NAME.lower().split())
    if query is None:
        return words
    try:
        return words | {word for term in positive_terms(parse(query.text)) for word in term.split()}
    except QuerySyntaxError:
        return words


def share_of_voice(*, since: dt.datetime, until: dt.datetime) -> list[dict]:
    """Posts per brand and competitor query in the range, biggest first."""
    rows = (
        QueryMatch.objects.filter(
            created_at__gte=since,
            created_at__lte=until,
            query__is_active=True,
            query__kind__in=[ListeningQuery.Kind.BRAND, ListeningQuery.Kind.COMPETITOR],
        )
        .values("query_id", "query__name", "query__kind")
        .annotate(n=Count("mention_id"))
        .order_by("-n")
    )
    total = sum(row["n"] for row in rows) or 1
    return [
        {
            "id": row["query_id"],
            "name": row["query__name"],
            "kind": row["query__kind"],
            "n": row["n"],
            "percent": round(100 * row["n"] / total, 1),
        }
        for row in rows
    ]


def query_rows(*, now: dt.datetime | None = None) -> list[dict]:
    """Every query with its posts in the last 24 hours and whether it is in an open alert: two queries."""
    now = now or timezone.now()
    queries = list(ListeningQuery.objects.order_by("-is_active", "kind", "name"))
    counts = dict(
        QueryMatch.objects.filter(created_at__gte=now - dt.timedelta(hours=24))
        .values("query_id")
        .annotate(n=Count("id"))
        .values_list("query_id", "n")
    )
    alerting = set(
        SpikeAlert.objects.filter(is_open=True)
        .values_list("queries__id", flat=True)
        .exclude(queries__id=None)
    )
    return [{"query": q, "last_day": counts.get(q.pk, 0), "alerting": q.pk in alerting} for q in queries]


ALERTS_PAGE = 25


def alerts_page(
    *, before: int | None = None, query_id: int | None = None
) -> tuple[list[SpikeAlert], int | None]:
    """Newest first, keyset-paginated on id; returns (alerts, id to continue from or None)."""
    qs = SpikeAlert.objects.order_by("-id").prefetch_related("queries", "accounts")
    if before:
        qs = qs.filter(id__lt=before)
    if query_id:
        qs = qs.filter(Q(queries__id=query_id))
    alerts = list(qs[: ALERTS_PAGE + 1])
    more = len(alerts) > ALERTS_PAGE
    alerts = alerts[:ALERTS_PAGE]
    return alerts, (alerts[-1].pk if more else None)


def open_alert() -> SpikeAlert | None:
    return SpikeAlert.objects.filter(is_open=True).first()
