"""The volume section: customer mentions by day, network, sentiment and account, the top tags,
and the weekday-by-hour heatmap."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from dashboards import selectors
from dashboards.report.formatting import NETWORK, SENTIMENTS, WEEKDAYS, count
from dashboards.report.links import Links
from dashboards.report.structures import Cell, Chart, Heatmap, Panel, Section, Table
from incidents.models import Incident
from listening.models import SocialAccount


def _day_cell(day: dt.date) -> Cell:
    return Cell(day.strftime("%a %d %b"), raw=day.isoformat())


def _incident_bands(incidents: list[Incident], days: list[dt.date], chart: Chart, panel: Panel) -> None:
    """Each incident of the period as a band over the days it was open (clamped to the chart's
    days), and as a line under the chart that links to its page."""
    for incident in incidents:
        first = timezone.localtime(incident.opened_at).date()
        last = timezone.localtime(incident.resolved_at).date() if incident.resolved_at else None
        span = f"{first:%d %b} to {last:%d %b}" if last else f"since {first:%d %b}, still open"
        href = reverse("incidents:detail", args=[incident.pk])
        panel.incidents.append((incident.name, span, href))
        inside = [d for d in days if d >= first and (last is None or d <= last)]
        if inside:
            chart.bands.append(
                {
                    "label": f"Incident: {incident.name}",
                    "from": inside[0].strftime("%d %b"),
                    "to": inside[-1].strftime("%d %b"),
                    "href": href,
                }
            )


def _network_panel(per_day: list[dict], links: Links, incidents: list[Incident] = ()) -> Panel:
    days = sorted({r["day"] for r in per_day})
    networks = [n for n in NETWORK if any(r["network"] == n for r in per_day)]
    grid = {(r["day"], r["network"]): r["n"] for r in per_day}
    table = Table("volume_daily", "Mentions by day", ["Day", *[NETWORK[n] for n in networks], "Total"])
    for day in days:
        cells = [_day_cell(day)]
        for n in networks:
            value = grid.get((day, n), 0)
            cells.append(Cell(count(value), links.rows("mentions", day=day, network=n), value, True))
        total = sum(grid.get((day, n), 0) for n in networks)
        cells.append(Cell(count(total), links.rows("mentions", day=day), total, True))
        table.rows.append(cells)
    datasets = [
        {
            "label": NETWORK[n],
            "data": [grid.get((d, n), 0) for d in days],
            "links": [links.rows("mentions", day=d, network=n) for d in days],
        }
        for n in networks
    ]
    chart = Chart("stacked", [d.strftime("%d %b") for d in days], datasets)
    panel = Panel("volume_daily", "Mentions by network per day", table, chart, wide=True)
    _incident_bands(list(incidents), days, chart, panel)
    if panel.incidents:
        panel.note = "Shaded: the days an incident was open."
    return panel


def _sentiment_panel(per_day: list[dict], links: Links) -> Panel:
    grid = {(r["day"], r["sentiment"] or "unknown"): r["n"] for r in per_day}
    sentiments = [*SENTIMENTS, *(["unknown"] if any(k[1] == "unknown" for k in grid) else [])]
    days = sorted({r["day"] for r in per_day})
    table = Table("sentiment_daily", "Sentiment by day", ["Day", *[s.capitalize() for s in sentiments]])
    for day in days:
        cells = [_day_cell(day)]
        for s in sentiments:
            value = grid.get((day, s), 0)
            dim = "" if s == "unknown" else s
            cells.append(Cell(count(value), links.rows("mentions", day=day, sentiment=dim), value, True))
        table.rows.append(cells)
    datasets = [
        {
            "label": s.capitalize(),
            "key": s,
            "data": [grid.get((d, s), 0) for d in days],
            "links": [links.rows("mentions", day=d, sentiment="" if s == "unknown" else s) for d in days],
        }
        for s in sentiments
    ]
    chart = Chart("stacked", [d.strftime("%d %b") for d in days], datasets)
    return Panel("sentiment_daily", "Sentiment over time", table, chart)


def _account_panel(accounts: list[dict], links: Links) -> Panel:
    ids = {r["account_id"] for r in accounts if r["account_id"]}
    known = {a.pk: a for a in SocialAccount.objects.filter(pk__in=ids)}
    table = Table("volume_account", "By account", ["Account", "Network", "Mentions", "Thanks"])
    for row in accounts:
        account = known.get(row["account_id"])
        name = f"@{account.handle}" if account else "No account (search hits)"
        dims = {"network": row["network"]}
        if account:
            dims["account"] = account.pk
        thanks = links.rows("mentions", intent="thanks", **dims)
        table.rows.append(
            [
                Cell(name),
                Cell(NETWORK.get(row["network"], row["network"]), raw=row["network"]),
                Cell(count(row["n"]), links.rows("mentions", **dims), row["n"], True),
                Cell(count(row["thanks"]), thanks, row["thanks"] or 0, True),
            ]
        )
    return Panel("volume_account", "Mentions by account", table)


def _tags_panel(tags: list[dict], links: Links) -> Panel:
    table = Table("top_tags", "Top tags", ["Tag", "Conversations"])
    for row in tags:
        href = links.rows("conversations", tag=row["tag_id"])
        table.rows.append([Cell(row["tag__name"]), Cell(count(row["n"]), href, row["n"], True)])
    datasets = [
        {
            "label": "Conversations",
            "data": [r["n"] for r in tags],
            "links": [links.rows("conversations", tag=r["tag_id"]) for r in tags],
        }
    ]
    return Panel("top_tags", "Top tags", table, Chart("hbar", [r["tag__name"] for r in tags], datasets))


def _heatmap(cells: dict[tuple[int, int], int], links: Links) -> Heatmap:
    peak = max(cells.values(), default=0)
    table = Table("heatmap", "Mentions by weekday and hour", ["Weekday", *[f"{h:02d}" for h in range(24)]])
    rows = []
    for index, name in enumerate(WEEKDAYS, start=1):
        row_cells = []
        for hour in range(24):
            value = cells.get((index, hour), 0)
            level = 0 if not value or not peak else 1 + min(4, int(5 * value / (peak + 1)))
            href = links.rows("mentions", weekday=index, hour=hour) if value else ""
            row_cells.append(Cell(count(value), href, value, True, f"heat-{level}"))
        rows.append((name, row_cells))
        table.rows.append([Cell(name), *row_cells])
    return Heatmap(rows=rows, hours=list(range(24)), table=table)


def volume_section(
    links: Links, volume: selectors.VolumeFigures, tags: list[dict], incidents: list[Incident] = ()
) -> tuple[Section, Heatmap]:
    section = Section("volume", "Volume and sentiment")
    section.note = "Customer mentions reaching us in the period, counted every minute."
    section.panels = [
        _network_panel(volume.by_day_network, links, incidents),
        _sentiment_panel(volume.by_day_sentiment, links),
        _account_panel(volume.by_account, links),
        _tags_panel(tags, links),
    ]
    return section, _heatmap(volume.heatmap, links)
