"""The dashboard as data: headline figures, charts and tables, each number with its link.

Built from `selectors` for one user's scope and filters. The page, the chart JSON and the CSV
exports are all rendered from these structures, so a table and its export cannot disagree.

- `formatting`: how numbers, durations and codes are printed;
- `structures`: Cell, Table, Chart, Panel, Figure, Section, Heatmap, Dashboard;
- `links`: the URL of the rows behind a number;
- `response`, `escalations`, `volume`, `recognition`: one section each;
- `build`: the whole page.
"""

from dashboards.report.build import build
from dashboards.report.escalations import sla_state
from dashboards.report.formatting import (
    NETWORK,
    PRIORITY,
    SENTIMENTS,
    WEEKDAYS,
    count,
    duration,
    hours,
    percent,
)
from dashboards.report.links import Links, user_names
from dashboards.report.response import TIME_COLUMNS
from dashboards.report.structures import Cell, Chart, Dashboard, Figure, Heatmap, Panel, Section, Table

__all__ = [
    "NETWORK",
    "PRIORITY",
    "SENTIMENTS",
    "TIME_COLUMNS",
    "WEEKDAYS",
    "Cell",
    "Chart",
    "Dashboard",
    "Figure",
    "Heatmap",
    "Links",
    "Panel",
    "Section",
    "Table",
    "build",
    "count",
    "duration",
    "hours",
    "percent",
    "sla_state",
    "user_names",
]
