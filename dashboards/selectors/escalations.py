"""The period's escalations: the experts' times and SLA outcomes, and the active ones now."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    CharField,
    Count,
    F,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import Case, When
from django.db.models.functions import (
    Coalesce,
)
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
from escalations.models import Escalation


def escalation_backlog(filters: Filters, scope: Scope, *, now: dt.datetime) -> list[dict]:
    """Active escalations and those past a deadline now, per department (the queue's filters)."""
    # Now, whatever the period: the departments alone (the queue's filters).
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
    qs = narrow(qs, "escalations", filters, scope)
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
        qs = qs.filter(day_range("opened_at", dims["day"]))
    return qs


# The escalation figures in one pass over `escalations()`: the totals, per department and
# priority, per specialist. GROUPING(department_id, priority, assignee_id) names the set.
_ESCALATION_FIGURES_SQL = """
SELECT {keys},
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
{group_by}
"""
_ESCALATION_COLUMNS = (
    "department_id", "priority", "assignee_id", "first_response_at", "stopped_at",
    "expert_response", "expert_resolution", "response_outcome", "resolution_outcome",
)  # fmt: skip
ESCALATION_SETS = GroupingSets(
    ("department_id", "priority", "assignee_id"),
    {"summary": (), "by_department": ("department_id", "priority"), "by_assignee": ("assignee_id",)},
)
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
    compiled = compiled_sql(escalations(filters, scope, now=now).values(*_ESCALATION_COLUMNS))
    if compiled is None:
        return figures
    inner, params = compiled
    sql = _ESCALATION_FIGURES_SQL.format(
        inner=inner, keys=ESCALATION_SETS.select(), group_by=ESCALATION_SETS.group_by()
    )
    for row in grouped(sql, params):
        kind = ESCALATION_SETS.name_of(row)
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
