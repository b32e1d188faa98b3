"""The dashboard as data: figures, tables, charts, panels and sections.

The page, the chart JSON and the CSV exports are all rendered from these structures, so a table
and its export cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboards.forms import Filters
from dashboards.permissions import Scope


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
    # Shaded spans behind the bars: {"label", "from", "to" (labels of the first and last day), "href"}.
    bands: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        out = {"kind": self.kind, "labels": self.labels, "datasets": self.datasets, "unit": self.unit}
        if self.bands:
            out["bands"] = self.bands
        return out


@dataclass
class Panel:
    key: str
    title: str
    table: Table
    chart: Chart | None = None
    note: str = ""
    wide: bool = False
    # Incidents drawn as bands on the chart, listed under it too: (name, dates, href).
    incidents: list[tuple[str, str, str]] = field(default_factory=list)


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
