"""The period's conversations: their figures (times, counts, distribution, turnarounds), the
top tags, and the backlog now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Count,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import Case, When
from django.utils import timezone

from dashboards.forms import Filters
from dashboards.permissions import Scope
from dashboards.selectors.common import (
    GroupingSets,
    Seconds,
    compiled_sql,
    day_range,
    grouped,
    narrow,
)
from inbox.models import Conversation
from listening.models import Mention

Status = Conversation.Status


# --- Conversations -------------------------------------------------------------------------------

FIRST_RESPONSE = Seconds(F("first_response_at"), F("first_received_at"))
RESOLUTION = Seconds(F("resolved_at"), F("first_received_at"))

# The distribution chart's buckets of first-response time: key, label, from, to (seconds).
BUCKETS = [
    ("lt15m", "Under 15 min", 0, 15 * 60),
    ("lt1h", "15 to 60 min", 15 * 60, 3600),
    ("lt4h", "1 to 4 hours", 3600, 4 * 3600),
    ("lt24h", "4 to 24 hours", 4 * 3600, 24 * 3600),
    ("gt24h", "Over 24 hours", 24 * 3600, None),
]
BUCKET_KEYS = {key for key, *_ in BUCKETS} | {"none"}


def _bucket_q(key: str) -> Q:
    if key == "none":
        return Q(first_response_at__isnull=True)
    _key, _label, low, high = next(b for b in BUCKETS if b[0] == key)
    q = Q(fr__gte=low)
    if high is not None:
        q &= Q(fr__lt=high)
    return q


def conversations(filters: Filters, scope: Scope, dims: dict | None = None) -> QuerySet[Conversation]:
    """Conversations first received in the period (spam left out), narrowed by the filters.

    `dims` narrows further to the rows behind one number: `has` (responded, unanswered,
    resolved), `bucket`, `day`, `week`, `tag`, `turnaround`.
    """
    dims = dims or {}
    qs = Conversation.objects.filter(
        first_received_at__gte=filters.start_at, first_received_at__lt=filters.end_at
    ).exclude(status=Status.SPAM)
    qs = narrow(qs, "conversations", filters, scope)
    qs = qs.annotate(fr=FIRST_RESPONSE, resolution=RESOLUTION)
    has = dims.get("has")
    if has == "responded":
        qs = qs.filter(first_response_at__isnull=False)
    elif has == "unanswered":
        qs = qs.filter(first_response_at__isnull=True)
    elif has == "resolved":
        qs = qs.filter(resolved_at__isnull=False)
    if dims.get("bucket") in BUCKET_KEYS:
        qs = qs.filter(_bucket_q(dims["bucket"]))
    if isinstance(dims.get("day"), dt.date):
        qs = qs.filter(day_range("first_received_at", dims["day"]))
    if isinstance(dims.get("week"), dt.date):
        monday = dims["week"] - dt.timedelta(days=dims["week"].weekday())
        start = timezone.make_aware(dt.datetime.combine(monday, dt.time.min))
        qs = qs.filter(first_received_at__gte=start, first_received_at__lt=start + dt.timedelta(days=7))
    if dims.get("tag"):
        qs = qs.filter(tags__id=dims["tag"])
    if dims.get("turnaround"):
        qs = _turnarounds(qs)
    if not scope.conversations:
        qs = qs.none()
    return qs


def _bucket_sql(key: str) -> str:
    if key == "none":
        return "first_response_at IS NULL"
    _key, _label, low, high = next(b for b in BUCKETS if b[0] == key)
    return f"fr >= {int(low)}" + (f" AND fr < {int(high)}" if high is not None else "")


# The figures of the period's conversations, one pass: the totals, per local day, per week,
# per network and per assignee (GROUPING SETS), so the table is read once however many charts
# show it. The bits of GROUPING(day, week, network, assignee_id) say which set a row belongs to.
# A day lies in one week, so (week, day), (week) and () share one sort.
_CONVERSATION_FIGURES_SQL = """
SELECT {keys},
       count(*) AS received,
       count(*) FILTER (WHERE first_response_at IS NOT NULL) AS responded,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY fr) AS fr_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY fr) AS fr_p90,
       count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution) AS res_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution) AS res_p90,
       {buckets},
       count(*) FILTER (WHERE first_sentiment = 'negative') AS turnarounds
FROM (
    SELECT (first_received_at AT TIME ZONE %s)::date AS day,
           date_trunc('week', first_received_at AT TIME ZONE %s)::date AS week,
           network, assignee_id, fr, resolution, first_response_at, resolved_at, first_sentiment
    FROM ({inner}) AS period
) AS c
{group_by}
"""
CONVERSATION_SETS = GroupingSets(
    ("day", "week", "network", "assignee_id"),
    {
        "daily": ("week", "day"),
        "weekly": ("week",),
        "summary": (),
        "by_network": ("network",),
        "by_assignee": ("assignee_id",),
    },
)
_CONVERSATION_GROUPING = {"keys": CONVERSATION_SETS.select(), "group_by": CONVERSATION_SETS.group_by()}
# The totals alone (the API's summary): one group, no sorting into sets.
_CONVERSATION_TOTALS = {"keys": f"{CONVERSATION_SETS.number(())} AS grouping_set", "group_by": ""}
_CONVERSATION_COLUMNS = (
    "first_received_at", "network", "assignee_id", "fr", "resolution",
    "first_response_at", "resolved_at", "first_sentiment",
)  # fmt: skip
_STAT_KEYS = ("received", "responded", "fr_median", "fr_p90", "resolved", "res_median", "res_p90")


@dataclass
class ConversationFigures:
    summary: dict
    daily: list[dict]
    weekly: list[dict]
    by_network: list[dict]
    by_assignee: list[dict]

    @property
    def turnarounds(self) -> int:
        return self.summary["turnarounds"]


def _empty_conversation_summary() -> dict:
    summary = dict.fromkeys(("received", "responded", "resolved", "turnarounds"), 0)
    summary |= dict.fromkeys(("fr_median", "fr_p90", "res_median", "res_p90"))
    return summary | {f"b_{key}": 0 for key in BUCKET_KEYS}


def conversation_figures(filters: Filters, scope: Scope, *, totals_only: bool = False) -> ConversationFigures:
    """Every conversation figure of the dashboard in one query over `conversations()`
    (`totals_only`: the summary alone).

    The turnaround count rides along: the first customer message's sentiment is looked up only
    for conversations that are positive now and have more than one message (a CASE, so the
    subquery runs for those alone).
    """
    figures = ConversationFigures(_empty_conversation_summary(), [], [], [], [])
    qs = conversations(filters, scope).annotate(
        first_sentiment=Case(When(_MAY_HAVE_TURNED, then=Subquery(_first_sentiment())))
    )
    compiled = compiled_sql(qs.values(*_CONVERSATION_COLUMNS))
    if compiled is None:
        return figures
    inner, params = compiled
    buckets = ",\n       ".join(
        f"count(*) FILTER (WHERE {_bucket_sql(key)}) AS b_{key}" for key in sorted(BUCKET_KEYS)
    )
    tz = timezone.get_current_timezone_name()
    grouping = _CONVERSATION_TOTALS if totals_only else _CONVERSATION_GROUPING
    sql = _CONVERSATION_FIGURES_SQL.format(buckets=buckets, inner=inner, **grouping)
    for row in grouped(sql, (tz, tz, *params)):
        kind = CONVERSATION_SETS.name_of(row)
        if kind == "summary":
            figures.summary = {k: v for k, v in row.items() if k not in CONVERSATION_SETS.keys}
            continue
        stats = {key: row[key] for key in _STAT_KEYS}
        if kind == "daily":
            figures.daily.append({"period": row["day"], **stats})
        elif kind == "weekly":
            figures.weekly.append({"period": row["week"], **stats})
        elif kind == "by_network":
            figures.by_network.append({"network": row["network"], **stats})
        else:
            figures.by_assignee.append({"assignee": row["assignee_id"], **stats})
    figures.daily.sort(key=lambda r: r["period"])
    figures.weekly.sort(key=lambda r: r["period"])
    figures.by_network.sort(key=lambda r: (-r["received"], r["network"]))
    # Most conversations first; among equals by id, the unassigned last (as ORDER BY does).
    figures.by_assignee.sort(key=lambda r: (-r["received"], r["assignee"] is None, r["assignee"] or 0))
    return figures


def conversation_summary(filters: Filters, scope: Scope) -> dict:
    """Headline figures and the distribution."""
    return conversation_figures(filters, scope, totals_only=True).summary


def conversations_by(filters: Filters, scope: Scope, field: str) -> list[dict]:
    """The headline figures per `assignee` or `network`, most conversations first."""
    figures = conversation_figures(filters, scope)
    return figures.by_assignee if field == "assignee" else figures.by_network


def conversation_trend(filters: Filters, scope: Scope, *, weekly: bool = False) -> list[dict]:
    figures = conversation_figures(filters, scope)
    return figures.weekly if weekly else figures.daily


def top_tags(filters: Filters, scope: Scope, *, limit: int = 10) -> list[dict]:
    through = Conversation.tags.through
    ids = conversations(filters, scope).values("pk")
    return list(
        through.objects.filter(conversation_id__in=ids)
        .values("tag_id", "tag__name")
        .annotate(n=Count("conversation_id"))
        .order_by("-n", "tag__name")[:limit]
    )


def _first_sentiment() -> QuerySet[Mention]:
    """The sentiment of a conversation's first customer message (for `OuterRef`)."""
    return (
        Mention.objects.filter(
            network=OuterRef("network"), thread_key=OuterRef("thread_key"), direction=Mention.Direction.IN
        )
        .order_by("created_at", "id")
        .values("sentiment_label")[:1]
    )


# Positive now, and more than its opening message: a conversation of one message cannot have
# turned around (its first customer message is its latest), so its first is not looked up.
_MAY_HAVE_TURNED = Q(sentiment_label="positive", message_count__gt=1)


def _turnarounds(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Conversations whose latest customer message is positive and whose first was negative."""
    return (
        qs.filter(_MAY_HAVE_TURNED)
        .annotate(first_sentiment=Subquery(_first_sentiment()))
        .filter(first_sentiment="negative")
    )


# --- Backlog (now, not the period) ----------------------------------------------------------------


@dataclass
class Backlog:
    counts: dict[str, int]
    oldest: Conversation | None


BACKLOG_VIEWS = ("unassigned", "open", "waiting_expert", "urgent")


def backlog(filters: Filters, scope: Scope, *, user) -> Backlog:
    """The inbox's saved views as they are now, with the network, account and agent filters.

    Counted with the inbox's own capped counts, so the figure and the inbox view it links to agree.
    """
    from inbox.selectors import SAVED_VIEWS, capped_counts

    if not scope.conversations:
        return Backlog(counts={}, oldest=None)
    base = narrow(Conversation.objects.all(), "backlog", filters, scope)
    agent = scope.agent_id or filters.agent_id
    views = [v for v in BACKLOG_VIEWS if not (agent and v == "unassigned")]
    counts = capped_counts({key: base.filter(SAVED_VIEWS[key].q(user)) for key in views})
    # The oldest of each status through `conv_status_waiting_idx` (status, last_inbound_at, id),
    # then the older of the two: `status IN (...) ORDER BY` would sort every open conversation.
    candidates = [
        base.filter(status=status).select_related("customer").order_by("last_inbound_at", "id").first()
        for status in (Status.NEW, Status.OPEN)
    ]
    found = [c for c in candidates if c is not None]
    oldest = min(found, key=lambda c: (c.last_inbound_at, c.pk)) if found else None
    return Backlog(counts=counts, oldest=oldest)
