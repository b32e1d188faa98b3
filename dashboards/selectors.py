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

from django.db.models import (
    Aggregate,
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
    Sum,
    Value,
)
from django.db.models.expressions import Case, When
from django.db.models.functions import (
    Coalesce,
    ExtractHour,
    ExtractIsoWeekDay,
    TruncDate,
    TruncWeek,
)
from django.utils import timezone

from dashboards.forms import Filters
from dashboards.models import MentionHourly
from dashboards.permissions import Scope
from escalations.models import Escalation, Kudos
from inbox.models import Conversation
from listening.models import Mention

Status = Conversation.Status


class Percentile(Aggregate):
    """PostgreSQL's `percentile_cont(f) WITHIN GROUP (ORDER BY x)`: interpolated, NULLs ignored."""

    function = "percentile_cont"
    name = "Percentile"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        # A number we format ourselves, never user input.
        super().__init__(expression, fraction=f"{float(fraction):.4f}", **extra)


class Seconds(Func):
    """`later - earlier` in seconds (NULL when either is NULL)."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
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


def _stats() -> dict:
    return {
        "received": Count("id"),
        "responded": Count("id", filter=Q(first_response_at__isnull=False)),
        "fr_median": Percentile("fr", 0.5),
        "fr_p90": Percentile("fr", 0.9),
        "resolved": Count("id", filter=Q(resolved_at__isnull=False)),
        "res_median": Percentile("resolution", 0.5),
        "res_p90": Percentile("resolution", 0.9),
    }


def conversation_summary(filters: Filters, scope: Scope) -> dict:
    """Headline figures and the distribution, in one query."""
    qs = conversations(filters, scope)
    buckets = {f"b_{key}": Count("id", filter=_bucket_q(key)) for key in BUCKET_KEYS}
    return qs.aggregate(**_stats(), **buckets)


def conversations_by(filters: Filters, scope: Scope, field: str) -> list[dict]:
    """The headline figures per `assignee` or `network`, most conversations first."""
    qs = conversations(filters, scope)
    return list(qs.order_by().values(field).annotate(**_stats()).order_by("-received", field))


def conversation_trend(filters: Filters, scope: Scope, *, weekly: bool = False) -> list[dict]:
    field = "first_received_at"
    trunc = TruncWeek(field, tzinfo=_tz()) if weekly else TruncDate(field, tzinfo=_tz())
    qs = conversations(filters, scope).annotate(period=trunc)
    rows = list(qs.order_by().values("period").annotate(**_stats()).order_by("period"))
    for row in rows:
        if isinstance(row["period"], dt.datetime):
            row["period"] = timezone.localtime(row["period"]).date()
    return rows


def top_tags(filters: Filters, scope: Scope, *, limit: int = 10) -> list[dict]:
    through = Conversation.tags.through
    ids = conversations(filters, scope).values("pk")
    return list(
        through.objects.filter(conversation_id__in=ids)
        .values("tag_id", "tag__name")
        .annotate(n=Count("conversation_id"))
        .order_by("-n", "tag__name")[:limit]
    )


def _turnarounds(qs: QuerySet[Conversation]) -> QuerySet[Conversation]:
    """Conversations whose latest customer message is positive and whose first was negative."""
    first_sentiment = (
        Mention.objects.filter(
            network=OuterRef("network"), thread_key=OuterRef("thread_key"), direction=Mention.Direction.IN
        )
        .order_by("created_at", "id")
        .values("sentiment_label")[:1]
    )
    return (
        qs.filter(sentiment_label="positive")
        .annotate(first_sentiment=Subquery(first_sentiment))
        .filter(first_sentiment="negative")
    )


def turnaround_count(filters: Filters, scope: Scope) -> int:
    return conversations(filters, scope, {"turnaround": True}).count()


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
    oldest = (
        base.filter(status__in=[Status.NEW, Status.OPEN])
        .select_related("customer")
        .order_by("last_inbound_at", "id")
        .first()
    )
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


def _escalation_stats() -> dict:
    return {
        "opened": Count("id"),
        "responded": Count("id", filter=Q(first_response_at__isnull=False)),
        "fr_median": Percentile("expert_response", 0.5),
        "fr_p90": Percentile("expert_response", 0.9),
        "resolved": Count("id", filter=Q(stopped_at__isnull=False)),
        "res_median": Percentile("expert_resolution", 0.5),
        "res_p90": Percentile("expert_resolution", 0.9),
        "response_met": Count("id", filter=Q(response_outcome="met")),
        "response_breached": Count("id", filter=Q(response_outcome="breached")),
        "resolution_met": Count("id", filter=Q(resolution_outcome="met")),
        "resolution_breached": Count("id", filter=Q(resolution_outcome="breached")),
    }


def escalation_summary(filters: Filters, scope: Scope, *, now: dt.datetime | None = None) -> dict:
    return escalations(filters, scope, now=now).aggregate(**_escalation_stats())


def escalations_by(filters: Filters, scope: Scope, fields: tuple[str, ...], *, now=None) -> list[dict]:
    """The escalation figures per department and priority, or per specialist (`assignee`)."""
    qs = escalations(filters, scope, now=now)
    return list(qs.order_by().values(*fields).annotate(**_escalation_stats()).order_by(*fields))


def escalation_trend(filters: Filters, scope: Scope, *, now=None) -> list[dict]:
    qs = escalations(filters, scope, now=now).annotate(period=TruncDate("opened_at", tzinfo=_tz()))
    return list(qs.order_by().values("period").annotate(**_escalation_stats()).order_by("period"))


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


def volume_by_day(filters: Filters, scope: Scope, field: str) -> list[dict]:
    """Mentions per local day and `network` or `sentiment`."""
    qs = rollup(filters, scope).annotate(day=TruncDate("hour", tzinfo=_tz()))
    return list(qs.values("day", field).annotate(n=Sum("count")).order_by("day", field))


def volume_by_hour(filters: Filters, scope: Scope) -> list[dict]:
    """Mentions per hour (for short periods), in local time."""
    return list(rollup(filters, scope).values("hour", "network").annotate(n=Sum("count")).order_by("hour"))


def volume_by_account(filters: Filters, scope: Scope) -> list[dict]:
    return list(
        rollup(filters, scope)
        .values("network", "account_id")
        .annotate(n=Sum("count"), thanks=Sum("count", filter=Q(intent="thanks")))
        .order_by("-n", "network")
    )


def heatmap(filters: Filters, scope: Scope) -> dict[tuple[int, int], int]:
    """{(ISO weekday, local hour): mentions}, for staffing."""
    qs = rollup(filters, scope).annotate(
        wd=ExtractIsoWeekDay("hour", tzinfo=_tz()), hr=ExtractHour("hour", tzinfo=_tz())
    )
    return {(r["wd"], r["hr"]): r["n"] for r in qs.values("wd", "hr").annotate(n=Sum("count"))}


def thanks_total(filters: Filters, scope: Scope) -> int:
    if scope.agent_id is not None:
        return mentions(filters, scope, {"intent": "thanks"}).count()
    return rollup(filters, scope).filter(intent="thanks").aggregate(n=Sum("count"))["n"] or 0


def thanks_by_agent(filters: Filters, scope: Scope) -> list[dict]:
    """Customers' thanks per agent of the conversation they thanked us in (raw: thanks are few)."""
    if not scope.team:
        return []
    assignee = Conversation.objects.filter(
        network=OuterRef("network"), thread_key=OuterRef("thread_key")
    ).values("assignee_id")[:1]
    qs = mentions(filters, scope, {"intent": "thanks"}).annotate(agent=Subquery(assignee))
    return list(
        qs.filter(agent__isnull=False).values("agent").annotate(n=Count("id")).order_by("-n", "agent")
    )
