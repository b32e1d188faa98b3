"""Reads of the dashboards. Every figure is computed here, and so are the rows behind it.

A figure and its drill-down share one queryset builder (`conversations`, `escalations`,
`mentions`), so the number on the dashboard and the rows its link lists cannot drift apart.

Time: every period is whole days in the bank's time zone (`TIME_ZONE`). Durations are wall-clock
time, as the customer lived it; the escalation SLA percentages count the department's working
hours, because the SLA due times are computed in working time when the clock starts (see
`escalations/sla.py`).

Sources and cost at scale (1M mentions, 200k conversations):
- mention volume, sentiment, thanks: `MentionHourly` (a rollup, at most a few rows per hour);
- conversation and escalation times: the tables themselves, one pass per table or chart with
  `percentile_cont` (medians need the individual durations, which a count table cannot keep).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.expressions import Case, When
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
)
from django.utils import timezone

from dashboards.forms import Filters
from dashboards.models import MentionHourly
from dashboards.permissions import Scope
from escalations.models import Escalation, Kudos
from inbox.models import Conversation
from listening.models import Mention

Status = Conversation.Status


class Seconds(Func):
    """`later - earlier` in seconds (NULL when either is NULL).

    `date_part` gives a double; `EXTRACT` would give a numeric, which sorts several times slower
    in `percentile_cont` and is cast to double there anyway."""

    template = "date_part('epoch', %(expressions)s)"
    arg_joiner = " - "
    output_field = FloatField()


def _tz():
    return timezone.get_current_timezone()


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


def _day_range(field: str, day: dt.date) -> Q:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return Q(**{f"{field}__gte": start, f"{field}__lt": start + dt.timedelta(days=1)})


def conversations(filters: Filters, scope: Scope, dims: dict | None = None) -> QuerySet[Conversation]:
    """Conversations first received in the period (spam left out), narrowed by the filters.

    `dims` narrows further to the rows behind one number: `has` (responded, unanswered,
    resolved), `bucket`, `day`, `week`, `tag`, `turnaround`.
    """
    dims = dims or {}
    qs = Conversation.objects.filter(
        first_received_at__gte=filters.start_at, first_received_at__lt=filters.end_at
    ).exclude(status=Status.SPAM)
    if filters.network:
        qs = qs.filter(network=filters.network)
    if filters.account:
        qs = qs.filter(account_id=filters.account)
    if scope.agent_id is not None:
        qs = qs.filter(assignee_id=scope.agent_id)
    elif filters.agent == "none":
        qs = qs.filter(assignee__isnull=True)
    elif filters.agent_id:
        qs = qs.filter(assignee_id=filters.agent_id)
    if filters.department:
        # "How fast do we answer card questions": conversations escalated to the department.
        qs = qs.filter(
            Exists(Escalation.objects.filter(conversation=OuterRef("pk"), department_id=filters.department))
        )
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
        qs = qs.filter(_day_range("first_received_at", dims["day"]))
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


def _compiled(qs: QuerySet) -> tuple[str, tuple] | None:
    """A queryset's SQL and parameters, to aggregate over it; None when it can match nothing."""
    try:
        return qs.query.sql_with_params()
    except EmptyResultSet:  # qs.none(): a scope that may see none of these
        return None


def _grouped(sql: str, params) -> list[dict]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


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
_CONVERSATION_GROUPING = {
    "keys": "GROUPING(day, week, network, assignee_id) AS grouping_set, day, week, network, assignee_id",
    "group_by": "GROUP BY GROUPING SETS ((week, day), (week), (), (network), (assignee_id))",
}
# The totals alone (the API's summary): one group, no sorting into sets.
_CONVERSATION_TOTALS = {"keys": "15 AS grouping_set", "group_by": ""}
_CONVERSATION_COLUMNS = (
    "first_received_at", "network", "assignee_id", "fr", "resolution",
    "first_response_at", "resolved_at", "first_sentiment",
)  # fmt: skip
_CONVERSATION_SETS_KEYS = ("day", "week", "network", "assignee_id")
_STAT_KEYS = ("received", "responded", "fr_median", "fr_p90", "resolved", "res_median", "res_p90")
_CONVERSATION_SETS = {15: "summary", 3: "daily", 11: "weekly", 13: "by_network", 14: "by_assignee"}


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
    compiled = _compiled(qs.values(*_CONVERSATION_COLUMNS))
    if compiled is None:
        return figures
    inner, params = compiled
    buckets = ",\n       ".join(
        f"count(*) FILTER (WHERE {_bucket_sql(key)}) AS b_{key}" for key in sorted(BUCKET_KEYS)
    )
    tz = timezone.get_current_timezone_name()
    grouping = _CONVERSATION_TOTALS if totals_only else _CONVERSATION_GROUPING
    sql = _CONVERSATION_FIGURES_SQL.format(buckets=buckets, inner=inner, **grouping)
    for row in _grouped(sql, (tz, tz, *params)):
        kind = _CONVERSATION_SETS[row.pop("grouping_set")]
        if kind == "summary":
            figures.summary = {k: v for k, v in row.items() if k not in _CONVERSATION_SETS_KEYS}
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


def turnaround_count(filters: Filters, scope: Scope) -> int:
    return conversation_figures(filters, scope).turnarounds


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
    base = Conversation.objects.all()
    if filters.network:
        base = base.filter(network=filters.network)
    if filters.account:
        base = base.filter(account_id=filters.account)
    agent = scope.agent_id or filters.agent_id
    if agent:
        base = base.filter(assignee_id=agent)
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


def escalation_backlog(filters: Filters, scope: Scope, *, now: dt.datetime) -> list[dict]:
    """Active escalations and those past a deadline now, per department (the queue's filters)."""
    qs = Escalation.objects.filter(state__in=Escalation.ACTIVE)
    if scope.department_ids is not None:
        qs = qs.filter(department_id__in=scope.department_ids)
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    return list(
        qs.values("department_id", "department__name")
        .annotate(
            active=Count("id"),
            breached=Count("id", filter=Q(state=Escalation.State.OPEN, due_at__lte=now)),
        )
        .order_by("department__name")
    )


# --- Escalations --------------------------------------------------------------------------------

EXPERT_RESPONSE = Seconds(F("first_response_at"), F("opened_at"))
EXPERT_RESOLUTION = Seconds(F("stopped_at"), F("opened_at"))
OUTCOMES = ("met", "breached", "running")


def _outcome(now: dt.datetime, *, stopped: str, due: str, breached: str) -> Case:
    """met / breached / running, for one SLA clock: `stopped` when it stopped, `due` its
    deadline, `breached` when the SLA beat saw it breach."""
    return Case(
        When(**{f"{breached}__isnull": False}, then=Value("breached")),
        When(
            **{f"{stopped}__isnull": False, f"{due}__isnull": False, f"{stopped}__gt": F(due)},
            then=Value("breached"),
        ),
        When(**{f"{stopped}__isnull": False}, then=Value("met")),
        When(**{f"{due}__lte": now}, then=Value("breached")),
        default=Value("running"),
        output_field=CharField(),
    )


def _response_outcome(now: dt.datetime) -> Case:
    """The expert's first-response clock."""
    return _outcome(now, stopped="first_response_at", due="response_due_at", breached="response_breached_at")


def _resolution_outcome(now: dt.datetime) -> Case:
    """Resolution, which stops at the expert's answer (or at closing without one)."""
    return _outcome(now, stopped="stopped_at", due="resolution_due_at", breached="resolution_breached_at")


def escalations(
    filters: Filters, scope: Scope, dims: dict | None = None, *, now: dt.datetime | None = None
) -> QuerySet[Escalation]:
    """Escalations opened in the period, narrowed by the filters and the scope.

    `dims`: `priority`, `clock` (response, resolution) with `outcome` (met, breached, running),
    `has` (responded, resolved), `specialist` (a user id, "none"), `day`.
    """
    now = now or timezone.now()
    dims = dims or {}
    qs = Escalation.objects.filter(opened_at__gte=filters.start_at, opened_at__lt=filters.end_at)
    if scope.department_ids is not None:
        qs = qs.filter(department_id__in=scope.department_ids)
    if filters.department:
        qs = qs.filter(department_id=filters.department)
    if filters.network:
        qs = qs.filter(conversation__network=filters.network)
    if filters.account:
        qs = qs.filter(conversation__account_id=filters.account)
    # The agent's side of an escalation is asking for it.
    if scope.agent_id is not None:
        qs = qs.filter(requested_by_id=scope.agent_id)
    elif filters.agent == "none":
        qs = qs.filter(requested_by__isnull=True)
    elif filters.agent_id:
        qs = qs.filter(requested_by_id=filters.agent_id)
    qs = qs.annotate(stopped_at=Coalesce("answered_at", "closed_at"))
    qs = qs.annotate(
        expert_response=EXPERT_RESPONSE,
        expert_resolution=EXPERT_RESOLUTION,
        response_outcome=_response_outcome(now),
        resolution_outcome=_resolution_outcome(now),
    )
    if dims.get("priority") is not None:
        qs = qs.filter(priority=dims["priority"])
    if dims.get("clock") in ("response", "resolution") and dims.get("outcome") in OUTCOMES:
        qs = qs.filter(**{f"{dims['clock']}_outcome": dims["outcome"]})
    if dims.get("has") == "responded":
        qs = qs.filter(first_response_at__isnull=False)
    elif dims.get("has") == "resolved":
        qs = qs.filter(stopped_at__isnull=False)
    specialist = dims.get("specialist")
    if specialist == "none":
        qs = qs.filter(assignee__isnull=True)
    elif specialist:
        qs = qs.filter(assignee_id=specialist)
    if isinstance(dims.get("day"), dt.date):
        qs = qs.filter(_day_range("opened_at", dims["day"]))
    return qs


# The escalation figures in one pass over `escalations()`: the totals, per department and
# priority, per specialist. GROUPING(department_id, priority, assignee_id) names the set.
_ESCALATION_FIGURES_SQL = """
SELECT GROUPING(department_id, priority, assignee_id) AS grouping_set, department_id, priority, assignee_id,
       count(*) AS opened,
       count(*) FILTER (WHERE first_response_at IS NOT NULL) AS responded,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY expert_response) AS fr_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY expert_response) AS fr_p90,
       count(*) FILTER (WHERE stopped_at IS NOT NULL) AS resolved,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY expert_resolution) AS res_median,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY expert_resolution) AS res_p90,
       count(*) FILTER (WHERE response_outcome = 'met') AS response_met,
       count(*) FILTER (WHERE response_outcome = 'breached') AS response_breached,
       count(*) FILTER (WHERE resolution_outcome = 'met') AS resolution_met,
       count(*) FILTER (WHERE resolution_outcome = 'breached') AS resolution_breached
FROM ({inner}) AS period
GROUP BY GROUPING SETS ((), (department_id, priority), (assignee_id))
"""
_ESCALATION_COLUMNS = (
    "department_id", "priority", "assignee_id", "first_response_at", "stopped_at",
    "expert_response", "expert_resolution", "response_outcome", "resolution_outcome",
)  # fmt: skip
_ESCALATION_SETS = {7: "summary", 1: "by_department", 6: "by_assignee"}
_ESCALATION_STATS = (
    "opened", "responded", "fr_median", "fr_p90", "resolved", "res_median", "res_p90",
    "response_met", "response_breached", "resolution_met", "resolution_breached",
)  # fmt: skip


@dataclass
class EscalationFigures:
    summary: dict
    by_department: list[dict]  # per department and priority
    by_assignee: list[dict]


def escalation_figures(
    filters: Filters, scope: Scope, *, now: dt.datetime | None = None
) -> EscalationFigures:
    """The escalation summary and both of its tables, in one query."""
    summary = {key: None if key.endswith(("_median", "_p90")) else 0 for key in _ESCALATION_STATS}
    figures = EscalationFigures(summary, [], [])
    compiled = _compiled(escalations(filters, scope, now=now).values(*_ESCALATION_COLUMNS))
    if compiled is None:
        return figures
    inner, params = compiled
    for row in _grouped(_ESCALATION_FIGURES_SQL.format(inner=inner), params):
        kind = _ESCALATION_SETS[row["grouping_set"]]
        values = {key: row[key] for key in _ESCALATION_STATS}
        if kind == "summary":
            figures.summary = values
        elif kind == "by_department":
            key = {"department": row["department_id"], "priority": row["priority"]}
            figures.by_department.append({**key, **values})
        else:
            figures.by_assignee.append({"assignee": row["assignee_id"], **values})
    figures.by_department.sort(key=lambda r: (r["department"], r["priority"]))
    # By id, nobody-yet last (as ORDER BY does).
    figures.by_assignee.sort(key=lambda r: (r["assignee"] is None, r["assignee"] or 0))
    return figures


def escalation_summary(filters: Filters, scope: Scope, *, now: dt.datetime | None = None) -> dict:
    return escalation_figures(filters, scope, now=now).summary


def escalations_by(filters: Filters, scope: Scope, fields: tuple[str, ...], *, now=None) -> list[dict]:
    """The escalation figures per department and priority, or per specialist (`assignee`)."""
    figures = escalation_figures(filters, scope, now=now)
    if tuple(fields) == ("department", "priority"):
        return figures.by_department
    if tuple(fields) == ("assignee",):
        return figures.by_assignee
    raise ValueError(f"no escalation figures by {fields}")


def sla_percent(met: int, breached: int) -> float | None:
    """Met among the decided (running clocks are left out): None when nothing is decided yet."""
    decided = met + breached
    return round(100.0 * met / decided, 1) if decided else None


# --- Recognition --------------------------------------------------------------------------------


def kudos(filters: Filters, scope: Scope, dims: dict | None = None) -> QuerySet[Kudos]:
    """Kudos given in the period (a customer thanked us after an expert's answer)."""
    dims = dims or {}
    qs = Kudos.objects.filter(created_at__gte=filters.start_at, created_at__lt=filters.end_at)
    if scope.department_ids is not None:
        qs = qs.filter(escalation__department_id__in=scope.department_ids)
    if filters.department:
        qs = qs.filter(escalation__department_id=filters.department)
    if filters.network:
        qs = qs.filter(conversation__network=filters.network)
    if filters.account:
        qs = qs.filter(conversation__account_id=filters.account)
    if scope.agent_id is not None:
        qs = qs.filter(agent_id=scope.agent_id)
    elif filters.agent_id:
        qs = qs.filter(agent_id=filters.agent_id)
    if dims.get("expert"):
        qs = qs.filter(expert_id=dims["expert"])
    if dims.get("kudos_agent"):
        qs = qs.filter(agent_id=dims["kudos_agent"])
    return qs


def kudos_by(filters: Filters, scope: Scope, field: str) -> list[dict]:
    qs = kudos(filters, scope).filter(**{f"{field}__isnull": False})
    return list(qs.values(field).annotate(n=Count("id")).order_by("-n", field))


# --- Mentions ---------------------------------------------------------------------------------


def mentions(filters: Filters, scope: Scope, dims: dict | None = None) -> QuerySet[Mention]:
    """Inbound customer mentions received in the period (the rows behind the rollup's counts).

    `dims`: `sentiment`, `intent`, `day`, `weekday` (1 = Monday) with `hour`, `thanked`
    (an agent id: thanks in the conversations assigned to them).
    """
    dims = dims or {}
    qs = Mention.objects.filter(
        direction=Mention.Direction.IN, received_at__gte=filters.start_at, received_at__lt=filters.end_at
    )
    if filters.network:
        qs = qs.filter(network=filters.network)
    if filters.account:
        qs = qs.filter(account_id=filters.account)
    agent = scope.agent_id or dims.get("thanked")
    if agent:
        qs = qs.filter(
            Exists(
                Conversation.objects.filter(
                    network=OuterRef("network"), thread_key=OuterRef("thread_key"), assignee_id=agent
                )
            )
        )
    elif not scope.team:
        return Mention.objects.none()
    if "sentiment" in dims:
        qs = qs.filter(sentiment_label=dims["sentiment"])
    if "intent" in dims:
        qs = qs.filter(intent=dims["intent"])
    if isinstance(dims.get("day"), dt.date):
        qs = qs.filter(_day_range("received_at", dims["day"]))
    if dims.get("weekday") and dims.get("hour") is not None:
        qs = qs.annotate(
            wd=ExtractIsoWeekDay("received_at", tzinfo=_tz()), hr=ExtractHour("received_at", tzinfo=_tz())
        ).filter(wd=dims["weekday"], hr=dims["hour"])
    return qs


def rollup(filters: Filters, scope: Scope) -> QuerySet[MentionHourly]:
    """The hourly counts of the period; empty for those who do not see team-wide volume."""
    if not scope.team:
        return MentionHourly.objects.none()
    qs = MentionHourly.objects.filter(hour__gte=filters.start_at, hour__lt=filters.end_at)
    if filters.network:
        qs = qs.filter(network=filters.network)
    if filters.account:
        qs = qs.filter(account_id=filters.account)
    return qs


# Every volume figure of the period from the hourly rollup, in one pass: per sentiment, per
# local day and network, per local day and sentiment, per account, per weekday and local hour.
_VOLUME_FIGURES_SQL = """
SELECT GROUPING(day, network, sentiment, account_id, wd, hr) AS grouping_set,
       day, network, sentiment, account_id, wd, hr,
       sum(n) AS n, coalesce(sum(thanks), 0) AS thanks
FROM (
    SELECT local::date AS day, network, sentiment, account_id,
           EXTRACT(ISODOW FROM local)::int AS wd, EXTRACT(HOUR FROM local)::int AS hr, n, thanks
    FROM (
        -- First the hours without the intents (only thanks matter here), each hour's local
        -- time computed once: about half the rows for the five sets to hash.
        SELECT hour AT TIME ZONE %s AS local, network, sentiment, account_id,
               sum(count) AS n, sum(count) FILTER (WHERE intent = 'thanks') AS thanks
        FROM ({inner}) AS period
        GROUP BY hour, network, sentiment, account_id
        OFFSET 0
    ) AS hours
) AS h
GROUP BY GROUPING SETS ((sentiment), (day, network), (day, sentiment), (network, account_id), (wd, hr))
"""
# GROUPING bits, most significant first: day, network, sentiment, account_id, wd, hr.
_VOLUME_SETS = {0b110111: "sentiment", 0b001111: "day_network", 0b010111: "day_sentiment",
                0b101011: "account", 0b111100: "heatmap"}  # fmt: skip


@dataclass
class VolumeFigures:
    by_sentiment: dict[str, int]
    by_day_network: list[dict]
    by_day_sentiment: list[dict]
    by_account: list[dict]
    heatmap: dict[tuple[int, int], int]

    @property
    def total(self) -> int:
        return sum(self.by_sentiment.values())

    @property
    def thanks(self) -> int:
        return sum(row["thanks"] for row in self.by_account)


def volume_figures(filters: Filters, scope: Scope) -> VolumeFigures:
    """The volume section's figures (and the negative share, the thanks) in one rollup query."""
    figures = VolumeFigures({}, [], [], [], {})
    columns = ("hour", "network", "sentiment", "account_id", "intent", "count")
    compiled = _compiled(rollup(filters, scope).values(*columns))
    if compiled is None:
        return figures
    inner, params = compiled
    tz = timezone.get_current_timezone_name()
    for row in _grouped(_VOLUME_FIGURES_SQL.format(inner=inner), (tz, *params)):
        kind = _VOLUME_SETS[row["grouping_set"]]
        n = int(row["n"])
        if kind == "sentiment":
            figures.by_sentiment[row["sentiment"]] = n
        elif kind == "day_network":
            figures.by_day_network.append({"day": row["day"], "network": row["network"], "n": n})
        elif kind == "day_sentiment":
            figures.by_day_sentiment.append({"day": row["day"], "sentiment": row["sentiment"], "n": n})
        elif kind == "account":
            account = {"network": row["network"], "account_id": row["account_id"]}
            figures.by_account.append({**account, "n": n, "thanks": int(row["thanks"])})
        else:
            figures.heatmap[(row["wd"], row["hr"])] = n
    figures.by_day_network.sort(key=lambda r: (r["day"], r["network"]))
    figures.by_day_sentiment.sort(key=lambda r: (r["day"], r["sentiment"]))
    figures.by_account.sort(key=lambda r: (-r["n"], r["network"], r["account_id"] or 0))
    return figures


def volume_by_day(filters: Filters, scope: Scope, field: str) -> list[dict]:
    """Mentions per local day and `network` or `sentiment`."""
    figures = volume_figures(filters, scope)
    return figures.by_day_network if field == "network" else figures.by_day_sentiment


def volume_by_account(filters: Filters, scope: Scope) -> list[dict]:
    return volume_figures(filters, scope).by_account


def heatmap(filters: Filters, scope: Scope) -> dict[tuple[int, int], int]:
    """{(ISO weekday, local hour): mentions}, for staffing."""
    return volume_figures(filters, scope).heatmap


def thanks_total(filters: Filters, scope: Scope) -> int:
    if scope.agent_id is not None:
        return mentions(filters, scope, {"intent": "thanks"}).count()
    return volume_figures(filters, scope).thanks


_THANKS_BY_AGENT_SQL = """
SELECT c.assignee_id AS agent, sum(t.n)::int AS n
FROM (SELECT network, thread_key, count(*) AS n FROM ({inner}) AS m GROUP BY network, thread_key) AS t
JOIN inbox_conversation AS c ON c.network = t.network AND c.thread_key = t.thread_key
WHERE c.assignee_id IS NOT NULL
GROUP BY c.assignee_id
ORDER BY n DESC, agent
"""


def thanks_by_agent(filters: Filters, scope: Scope) -> list[dict]:
    """Customers' thanks per agent of the conversation they thanked us in (raw: thanks are few,
    and `mention_thanks_idx` finds them; a conversation is unique on its network and thread)."""
    if not scope.team:
        return []
    compiled = _compiled(mentions(filters, scope, {"intent": "thanks"}).values("network", "thread_key"))
    if compiled is None:
        return []
    inner, params = compiled
    return _grouped(_THANKS_BY_AGENT_SQL.format(inner=inner), params)
