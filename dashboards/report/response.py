"""The conversations' section: how fast the team answered and resolved, by day, week, network
and agent, and how long customers waited."""

from __future__ import annotations

from collections.abc import Callable

from dashboards import selectors
from dashboards.permissions import Scope
from dashboards.report.formatting import NETWORK, count, duration, hours
from dashboards.report.links import Links
from dashboards.report.structures import Cell, Chart, Figure, Panel, Section, Table

TIME_COLUMNS = [
    "Conversations",
    "Responded",
    "First response median",
    "First response p90",
    "Resolved",
    "Resolution median",
    "Resolution p90",
]


def time_cells(row: dict, links: Links, metric: str, **dims) -> list[Cell]:
    """Counts and times of one row (conversations or escalations), each linked to its rows."""
    received_key = "received" if metric == "conversations" else "opened"
    responded = links.rows(metric, has="responded", **dims)
    resolved = links.rows(metric, has="resolved", **dims)
    return [
        Cell(count(row[received_key]), links.rows(metric, **dims), row[received_key], True),
        Cell(count(row["responded"]), responded, row["responded"], True),
        Cell(duration(row["fr_median"]), responded, row["fr_median"], True),
        Cell(duration(row["fr_p90"]), responded, row["fr_p90"], True),
        Cell(count(row["resolved"]), resolved, row["resolved"], True),
        Cell(duration(row["res_median"]), resolved, row["res_median"], True),
        Cell(duration(row["res_p90"]), resolved, row["res_p90"], True),
    ]


def _first_response_chart(kind: str, labels: list[str], rows: list[dict]) -> Chart:
    return Chart(
        kind,
        labels,
        [
            {"label": "Median (h)", "data": [hours(r["fr_median"]) for r in rows]},
            {"label": "p90 (h)", "data": [hours(r["fr_p90"]) for r in rows]},
        ],
        unit="hours",
    )


def _summary_figures(summary: dict, links: Links) -> list[Figure]:
    return [
        Figure("Conversations", count(summary["received"]), links.rows("conversations")),
        Figure(
            "Responded",
            count(summary["responded"]),
            links.rows("conversations", has="responded"),
            f"{count(summary['received'] - summary['responded'])} not yet",
        ),
        Figure(
            "Resolution median", duration(summary["res_median"]), links.rows("conversations", has="resolved")
        ),
        Figure("Resolution p90", duration(summary["res_p90"]), links.rows("conversations", has="resolved")),
    ]


# The time tables of the section: key, title, first column, the rows' label and link dimension.
_PERIOD_TABLES: tuple[tuple[str, str, str, str, str, Callable], ...] = (
    ("response_daily", "By day", "Day", "daily", "day", lambda p: p.strftime("%a %d %b")),
    ("response_weekly", "By week", "Week of", "weekly", "week", lambda p: p.strftime("%d %b %Y")),
)


def _period_panels(figures: selectors.ConversationFigures, links: Links) -> list[Panel]:
    panels = []
    for key, title, first, attribute, dim, label in _PERIOD_TABLES:
        rows = getattr(figures, attribute)
        table = Table(key, title, [first, *TIME_COLUMNS])
        for row in rows:
            period = row["period"]
            cells = time_cells(row, links, "conversations", **{dim: period})
            table.rows.append([Cell(label(period), raw=period.isoformat()), *cells])
        chart = _first_response_chart("line", [r["period"].strftime("%d %b") for r in rows], rows)
        heading = "First response by day" if dim == "day" else "First response by week"
        panels.append(Panel(key, heading, table, chart, wide=dim == "day"))
    return panels


def _distribution_panel(summary: dict, links: Links) -> Panel:
    table = Table("response_distribution", "Distribution", ["First response", "Conversations"])
    labels, data, hrefs = [], [], []
    for key, label, *_ in [*selectors.BUCKETS, ("none", "No response yet")]:
        n = summary[f"b_{key}"]
        href = links.rows("conversations", bucket=key)
        table.rows.append([Cell(label), Cell(count(n), href, n, True)])
        labels.append(label)
        data.append(n)
        hrefs.append(href)
    chart = Chart("bar", labels, [{"label": "Conversations", "data": data, "links": hrefs}])
    return Panel("response_distribution", "How long customers waited", table, chart)


def _network_panel(by_network: list[dict], links: Links) -> Panel:
    table = Table("response_network", "By network", ["Network", *TIME_COLUMNS])
    for row in by_network:
        name = NETWORK.get(row["network"], row["network"])
        cells = time_cells(row, links, "conversations", network=row["network"])
        table.rows.append([Cell(name, raw=row["network"]), *cells])
    labels = [NETWORK.get(r["network"], r["network"]) for r in by_network]
    return Panel("response_network", "By network", table, _first_response_chart("bar", labels, by_network))


def _agent_panel(by_agent: list[dict], links: Links, names: dict[int, str]) -> Panel:
    table = Table("response_agent", "By agent", ["Agent", *TIME_COLUMNS])
    for row in by_agent:
        agent = row["assignee"] or "none"
        name = names.get(row["assignee"], "Unassigned") if row["assignee"] else "Unassigned"
        table.rows.append([Cell(name), *time_cells(row, links, "conversations", agent=agent)])
    return Panel(
        "response_agent", "By agent", table, note="The agent a conversation is assigned to.", wide=True
    )


def response_section(
    scope: Scope, links: Links, figures: selectors.ConversationFigures, names: dict[int, str]
) -> Section:
    section = Section("response", "Response times: conversations")
    section.note = "Conversations first received in the period (spam left out); times are wall-clock."
    section.figures = _summary_figures(figures.summary, links)
    daily, weekly = _period_panels(figures, links)
    section.panels += [daily, weekly, _distribution_panel(figures.summary, links)]
    section.panels.append(_network_panel(figures.by_network, links))
    if scope.team:
        section.panels.append(_agent_panel(figures.by_assignee, links, names))
    return section
