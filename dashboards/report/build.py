"""The whole dashboard for one user's scope and filters: every figure first (one query per
source), then the headline and the sections from them."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from dashboards import selectors
from dashboards.forms import Filters
from dashboards.permissions import Scope
from dashboards.report.escalations import escalation_section
from dashboards.report.formatting import count, duration, percent
from dashboards.report.links import Links, user_names
from dashboards.report.recognition import recognition_section
from dashboards.report.response import response_section
from dashboards.report.structures import Dashboard, Figure, Section
from dashboards.report.volume import volume_section
from dashboards.snapshots import PeriodFigures, period_figures
from inbox.selectors import COUNT_CAP
from incidents.selectors import incidents_between

# The inbox's saved views the headline counts now: view key, label.
BACKLOG_FIGURES = (
    ("unassigned", "Unassigned now"),
    ("open", "Open now"),
    ("waiting_expert", "Waiting on expert"),
)


def _names(src: PeriodFigures, scope: Scope) -> dict[int, str]:
    return user_names(
        [r["assignee"] for r in (src.conv.by_assignee if src.conv and scope.team else ())]
        + [r["assignee"] for r in src.esc.by_assignee]
        + [r["expert"] for r in src.experts]
        + [r["agent"] for r in src.agents]
        + [r["agent"] for r in src.thanked]
    )


def _backlog_figures(filters: Filters, scope: Scope, links: Links, *, user, now: dt.datetime) -> list[Figure]:
    """The inbox as it is now: the saved views' counts and the longest-waiting customer."""
    backlog = selectors.backlog(filters, scope, user=user)
    agent = scope.agent_id or filters.agent_id or ""
    figures = [
        Figure(
            label,
            count(backlog.counts[key], COUNT_CAP),
            links.inbox(view=key, assignee=agent),
            "in the inbox now",
        )
        for key, label in BACKLOG_FIGURES
        if key in backlog.counts
    ]
    if backlog.oldest:
        waited = (now - backlog.oldest.last_inbound_at).total_seconds()
        figures.append(
            Figure("Oldest waiting", duration(waited), reverse("inbox:detail", args=[backlog.oldest.pk]),
                   str(backlog.oldest.customer), "breach" if waited > 24 * 3600 else "")
        )  # fmt: skip
    return figures


def _first_response_figures(summary: dict, links: Links) -> list[Figure]:
    responded = links.rows("conversations", has="responded")
    return [
        Figure("First response median", duration(summary["fr_median"]), responded,
               f"{count(summary['responded'])} responded"),
        Figure("First response p90", duration(summary["fr_p90"]), responded, "90th percentile"),
    ]  # fmt: skip


def _negative_share(volume: selectors.VolumeFigures, links: Links) -> Figure:
    total = volume.total
    share = 100.0 * volume.by_sentiment.get("negative", 0) / total if total else None
    return Figure(
        "Negative mentions",
        percent(share),
        links.rows("mentions", sentiment="negative"),
        f"of {count(total)} mentions",
    )


def build(*, user, scope: Scope, filters: Filters, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    links = Links(filters)
    src = period_figures(filters, scope, now=now)
    names = _names(src, scope)
    kudos = {r["expert"]: r["n"] for r in src.experts}
    escalations = escalation_section(filters, scope, links, now, src.esc, kudos, names)
    headline: list[Figure] = []
    sections: list[Section] = []
    heat = None
    if src.conv is not None:
        headline += _first_response_figures(src.conv.summary, links)
    headline += [f for f in escalations.figures if f.label == "Response SLA met"]
    if src.conv is not None:
        headline += _backlog_figures(filters, scope, links, user=user, now=now)
        sections.append(response_section(scope, links, src.conv, names))
    if src.volume is not None:
        headline.append(_negative_share(src.volume, links))
    sections.append(escalations)
    if src.volume is not None:
        incidents = incidents_between(filters.start_at, filters.end_at)
        if filters.network:
            incidents = [i for i in incidents if filters.network in i.networks]
        volume, heat = volume_section(links, src.volume, src.tags, incidents)
        sections.append(volume)
    recognition = recognition_section(
        scope,
        links,
        thanks=src.thanks,
        turnarounds=src.conv.turnarounds if src.conv else 0,
        experts=src.experts,
        agents=src.agents,
        thanked=src.thanked,
        names=names,
    )
    sections.append(recognition)
    return Dashboard(filters=filters, scope=scope, headline=headline, sections=sections, heatmap=heat)
