"""The rows behind a number: which figure (`metric` and its dims, from the URL), one page of
them (keyset on the id, newest first), and all of them as CSV.

The querysets are the selectors' own, the ones the figure was counted from.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet, ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict

from bankbuzz.dbrouter import read_alias
from bankbuzz.fields import BoundedDateField
from dashboards import selectors
from dashboards.forms import Filters
from dashboards.permissions import Scope
from dashboards.report import NETWORK, PRIORITY, WEEKDAYS
from escalations.models import Department
from inbox.models import Conversation
from inbox.selectors import capped_counts

PAGE_SIZE = 100
COUNT_CAP = 10_000
EXPORT_CAP = 200_000
METRICS = ("conversations", "escalations", "mentions", "kudos")
TEXT_DIMS = {
    "has": {"responded", "unanswered", "resolved"},
    "bucket": selectors.BUCKET_KEYS,
    "clock": {"response", "resolution"},
    "outcome": set(selectors.OUTCOMES),
    "sentiment": {"", "negative", "neutral", "positive"},
    "intent": {"complaint", "fraud", "question", "outage", "thanks", "close_or_switch", "spam", "other"},
}
INT_DIMS = ("tag", "priority", "weekday", "hour", "thanked", "expert", "kudos_agent", "turnaround")
# The dims with a range of their own (weekday: ISO, 1 = Monday); ids fit PostgreSQL's bigint.
INT_RANGES = {"weekday": (1, 7), "hour": (0, 23)}
BIGINT_MAX = 2**63 - 1
DATE_DIMS = ("day", "week")


class BadDimension(ValueError):
    """A figure's parameter that is not one: the message names it, for a 400."""


def _int_dim(name: str, value: str) -> int:
    low, high = INT_RANGES.get(name, (0, BIGINT_MAX))
    if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
        raise BadDimension(f"{name}: enter a whole number from {low} to {high}.")
    return int(value)


def _date_dim(name: str, value: str) -> dt.date:
    try:
        day = BoundedDateField().clean(value)
    except ValidationError as exc:
        raise BadDimension(f"{name}: {' '.join(exc.messages)}") from exc
    return day


@dataclass(frozen=True)
class RowSpec:
    metric: str
    dims: dict = field(default_factory=dict)

    @classmethod
    def from_params(cls, params: QueryDict) -> RowSpec | None:
        """None for an unknown metric; BadDimension (a 400) for a dim that is not one."""
        metric = params.get("metric", "")
        if metric not in METRICS:
            return None
        dims: dict = {}
        for name, allowed in TEXT_DIMS.items():
            if name in params and params[name] in allowed:
                dims[name] = params[name]
        for name in INT_DIMS:
            if params.get(name, ""):
                dims[name] = _int_dim(name, params[name])
        for name in DATE_DIMS:
            if params.get(name, ""):
                dims[name] = _date_dim(name, params[name])
        specialist = params.get("specialist", "")
        if specialist == "none" or specialist.isdigit():
            dims["specialist"] = specialist
        return cls(metric=metric, dims=dims)


def queryset(spec: RowSpec, filters: Filters, scope: Scope) -> QuerySet:
    """The rows behind a figure, bound to the database the figure was read from (the replica in
    `replica_reads`), so a streamed export reads there too after the view has returned."""
    return _queryset(spec, filters, scope).using(read_alias())


def _queryset(spec: RowSpec, filters: Filters, scope: Scope) -> QuerySet:
    if spec.metric == "conversations":
        return selectors.conversations(filters, scope, spec.dims).select_related("customer", "assignee")
    if spec.metric == "escalations":
        return selectors.escalations(filters, scope, spec.dims).select_related(
            "department", "assignee", "conversation", "conversation__customer"
        )
    if spec.metric == "mentions":
        return selectors.mentions(filters, scope, spec.dims).select_related("author", "account")
    return selectors.kudos(filters, scope, spec.dims).select_related(
        "expert", "agent", "escalation__department", "conversation__customer"
    )


@dataclass
class RowsPage:
    rows: list
    count: int
    cap: int
    next_cursor: int | None
    conversation_ids: dict = field(default_factory=dict)  # mentions: (network, thread_key) -> id


def page(spec: RowSpec, filters: Filters, scope: Scope, *, cursor: str | None = None) -> RowsPage:
    qs = queryset(spec, filters, scope)
    try:
        total = capped_counts({"n": qs}, cap=COUNT_CAP)["n"]
    except EmptyResultSet:  # a scope that may see none of these (qs.none())
        total = 0
    if cursor and cursor.isdigit():
        qs = qs.filter(pk__lt=int(cursor))
    items = list(qs.order_by("-pk")[: PAGE_SIZE + 1])
    next_cursor = items[PAGE_SIZE - 1].pk if len(items) > PAGE_SIZE else None
    items = items[:PAGE_SIZE]
    result = RowsPage(rows=items, count=total, cap=COUNT_CAP, next_cursor=next_cursor)
    if spec.metric == "mentions" and items and scope.conversations:
        keys = Q(pk__in=[])
        for m in items:
            keys |= Q(network=m.network, thread_key=m.thread_key)
        result.conversation_ids = {
            (c["network"], c["thread_key"]): c["pk"]
            for c in Conversation.objects.using(qs.db).filter(keys).values("pk", "network", "thread_key")
        }
        for m in items:
            m.dash_conversation_id = result.conversation_ids.get((m.network, m.thread_key))
    return result


OUTCOME_TEXT = {"met": "SLA met", "breached": "SLA breached", "running": "clock still running"}


def describe(spec: RowSpec, filters: Filters) -> str:
    """A title for the rows: what they are and which filters apply, in words."""
    d = spec.dims
    parts = [spec.metric.capitalize()]
    if d.get("has"):
        parts.append(d["has"])
    if d.get("bucket"):
        parts.append(
            "no response yet"
            if d["bucket"] == "none"
            else "first response " + next(b[1] for b in selectors.BUCKETS if b[0] == d["bucket"]).lower()
        )
    if d.get("clock") and d.get("outcome"):
        parts.append(f"{d['clock']} {OUTCOME_TEXT[d['outcome']]}")
    if "priority" in d:
        parts.append(f"{PRIORITY.get(d['priority'], d['priority'])} priority")
    if d.get("sentiment"):
        parts.append(d["sentiment"])
    if d.get("intent"):
        parts.append(d["intent"])
    if d.get("turnaround"):
        parts.append("negative to positive")
    if filters.network:
        parts.append(f"on {NETWORK.get(filters.network, filters.network)}")
    if filters.department:
        name = Department.objects.filter(pk=filters.department).values_list("name", flat=True).first()
        parts.append(f"for {name}")
    if d.get("day"):
        parts.append(f"on {d['day']:%a %d %b %Y}")
    elif d.get("week"):
        parts.append(f"in the week of {d['week']:%d %b %Y}")
    else:
        parts.append(f"from {filters.start:%d %b %Y} to {filters.end:%d %b %Y}")
    if d.get("weekday"):
        parts.append(f"on {WEEKDAYS[d['weekday'] - 1]}s at {d.get('hour', 0):02d}h")
    return ", ".join(str(p) for p in parts)


# --- CSV ------------------------------------------------------------------------------------------


def _iso(value) -> str:
    return value.isoformat() if value else ""


def _conversation_line(c) -> list:
    return [c.pk, c.network, c.customer.handle, c.status, c.priority,
            c.assignee.username if c.assignee else "", _iso(c.first_received_at),
            _iso(c.first_response_at), c.fr, _iso(c.resolved_at), c.resolution, c.preview]  # fmt: skip


def _escalation_line(e) -> list:
    return [e.pk, e.conversation_id, e.department.name, e.priority, e.state,
            e.assignee.username if e.assignee else "", _iso(e.opened_at), _iso(e.first_response_at),
            e.expert_response, e.response_outcome, _iso(e.stopped_at), e.expert_resolution,
            e.resolution_outcome, _iso(e.response_due_at), _iso(e.resolution_due_at)]  # fmt: skip


def _mention_line(m) -> list:
    return [m.pk, m.network, m.account.handle if m.account else "", m.author.handle,
            _iso(m.received_at), _iso(m.created_at), m.sentiment_label, m.intent, m.thread_key,
            m.masked_text]  # fmt: skip


def _kudos_line(k) -> list:
    return [k.pk, k.escalation_id, k.escalation.department.name, k.conversation_id,
            k.conversation.customer.handle, k.expert.username if k.expert else "",
            k.agent.username if k.agent else "", _iso(k.created_at)]  # fmt: skip


# Each metric's CSV: its header and the line of one row.
CSV_COLUMNS = {
    "conversations": (
        ["id", "network", "customer", "status", "priority", "assignee", "first_received_at",
         "first_response_at", "first_response_seconds", "resolved_at", "resolution_seconds", "preview"],
        _conversation_line,
    ),
    "escalations": (
        ["id", "conversation", "department", "priority", "state", "specialist", "opened_at",
         "first_response_at", "first_response_seconds", "response_sla", "resolved_at",
         "resolution_seconds", "resolution_sla", "response_due_at", "resolution_due_at"],
        _escalation_line,
    ),
    "mentions": (
        ["id", "network", "account", "author", "received_at", "created_at", "sentiment", "intent",
         "thread_key", "text"],
        _mention_line,
    ),
    "kudos": (
        ["id", "escalation", "department", "conversation", "customer", "expert", "agent", "created_at"],
        _kudos_line,
    ),
}  # fmt: skip


def csv_rows(spec: RowSpec, filters: Filters, scope: Scope) -> tuple[list[str], object]:
    """The header and an iterator of lines (masked text only: exports never carry personal data)."""
    qs = queryset(spec, filters, scope).order_by("-pk")[:EXPORT_CAP]
    header, line = CSV_COLUMNS.get(spec.metric, CSV_COLUMNS["kudos"])
    return header, (line(row) for row in qs.iterator(chunk_size=2000))
