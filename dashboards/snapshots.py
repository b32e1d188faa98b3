"""The figures of a dashboard period as one value, computed live or read from a snapshot.

`period_figures` is what the page reads. For the team's dashboard of a standard period (the
last 7, 30 or 90 days, no other filter) it returns the snapshot beat computed within the last
`MAX_AGE` (`FigureSnapshot`); otherwise, and whenever that snapshot is missing or old, it
computes the figures from the raw rows (`compute`). Both are the same function of the same rows,
so a snapshot equals a live computation at the instant it was taken (`tests/dashboards`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass

from django.utils import timezone

from dashboards import selectors
from dashboards.forms import Filters
from dashboards.models import FigureSnapshot
from dashboards.permissions import Scope

# The periods beat keeps figures for: the presets a manager opens without choosing anything.
PRESETS = ("7d", "30d", "90d")
# Beat refreshes every minute; a snapshot older than this means beat has stopped, and the page
# would rather compute than show old figures.
MAX_AGE = dt.timedelta(minutes=5)
TEAM = Scope(everything=True)


@dataclass
class PeriodFigures:
    """Every figure of a period that depends on the period's rows (not the backlog of now)."""

    conv: selectors.ConversationFigures | None
    esc: selectors.EscalationFigures
    volume: selectors.VolumeFigures | None
    tags: list[dict]
    experts: list[dict]
    agents: list[dict]
    thanked: list[dict]
    thanks: int
    computed_at: dt.datetime
    from_snapshot: bool = False


def compute(filters: Filters, scope: Scope, *, now: dt.datetime) -> PeriodFigures:
    """The figures from the raw rows (and the mentions' hourly rollup)."""
    conv = selectors.conversation_figures(filters, scope) if scope.conversations else None
    volume = selectors.volume_figures(filters, scope) if scope.team else None
    return PeriodFigures(
        conv=conv,
        esc=selectors.escalation_figures(filters, scope, now=now),
        volume=volume,
        tags=selectors.top_tags(filters, scope) if scope.team else [],
        experts=selectors.kudos_by(filters, scope, "expert"),
        agents=selectors.kudos_by(filters, scope, "agent"),
        thanked=selectors.thanks_by_agent(filters, scope),
        thanks=volume.thanks if volume is not None else selectors.thanks_total(filters, scope),
        computed_at=now,
    )


def snapshot_applies(filters: Filters, scope: Scope) -> bool:
    """A team dashboard of a standard period with no other filter: what a snapshot holds."""
    extra = (filters.network, filters.account, filters.department, filters.agent)
    return scope.everything and filters.preset in PRESETS and not any(extra)


def period_figures(filters: Filters, scope: Scope, *, now: dt.datetime | None = None) -> PeriodFigures:
    now = now or timezone.now()
    if snapshot_applies(filters, scope):
        snapshot = FigureSnapshot.objects.filter(
            key=filters.preset, start=filters.start, end=filters.end, computed_at__gte=now - MAX_AGE
        ).first()
        if snapshot is not None:
            return decode(snapshot.figures, computed_at=snapshot.computed_at)
    return compute(filters, scope, now=now)


# --- JSON -----------------------------------------------------------------------------------------


def _dated(rows: list[dict], key: str) -> list[dict]:
    return [{**r, key: r[key].isoformat()} for r in rows]


def _undated(rows: list[dict], key: str) -> list[dict]:
    return [{**r, key: dt.date.fromisoformat(r[key])} for r in rows]


def encode(figures: PeriodFigures) -> dict:
    conv = asdict(figures.conv) if figures.conv else None
    if conv:
        conv["daily"], conv["weekly"] = _dated(conv["daily"], "period"), _dated(conv["weekly"], "period")
    volume = asdict(figures.volume) if figures.volume else None
    if volume:
        volume["by_day_network"] = _dated(volume["by_day_network"], "day")
        volume["by_day_sentiment"] = _dated(volume["by_day_sentiment"], "day")
        volume["heatmap"] = [[wd, hr, n] for (wd, hr), n in volume["heatmap"].items()]
    return {
        "conv": conv,
        "esc": asdict(figures.esc),
        "volume": volume,
        "tags": figures.tags,
        "experts": figures.experts,
        "agents": figures.agents,
        "thanked": figures.thanked,
        "thanks": figures.thanks,
    }


def decode(data: dict, *, computed_at: dt.datetime) -> PeriodFigures:
    conv = data["conv"]
    if conv is not None:
        conv = selectors.ConversationFigures(
            **{
                **conv,
                "daily": _undated(conv["daily"], "period"),
                "weekly": _undated(conv["weekly"], "period"),
            }
        )
    volume = data["volume"]
    if volume is not None:
        volume = selectors.VolumeFigures(
            by_sentiment=volume["by_sentiment"],
            by_day_network=_undated(volume["by_day_network"], "day"),
            by_day_sentiment=_undated(volume["by_day_sentiment"], "day"),
            by_account=volume["by_account"],
            heatmap={(wd, hr): n for wd, hr, n in volume["heatmap"]},
        )
    return PeriodFigures(
        conv=conv,
        esc=selectors.EscalationFigures(**data["esc"]),
        volume=volume,
        tags=data["tags"],
        experts=data["experts"],
        agents=data["agents"],
        thanked=data["thanked"],
        thanks=data["thanks"],
        computed_at=computed_at,
        from_snapshot=True,
    )
