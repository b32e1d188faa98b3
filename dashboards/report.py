"""The dashboard as data: headline figures, charts and tables, each number with its link.

Built from `selectors` for one user's scope and filters. The page, the chart JSON and the CSV
exports are all rendered from these structures, so a table and its export cannot disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode as url_encode

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from bankbuzz.accounts.models import User
from dashboards import selectors
from dashboards.forms import Filters
from dashboards.permissions import Scope
from escalations.models import Department
from inbox.models import Conversation
from inbox.selectors import COUNT_CAP
from listening.models import Network, SocialAccount

PRIORITY = dict(Conversation.Priority.choices)
NETWORK = dict(Network.choices)
SENTIMENTS = ["negative", "neutral", "positive"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


# --- Formatting -----------------------------------------------------------------------------------


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "\N{EN DASH}"
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def percent(value: float | None) -> str:
    return "\N{EN DASH}" if value is None else f"{value:.1f}%"


def count(value: int | None, cap: int | None = None) -> str:
    value = value or 0
    if cap is not None and value > cap:
        return f"{cap:,}+"
    return f"{value:,}"


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


# --- Structures ------------------------------------------------------------------------------------


@dataclass
class Cell:
    text: str
    href: str = ""
    raw: object = None  # what the CSV gets (seconds, a number), when it differs from the text
    numeric: bool = False
    css: str = ""

    @property
    def csv(self):
        return self.text if self.raw is None else self.raw


@dataclass
class Table:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]] = field(default_factory=list)
    empty: str = "Nothing in this period."


@dataclass
class Chart:
    kind: str  # bar, hbar, line, stacked
    labels: list[str]
    datasets: list[dict]
    unit: str = ""

    def as_json(self) -> dict:
        return {"kind": self.kind, "labels": self.labels, "datasets": self.datasets, "unit": self.unit}


@dataclass
class Panel:
    key: str
    title: str
    table: Table
    chart: Chart | None = None
    note: str = ""
    wide: bool = False


@dataclass
class Figure:
    label: str
    value: str
    href: str = ""
    hint: str = ""
    state: str = ""  # ok, warning, breach


@dataclass
class Section:
    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    panels: list[Panel] = field(default_factory=list)
    note: str = ""


@dataclass
class Heatmap:
    rows: list[tuple[str, list[Cell]]]
    hours: list[int]
    table: Table


@dataclass
class Dashboard:
    filters: Filters
    scope: Scope
    headline: list[Figure]
    sections: list[Section]
    heatmap: Heatmap | None = None

    def tables(self) -> dict[str, Table]:
        out = {p.table.key: p.table for s in self.sections for p in s.panels}
        if self.heatmap:
            out[self.heatmap.table.key] = self.heatmap.table
        return out

    def charts(self) -> dict[str, dict]:
        return {p.key: p.chart.as_json() for s in self.sections for p in s.panels if p.chart}


# --- Links --------------------------------------------------------------------------------------


class Links:
    """URLs of the rows behind a number: the inbox or the queue where their filters say exactly
    the same, the dashboards' own list of rows otherwise (periods the inbox cannot filter by)."""

    def __init__(self, filters: Filters):
        self.filters = filters
        self.base = filters.params()
        # A page has about a thousand of these links: resolve the URL and encode the filters
        # once, not per link.
        self.rows_path = reverse("dashboards:rows") + "?"
        self._prefix = self.rows_path + urlencode(self.base)
        self._cache: dict[tuple, str] = {}  # a table links several cells to the same rows

    def rows(self, metric: str, **dims) -> str:
        key = (metric, *dims.items())
        url = self._cache.get(key)
        if url is None:
            url = self._cache[key] = self._rows(metric, dims)
        return url

    def _rows(self, metric: str, dims: dict) -> str:
        params = {"metric": metric}
        for key, value in dims.items():
            if key in ("network", "account", "agent", "department"):
                params[key] = str(value)
            elif value is not None:
                params[key] = value.isoformat() if isinstance(value, dt.date) else str(value)
        if self.base.keys() & params.keys():  # a dim that replaces a filter (the same order)
            return self.rows_path + urlencode({**self.base, **params})
        return self._prefix + "&" + url_encode(params)

    def inbox(self, **params) -> str:
        base = {"network": self.filters.network, "account": self.filters.account or ""}
        merged = {k: v for k, v in {**base, **params}.items() if v not in ("", None)}
        return reverse("inbox:list") + "?" + urlencode(merged)

    def queue(self, **params) -> str:
        return reverse("escalations:queue") + "?" + urlencode({k: v for k, v in params.items() if v})


def _user_names(ids) -> dict[int, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=ids)}


# --- Sections ------------------------------------------------------------------------------------


def _time_cells(row: dict, links: Links, metric: str, prefix: str, **dims) -> list[Cell]:
    received_key = "received" if metric == "conversations" else "opened"
    return [
        Cell(count(row[received_key]), links.rows(metric, **dims), row[received_key], True),
        Cell(count(row["responded"]), links.rows(metric, has="responded", **dims), row["responded"], True),
        Cell(duration(row["fr_median"]), links.rows(metric, has="responded", **dims), row["fr_median"], True),
        Cell(duration(row["fr_p90"]), links.rows(metric, has="responded", **dims), row["fr_p90"], True),
        Cell(count(row["resolved"]), links.rows(metric, has="resolved", **dims), row["resolved"], True),
        Cell(
            duration(row["res_median"]), links.rows(metric, has="resolved", **dims), row["res_median"], True
        ),
        Cell(duration(row["res_p90"]), links.rows(metric, has="resolved", **dims), row["res_p90"], True),
    ]


TIME_COLUMNS = [
    "Conversations",
    "Responded",
    "First response median",
    "First response p90",
    "Resolved",
    "Resolution median",
    "Resolution p90",
]


def _response_section(
    scope: Scope, links: Links, figures: selectors.ConversationFigures, names: dict[int, str]
) -> Section:
    summary = figures.summary
    section = Section("response", "Response times: conversations")
    section.note = "Conversations first received in the period (spam left out); times are wall-clock."
    section.figures = [
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

    daily = figures.daily
    table = Table("response_daily", "By day", ["Day", *TIME_COLUMNS])
    for row in daily:
        table.rows.append(
            [
                Cell(row["period"].strftime("%a %d %b"), raw=row["period"].isoformat()),
                *_time_cells(row, links, "conversations", "fr", day=row["period"]),
            ]
        )
    chart = Chart(
        "line",
        [r["period"].strftime("%d %b") for r in daily],
        [
            {"label": "Median (h)", "data": [hours(r["fr_median"]) for r in daily]},
            {"label": "p90 (h)", "data": [hours(r["fr_p90"]) for r in daily]},
        ],
        unit="hours",
    )
    section.panels.append(Panel("response_daily", "First response by day", table, chart, wide=True))

    weekly = figures.weekly
    table = Table("response_weekly", "By week", ["Week of", *TIME_COLUMNS])
    for row in weekly:
        table.rows.append(
            [
                Cell(row["period"].strftime("%d %b %Y"), raw=row["period"].isoformat()),
                *_time_cells(row, links, "conversations", "fr", week=row["period"]),
            ]
        )
    chart = Chart(
        "line",
        [r["period"].strftime("%d %b") for r in weekly],
        [
            {"label": "Median (h)", "data": [hours(r["fr_median"]) for r in weekly]},
            {"label": "p90 (h)", "data": [hours(r["fr_p90"]) for r in weekly]},
        ],
        unit="hours",
    )
    section.panels.append(Panel("response_weekly", "First response by week", table, chart))

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
    section.panels.append(Panel("response_distribution", "How long customers waited", table, chart))

    by_network = figures.by_network
    table = Table("response_network", "By network", ["Network", *TIME_COLUMNS])
    for row in by_network:
        table.rows.append(
            [
                Cell(NETWORK.get(row["network"], row["network"]), raw=row["network"]),
                *_time_cells(row, links, "conversations", "fr", network=row["network"]),
            ]
        )
    chart = Chart(
        "bar",
        [NETWORK.get(r["network"], r["network"]) for r in by_network],
        [
            {"label": "Median (h)", "data": [hours(r["fr_median"]) for r in by_network]},
            {"label": "p90 (h)", "data": [hours(r["fr_p90"]) for r in by_network]},
        ],
        unit="hours",
    )
    section.panels.append(Panel("response_network", "By network", table, chart))

    if scope.team:
        by_agent = figures.by_assignee
        table = Table("response_agent", "By agent", ["Agent", *TIME_COLUMNS])
        for row in by_agent:
            agent = row["assignee"] or "none"
            name = names.get(row["assignee"], "Unassigned") if row["assignee"] else "Unassigned"
            table.rows.append([Cell(name), *_time_cells(row, links, "conversations", "fr", agent=agent)])
        section.panels.append(
            Panel(
                "response_agent",
                "By agent",
                table,
                note="The agent a conversation is assigned to.",
                wide=True,
            )
        )
    return section


def _escalation_section(
    filters: Filters,
    scope: Scope,
    links: Links,
    now: dt.datetime,
    figures: selectors.EscalationFigures,
    kudos: dict[int, int],
    names: dict[int, str],
) -> Section:
    summary = figures.summary
    response_pct = selectors.sla_percent(summary["response_met"], summary["response_breached"])
    resolution_pct = selectors.sla_percent(summary["resolution_met"], summary["resolution_breached"])
    section = Section("escalations", "Escalations: experts")
    section.note = (
        "Escalations opened in the period. Times are wall-clock; the SLA counts each department's "
        "working hours. SLA met is among escalations whose clock has stopped or run out."
    )
    section.figures = [
        Figure("Escalations", count(summary["opened"]), links.rows("escalations")),
        Figure(
            "Expert first response median",
            duration(summary["fr_median"]),
            links.rows("escalations", has="responded"),
        ),
        Figure(
            "Expert first response p90",
            duration(summary["fr_p90"]),
            links.rows("escalations", has="responded"),
        ),
        Figure(
            "Expert resolution median",
            duration(summary["res_median"]),
            links.rows("escalations", has="resolved"),
        ),
        Figure(
            "Response SLA met",
            percent(response_pct),
            links.rows("escalations", clock="response", outcome="breached"),
            f"{count(summary['response_breached'])} breached",
            _sla_state(response_pct),
        ),
        Figure(
            "Resolution SLA met",
            percent(resolution_pct),
            links.rows("escalations", clock="resolution", outcome="breached"),
            f"{count(summary['resolution_breached'])} breached",
            _sla_state(resolution_pct),
        ),
    ]

    rows = figures.by_department
    departments = dict(
        Department.objects.filter(pk__in={r["department"] for r in rows}).values_list("pk", "name")
    )
    table = Table(
        "sla_department",
        "SLA by department and priority",
        [
            "Department",
            "Priority",
            "Escalations",
            "Response SLA met",
            "Response breached",
            "Resolution SLA met",
            "Resolution breached",
            "Expert first response median",
        ],
    )
    labels, data, hrefs = [], [], []
    for row in sorted(rows, key=lambda r: (departments.get(r["department"], ""), -r["priority"])):
        dims = {"department": row["department"], "priority": row["priority"]}
        resp = selectors.sla_percent(row["response_met"], row["response_breached"])
        reso = selectors.sla_percent(row["resolution_met"], row["resolution_breached"])
        resp_breached = links.rows("escalations", clock="response", outcome="breached", **dims)
        reso_breached = links.rows("escalations", clock="resolution", outcome="breached", **dims)
        name = departments.get(row["department"], "?")
        table.rows.append(
            [
                Cell(name),
                Cell(PRIORITY.get(row["priority"], str(row["priority"]))),
                Cell(count(row["opened"]), links.rows("escalations", **dims), row["opened"], True),
                Cell(percent(resp), resp_breached, resp, True, "sla-" + _sla_state(resp)),
                Cell(count(row["response_breached"]), resp_breached, row["response_breached"], True),
                Cell(percent(reso), reso_breached, reso, True, "sla-" + _sla_state(reso)),
                Cell(count(row["resolution_breached"]), reso_breached, row["resolution_breached"], True),
                Cell(
                    duration(row["fr_median"]),
                    links.rows("escalations", has="responded", **dims),
                    row["fr_median"],
                    True,
                ),
            ]
        )
        labels.append(f"{name} · {PRIORITY.get(row['priority'])}")
        data.append(resp)
        hrefs.append(resp_breached)
    chart = Chart("bar", labels, [{"label": "Response SLA met (%)", "data": data, "links": hrefs}], unit="%")
    section.panels.append(
        Panel(
            "sla_department",
            "SLA met by department and priority",
            table,
            chart,
            note="A percentage links to the escalations that breached it.",
            wide=True,
        )
    )

    rows = figures.by_assignee
    table = Table(
        "escalation_specialist",
        "By specialist",
        ["Specialist", "Escalations", "Responded", "First response median", "First response p90",
         "Resolved", "Resolution median", "Resolution p90", "Response SLA met", "Kudos"],
    )  # fmt: skip
    for row in rows:
        who = row["assignee"] or "none"
        name = names.get(row["assignee"], "Nobody yet") if row["assignee"] else "Nobody yet"
        cells = _time_cells(row, links, "escalations", "fr", specialist=who)
        resp = selectors.sla_percent(row["response_met"], row["response_breached"])
        n_kudos = kudos.get(row["assignee"], 0)
        table.rows.append(
            [
                Cell(name),
                *cells,
                Cell(
                    percent(resp),
                    links.rows("escalations", clock="response", outcome="breached", specialist=who),
                    resp,
                    True,
                ),
                Cell(
                    count(n_kudos),
                    links.rows("kudos", expert=row["assignee"]) if row["assignee"] else "",
                    n_kudos,
                    True,
                ),
            ]
        )
    section.panels.append(Panel("escalation_specialist", "By specialist", table, wide=True))

    backlog = selectors.escalation_backlog(filters, scope, now=now)
    table = Table("escalation_backlog", "Now, by department", ["Department", "Active", "Past a deadline now"])
    table.empty = "No active escalations."
    for row in backlog:
        dep = row["department_id"]
        table.rows.append(
            [
                Cell(row["department__name"]),
                Cell(count(row["active"]), links.queue(department=dep, state="active"), row["active"], True),
                Cell(
                    count(row["breached"]),
                    links.queue(department=dep, sla="breach"),
                    row["breached"],
                    True,
                    "sla-breach" if row["breached"] else "",
                ),
            ]
        )
    section.panels.append(
        Panel(
            "escalation_backlog",
            "Escalations now",
            table,
            note="Now, whatever the period: links open the queue.",
        )
    )
    return section


def _sla_state(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 90:
        return "ok"
    if value >= 75:
        return "warning"
    return "breach"


def _volume_section(
    filters: Filters, scope: Scope, links: Links, volume: selectors.VolumeFigures
) -> tuple[Section, Heatmap]:
    section = Section("volume", "Volume and sentiment")
    section.note = "Customer mentions reaching us in the period, counted every minute."
    per_day = volume.by_day_network
    days = sorted({r["day"] for r in per_day})
    networks = [n for n in NETWORK if any(r["network"] == n for r in per_day)]
    grid = {(r["day"], r["network"]): r["n"] for r in per_day}
    table = Table("volume_daily", "Mentions by day", ["Day", *[NETWORK[n] for n in networks], "Total"])
    for day in days:
        cells = [Cell(day.strftime("%a %d %b"), raw=day.isoformat())]
        for n in networks:
            value = grid.get((day, n), 0)
            cells.append(Cell(count(value), links.rows("mentions", day=day, network=n), value, True))
        total = sum(grid.get((day, n), 0) for n in networks)
        cells.append(Cell(count(total), links.rows("mentions", day=day), total, True))
        table.rows.append(cells)
    chart = Chart(
        "stacked",
        [d.strftime("%d %b") for d in days],
        [
            {
                "label": NETWORK[n],
                "data": [grid.get((d, n), 0) for d in days],
                "links": [links.rows("mentions", day=d, network=n) for d in days],
            }
            for n in networks
        ],
    )
    section.panels.append(Panel("volume_daily", "Mentions by network per day", table, chart, wide=True))

    per_day = volume.by_day_sentiment
    grid = {(r["day"], r["sentiment"] or "unknown"): r["n"] for r in per_day}
    sentiments = [*SENTIMENTS, *(["unknown"] if any(k[1] == "unknown" for k in grid) else [])]
    days = sorted({r["day"] for r in per_day})
    table = Table("sentiment_daily", "Sentiment by day", ["Day", *[s.capitalize() for s in sentiments]])
    for day in days:
        cells = [Cell(day.strftime("%a %d %b"), raw=day.isoformat())]
        for s in sentiments:
            value = grid.get((day, s), 0)
            dim = "" if s == "unknown" else s
            cells.append(Cell(count(value), links.rows("mentions", day=day, sentiment=dim), value, True))
        table.rows.append(cells)
    chart = Chart(
        "stacked",
        [d.strftime("%d %b") for d in days],
        [
            {
                "label": s.capitalize(),
                "key": s,
                "data": [grid.get((d, s), 0) for d in days],
                "links": [links.rows("mentions", day=d, sentiment="" if s == "unknown" else s) for d in days],
            }
            for s in sentiments
        ],
    )
    section.panels.append(Panel("sentiment_daily", "Sentiment over time", table, chart))

    accounts = volume.by_account
    known = {
        a.pk: a
        for a in SocialAccount.objects.filter(pk__in={r["account_id"] for r in accounts if r["account_id"]})
    }
    table = Table("volume_account", "By account", ["Account", "Network", "Mentions", "Thanks"])
    for row in accounts:
        account = known.get(row["account_id"])
        name = f"@{account.handle}" if account else "No account (search hits)"
        dims = {"network": row["network"]}
        if account:
            dims["account"] = account.pk
        table.rows.append(
            [
                Cell(name),
                Cell(NETWORK.get(row["network"], row["network"]), raw=row["network"]),
                Cell(count(row["n"]), links.rows("mentions", **dims), row["n"], True),
                Cell(
                    count(row["thanks"]),
                    links.rows("mentions", intent="thanks", **dims),
                    row["thanks"] or 0,
                    True,
                ),
            ]
        )
    section.panels.append(Panel("volume_account", "Mentions by account", table))

    tags = selectors.top_tags(filters, scope)
    table = Table("top_tags", "Top tags", ["Tag", "Conversations"])
    for row in tags:
        table.rows.append(
            [
                Cell(row["tag__name"]),
                Cell(count(row["n"]), links.rows("conversations", tag=row["tag_id"]), row["n"], True),
            ]
        )
    chart = Chart(
        "hbar",
        [r["tag__name"] for r in tags],
        [
            {
                "label": "Conversations",
                "data": [r["n"] for r in tags],
                "links": [links.rows("conversations", tag=r["tag_id"]) for r in tags],
            }
        ],
    )
    section.panels.append(Panel("top_tags", "Top tags", table, chart))

    cells = volume.heatmap
    peak = max(cells.values(), default=0)
    table = Table("heatmap", "Mentions by weekday and hour", ["Weekday", *[f"{h:02d}" for h in range(24)]])
    rows = []
    for index, name in enumerate(WEEKDAYS, start=1):
        row_cells = []
        for hour in range(24):
            value = cells.get((index, hour), 0)
            level = 0 if not value or not peak else 1 + min(4, int(5 * value / (peak + 1)))
            row_cells.append(
                Cell(
                    count(value),
                    links.rows("mentions", weekday=index, hour=hour) if value else "",
                    value,
                    True,
                    f"heat-{level}",
                )
            )
        rows.append((name, row_cells))
        table.rows.append([Cell(name), *row_cells])
    heat = Heatmap(rows=rows, hours=list(range(24)), table=table)
    return section, heat


def _recognition_section(
    filters: Filters,
    scope: Scope,
    links: Links,
    *,
    thanks: int,
    turnarounds: int,
    experts: list[dict],
    agents: list[dict],
    thanked: list[dict],
    names: dict[int, str],
) -> Section:
    section = Section("recognition", "Recognition")
    total_kudos = sum(r["n"] for r in experts)
    section.figures = [
        Figure(
            "Customers' thanks",
            count(thanks),
            links.rows("mentions", intent="thanks"),
            "messages thanking us",
        ),
        Figure("Kudos", count(total_kudos), links.rows("kudos"), "thanks after an expert's answer"),
    ]
    if scope.conversations:
        section.figures.append(
            Figure(
                "Negative to positive",
                count(turnarounds),
                links.rows("conversations", turnaround=1),
                "conversations that turned around",
            )
        )
    table = Table("kudos_expert", "Kudos per expert", ["Expert", "Kudos"])
    table.empty = "No kudos in this period yet."
    for row in experts:
        table.rows.append(
            [
                Cell(names.get(row["expert"], "?")),
                Cell(count(row["n"]), links.rows("kudos", expert=row["expert"]), row["n"], True),
            ]
        )
    section.panels.append(Panel("kudos_expert", "Kudos per expert", table))
    table = Table("kudos_agent", "Kudos per agent", ["Agent", "Kudos"])
    table.empty = "No kudos in this period yet."
    for row in agents:
        table.rows.append(
            [
                Cell(names.get(row["agent"], "?")),
                Cell(count(row["n"]), links.rows("kudos", kudos_agent=row["agent"]), row["n"], True),
            ]
        )
    section.panels.append(Panel("kudos_agent", "Kudos per agent", table))
    if scope.team:
        table = Table("thanks_agent", "Thanks per agent", ["Agent", "Thanks"])
        table.empty = "No thanks in this period yet."
        for row in thanked:
            table.rows.append(
                [
                    Cell(names.get(row["agent"], "?")),
                    Cell(
                        count(row["n"]),
                        links.rows("mentions", intent="thanks", thanked=row["agent"]),
                        row["n"],
                        True,
                    ),
                ]
            )
        section.panels.append(
            Panel(
                "thanks_agent",
                "Customers' thanks per agent",
                table,
                note="In the conversations assigned to them.",
            )
        )
    return section


def build(*, user, scope: Scope, filters: Filters, now: dt.datetime | None = None) -> Dashboard:
    now = now or timezone.now()
    links = Links(filters)
    # Every figure first (one query per source), then the sections from them.
    conv = selectors.conversation_figures(filters, scope) if scope.conversations else None
    esc = selectors.escalation_figures(filters, scope, now=now)
    volume = selectors.volume_figures(filters, scope) if scope.team else None
    experts = selectors.kudos_by(filters, scope, "expert")
    agents = selectors.kudos_by(filters, scope, "agent")
    thanked = selectors.thanks_by_agent(filters, scope)
    thanks = volume.thanks if volume is not None else selectors.thanks_total(filters, scope)
    names = _user_names(
        [r["assignee"] for r in (conv.by_assignee if conv and scope.team else ())]
        + [r["assignee"] for r in esc.by_assignee]
        + [r["expert"] for r in experts]
        + [r["agent"] for r in agents]
        + [r["agent"] for r in thanked]
    )

    headline: list[Figure] = []
    sections: list[Section] = []
    heat = None
    if conv is not None:
        summary = conv.summary
        responded = links.rows("conversations", has="responded")
        headline += [
            Figure("First response median", duration(summary["fr_median"]), responded,
                   f"{count(summary['responded'])} responded"),
            Figure("First response p90", duration(summary["fr_p90"]), responded, "90th percentile"),
        ]  # fmt: skip
    kudos = {r["expert"]: r["n"] for r in experts}
    escalation_section = _escalation_section(filters, scope, links, now, esc, kudos, names)
    headline += [f for f in escalation_section.figures if f.label == "Response SLA met"]
    if conv is not None:
        backlog = selectors.backlog(filters, scope, user=user)
        agent = scope.agent_id or filters.agent_id or ""
        for key, label in (
            ("unassigned", "Unassigned now"),
            ("open", "Open now"),
            ("waiting_expert", "Waiting on expert"),
        ):
            if key in backlog.counts:
                headline.append(
                    Figure(
                        label,
                        count(backlog.counts[key], COUNT_CAP),
                        links.inbox(view=key, assignee=agent),
                        "in the inbox now",
                    )
                )
        if backlog.oldest:
            waited = (now - backlog.oldest.last_inbound_at).total_seconds()
            headline.append(
                Figure("Oldest waiting", duration(waited), reverse("inbox:detail", args=[backlog.oldest.pk]),
                       str(backlog.oldest.customer), "breach" if waited > 24 * 3600 else "")
            )  # fmt: skip
        sections.append(_response_section(scope, links, conv, names))
    if volume is not None:
        total = volume.total
        share = 100.0 * volume.by_sentiment.get("negative", 0) / total if total else None
        headline.append(
            Figure("Negative mentions", percent(share), links.rows("mentions", sentiment="negative"),
                   f"of {count(total)} mentions")
        )  # fmt: skip
    sections.append(escalation_section)
    if volume is not None:
        volume_section, heat = _volume_section(filters, scope, links, volume)
        sections.append(volume_section)
    sections.append(
        _recognition_section(
            filters,
            scope,
            links,
            thanks=thanks,
            turnarounds=conv.turnarounds if conv else 0,
            experts=experts,
            agents=agents,
            thanked=thanked,
            names=names,
        )
    )
    return Dashboard(filters=filters, scope=scope, headline=headline, sections=sections, heatmap=heat)
