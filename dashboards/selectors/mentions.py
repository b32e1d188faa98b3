"""The period's customer mentions: the rows, the hourly rollup's figures, thanks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import (
    Exists,
    OuterRef,
    QuerySet,
)
from django.db.models.functions import (
    ExtractHour,
    ExtractIsoWeekDay,
)
from django.utils import timezone

from dashboards.forms import Filters
from dashboards.models import MentionHourly
from dashboards.permissions import Scope
from dashboards.selectors.common import (
    GroupingSets,
    compiled_sql,
    day_range,
    grouped,
    local_tz,
    narrow,
)
from inbox.models import Conversation
from listening.models import Mention

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
    qs = narrow(qs, "mentions", filters, scope)
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
        qs = qs.filter(day_range("received_at", dims["day"]))
    if dims.get("weekday") and dims.get("hour") is not None:
        qs = qs.annotate(
            wd=ExtractIsoWeekDay("received_at", tzinfo=local_tz()),
            hr=ExtractHour("received_at", tzinfo=local_tz()),
        ).filter(wd=dims["weekday"], hr=dims["hour"])
    return qs


def rollup(filters: Filters, scope: Scope) -> QuerySet[MentionHourly]:
    """The hourly counts of the period; empty for those who do not see team-wide volume."""
    if not scope.team:
        return MentionHourly.objects.none()
    qs = MentionHourly.objects.filter(hour__gte=filters.start_at, hour__lt=filters.end_at)
    return narrow(qs, "mentions", filters, scope)


# Every volume figure of the period from the hourly rollup, in one pass: per sentiment, per
# local day and network, per local day and sentiment, per account, per weekday and local hour.
_VOLUME_FIGURES_SQL = """
SELECT {keys},
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
{group_by}
"""
VOLUME_SETS = GroupingSets(
    ("day", "network", "sentiment", "account_id", "wd", "hr"),
    {
        "sentiment": ("sentiment",),
        "day_network": ("day", "network"),
        "day_sentiment": ("day", "sentiment"),
        "account": ("network", "account_id"),
        "heatmap": ("wd", "hr"),
    },
)


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
    compiled = compiled_sql(rollup(filters, scope).values(*columns))
    if compiled is None:
        return figures
    inner, params = compiled
    tz = timezone.get_current_timezone_name()
    sql = _VOLUME_FIGURES_SQL.format(inner=inner, keys=VOLUME_SETS.select(), group_by=VOLUME_SETS.group_by())
    for row in grouped(sql, (tz, *params)):
        kind = VOLUME_SETS.name_of(row)
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
    compiled = compiled_sql(mentions(filters, scope, {"intent": "thanks"}).values("network", "thread_key"))
    if compiled is None:
        return []
    inner, params = compiled
    return grouped(_THANKS_BY_AGENT_SQL.format(inner=inner), params)
