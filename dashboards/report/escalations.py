"""The escalations' section: the experts' times and SLAs, by department and specialist, and the
queue as it is now."""

from __future__ import annotations

import datetime as dt

from dashboards import selectors
from dashboards.forms import Filters
from dashboards.permissions import Scope
from dashboards.report.formatting import PRIORITY, count, duration, percent
from dashboards.report.links import Links
from dashboards.report.response import time_cells
from dashboards.report.structures import Cell, Chart, Figure, Panel, Section, Table
from escalations.models import Department

SPECIALIST_COLUMNS = [
    "Specialist", "Escalations", "Responded", "First response median", "First response p90",
    "Resolved", "Resolution median", "Resolution p90", "Response SLA met", "Kudos",
]  # fmt: skip
DEPARTMENT_COLUMNS = [
    "Department", "Priority", "Escalations", "Response SLA met", "Response breached",
    "Resolution SLA met", "Resolution breached", "Expert first response median",
]  # fmt: skip


def sla_state(value: float | None) -> str:
    if value is None:
        return ""
    if value >= 90:
        return "ok"
    if value >= 75:
        return "warning"
    return "breach"


def _figures(summary: dict, links: Links) -> list[Figure]:
    response_pct = selectors.sla_percent(summary["response_met"], summary["response_breached"])
    resolution_pct = selectors.sla_percent(summary["resolution_met"], summary["resolution_breached"])
    responded = links.rows("escalations", has="responded")
    return [
        Figure("Escalations", count(summary["opened"]), links.rows("escalations")),
        Figure("Expert first response median", duration(summary["fr_median"]), responded),
        Figure("Expert first response p90", duration(summary["fr_p90"]), responded),
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
            sla_state(response_pct),
        ),
        Figure(
            "Resolution SLA met",
            percent(resolution_pct),
            links.rows("escalations", clock="resolution", outcome="breached"),
            f"{count(summary['resolution_breached'])} breached",
            sla_state(resolution_pct),
        ),
    ]


def _department_row(row: dict, name: str, links: Links) -> tuple[list[Cell], float | None, str]:
    """The cells of one department and priority, its response SLA and the link of its breaches."""
    dims = {"department": row["department"], "priority": row["priority"]}
    resp = selectors.sla_percent(row["response_met"], row["response_breached"])
    reso = selectors.sla_percent(row["resolution_met"], row["resolution_breached"])
    resp_breached = links.rows("escalations", clock="response", outcome="breached", **dims)
    reso_breached = links.rows("escalations", clock="resolution", outcome="breached", **dims)
    cells = [
        Cell(name),
        Cell(PRIORITY.get(row["priority"], str(row["priority"]))),
        Cell(count(row["opened"]), links.rows("escalations", **dims), row["opened"], True),
        Cell(percent(resp), resp_breached, resp, True, "sla-" + sla_state(resp)),
        Cell(count(row["response_breached"]), resp_breached, row["response_breached"], True),
        Cell(percent(reso), reso_breached, reso, True, "sla-" + sla_state(reso)),
        Cell(count(row["resolution_breached"]), reso_breached, row["resolution_breached"], True),
        Cell(
            duration(row["fr_median"]),
            links.rows("escalations", has="responded", **dims),
            row["fr_median"],
            True,
        ),
    ]
    return cells, resp, resp_breached


def _department_panel(rows: list[dict], links: Links) -> Panel:
    departments = dict(
        Department.objects.filter(pk__in={r["department"] for r in rows}).values_list("pk", "name")
    )
    table = Table("sla_department", "SLA by department and priority", DEPARTMENT_COLUMNS)
    labels, data, hrefs = [], [], []
    for row in sorted(rows, key=lambda r: (departments.get(r["department"], ""), -r["priority"])):
        name = departments.get(row["department"], "?")
        cells, resp, resp_breached = _department_row(row, name, links)
        table.rows.append(cells)
        labels.append(f"{name} · {PRIORITY.get(row['priority'])}")
        data.append(resp)
        hrefs.append(resp_breached)
    chart = Chart("bar", labels, [{"label": "Response SLA met (%)", "data": data, "links": hrefs}], unit="%")
    note = "A percentage links to the escalations that breached it."
    return Panel("sla_department", "SLA met by department and priority", table, chart, note=note, wide=True)


def _specialist_panel(rows: list[dict], links: Links, kudos: dict[int, int], names: dict[int, str]) -> Panel:
    table = Table("escalation_specialist", "By specialist", SPECIALIST_COLUMNS)
    for row in rows:
        who = row["assignee"] or "none"
        name = names.get(row["assignee"], "Nobody yet") if row["assignee"] else "Nobody yet"
        resp = selectors.sla_percent(row["response_met"], row["response_breached"])
        breached = links.rows("escalations", clock="response", outcome="breached", specialist=who)
        n_kudos = kudos.get(row["assignee"], 0)
        kudos_link = links.rows("kudos", expert=row["assignee"]) if row["assignee"] else ""
        table.rows.append(
            [
                Cell(name),
                *time_cells(row, links, "escalations", specialist=who),
                Cell(percent(resp), breached, resp, True),
                Cell(count(n_kudos), kudos_link, n_kudos, True),
            ]
        )
    return Panel("escalation_specialist", "By specialist", table, wide=True)


def _backlog_panel(filters: Filters, scope: Scope, links: Links, now: dt.datetime) -> Panel:
    table = Table("escalation_backlog", "Now, by department", ["Department", "Active", "Past a deadline now"])
    table.empty = "No active escalations."
    for row in selectors.escalation_backlog(filters, scope, now=now):
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
    note = "Now, whatever the period: links open the queue."
    return Panel("escalation_backlog", "Escalations now", table, note=note)


def escalation_section(
    filters: Filters,
    scope: Scope,
    links: Links,
    now: dt.datetime,
    figures: selectors.EscalationFigures,
    kudos: dict[int, int],
    names: dict[int, str],
) -> Section:
    section = Section("escalations", "Escalations: experts")
    section.note = (
        "Escalations opened in the period. Times are wall-clock; the SLA counts each department's "
        "working hours. SLA met is among escalations whose clock has stopped or run out."
    )
    section.figures = _figures(figures.summary, links)
    section.panels = [
        _department_panel(figures.by_department, links),
        _specialist_panel(figures.by_assignee, links, kudos, names),
        _backlog_panel(filters, scope, links, now),
    ]
    return section
