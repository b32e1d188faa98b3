"""What every dashboard source shares: durations in seconds, the filters' table, raw SQL reads
and grouping sets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Exists,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone

from bankbuzz.dbrouter import read_alias
from dashboards.forms import Filters
from dashboards.permissions import Scope
from escalations.models import Escalation


class Seconds(Func):
    """`later - earlier` in seconds (NULL when either is NULL).

    `date_part` gives a double; `EXTRACT` would give a numeric, which sorts several times slower
    in `percentile_cont` and is cast to double there anyway."""

    template = "date_part('epoch', %(expressions)s)"
    arg_joiner = " - "
    output_field = FloatField()


def local_tz():
    return timezone.get_current_timezone()


# --- Filters: one table for every source ----------------------------------------------------------


@dataclass(frozen=True)
class Narrowing:
    """How the dashboard's filters and the user's scope narrow one source: the field each filter
    compares (a path, or a function of the value giving a Q), "" where it does not apply.

    `agent` is the person a row belongs to on the agent's side (and what an agent's own scope
    narrows to); `agent_none` whether "Unassigned" (agent=none) is a filter of this source.
    `departments` is what a specialist's scope (their departments) narrows."""

    network: str = ""
    account: str = ""
    agent: str = ""
    agent_none: bool = False
    department: str | Callable[[int], Q] = ""
    departments: str = ""


def _escalated_to(department: int) -> Q:
    """Conversations escalated to the department ("how fast do we answer card questions")."""
    return Q(Exists(Escalation.objects.filter(conversation=OuterRef("pk"), department_id=department)))


NARROWING = {
    "conversations": Narrowing(
        network="network",
        account="account_id",
        agent="assignee_id",
        agent_none=True,
        department=_escalated_to,
    ),
    # The agent's side of an escalation is asking for it.
    "escalations": Narrowing(
        network="conversation__network",
        account="conversation__account_id",
        agent="requested_by_id",
        agent_none=True,
        department="department_id",
        departments="department_id",
    ),
    "kudos": Narrowing(
        network="conversation__network",
        account="conversation__account_id",
        agent="agent_id",
        department="escalation__department_id",
        departments="escalation__department_id",
    ),
    # Mentions and their rollup: an agent's own mentions are those of their conversations
    # (`mentions` does that with an EXISTS); nothing else applies.
    "mentions": Narrowing(network="network", account="account_id"),
    # The inbox now (the backlog figures): network, account and the agent, with no "Unassigned".
    "backlog": Narrowing(network="network", account="account_id", agent="assignee_id"),
}


def narrow(qs: QuerySet, source: str, filters: Filters, scope: Scope) -> QuerySet:
    """`qs` narrowed by the filters and the scope, as `NARROWING[source]` says."""
    fields = NARROWING[source]
    q = Q()
    if fields.departments and scope.department_ids is not None:
        q &= Q(**{f"{fields.departments}__in": scope.department_ids})
    if fields.department and filters.department:
        department = fields.department
        q &= department(filters.department) if callable(department) else Q(**{department: filters.department})
    if fields.network and filters.network:
        q &= Q(**{fields.network: filters.network})
    if fields.account and filters.account:
        q &= Q(**{fields.account: filters.account})
    if fields.agent:
        if scope.agent_id is not None:
            q &= Q(**{fields.agent: scope.agent_id})
        elif fields.agent_none and filters.agent == "none":
            q &= Q(**{f"{fields.agent}__isnull": True})
        elif filters.agent_id:
            q &= Q(**{fields.agent: filters.agent_id})
    return qs.filter(q) if q else qs


def day_range(field: str, day: dt.date) -> Q:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return Q(**{f"{field}__gte": start, f"{field}__lt": start + dt.timedelta(days=1)})


def compiled_sql(qs: QuerySet) -> tuple[str, tuple] | None:
    """A queryset's SQL and parameters, to aggregate over it; None when it can match nothing."""
    try:
        return qs.query.sql_with_params()
    except EmptyResultSet:  # qs.none(): a scope that may see none of these
        return None


def grouped(sql: str, params) -> list[dict]:
    """Rows of raw SQL as dicts, read where the ORM would read (the replica in `replica_reads`)."""
    with connections[read_alias()].cursor() as cursor:
        cursor.execute(sql, params)
        names = [col[0] for col in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class GroupingSets:
    """The sets of a `GROUP BY GROUPING SETS` query, named, with the number `GROUPING(keys)`
    gives each set's rows: one bit per key, the first key most significant, set where the key is
    not grouped (so the grand total has every bit set). The SQL clause and the numbers come from
    the same table, so they cannot disagree."""

    def __init__(self, keys: tuple[str, ...], sets: dict[str, tuple[str, ...]]):
        self.keys = keys
        self.sets = sets
        self.by_number = {self.number(grouped): name for name, grouped in sets.items()}

    def number(self, grouped: tuple[str, ...]) -> int:
        width = len(self.keys)
        return sum(1 << (width - 1 - i) for i, key in enumerate(self.keys) if key not in grouped)

    def select(self) -> str:
        return f"GROUPING({', '.join(self.keys)}) AS grouping_set, {', '.join(self.keys)}"

    def group_by(self) -> str:
        return "GROUP BY GROUPING SETS (" + ", ".join(f"({', '.join(g)})" for g in self.sets.values()) + ")"

    def name_of(self, row: dict) -> str:
        return self.by_number[row.pop("grouping_set")]
