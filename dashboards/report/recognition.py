"""The recognition section: customers' thanks, kudos per expert and agent, turnarounds."""

from __future__ import annotations

from dashboards.permissions import Scope
from dashboards.report.formatting import count
from dashboards.report.links import Links
from dashboards.report.structures import Cell, Figure, Panel, Section, Table


def _figures(scope: Scope, links: Links, *, thanks: int, turnarounds: int, kudos: int) -> list[Figure]:
    figures = [
        Figure(
            "Customers' thanks",
            count(thanks),
            links.rows("mentions", intent="thanks"),
            "messages thanking us",
        ),
        Figure("Kudos", count(kudos), links.rows("kudos"), "thanks after an expert's answer"),
    ]
    if scope.conversations:
        figures.append(
            Figure(
                "Negative to positive",
                count(turnarounds),
                links.rows("conversations", turnaround=1),
                "conversations that turned around",
            )
        )
    return figures


# The tables of people: key, title, columns (the person, the count), the rows' person field.
_KUDOS_EXPERT = ("kudos_expert", "Kudos per expert", ["Expert", "Kudos"], "expert")
_KUDOS_AGENT = ("kudos_agent", "Kudos per agent", ["Agent", "Kudos"], "agent")
_THANKS_AGENT = ("thanks_agent", "Thanks per agent", ["Agent", "Thanks"], "agent")


def _people_table(spec: tuple, rows: list[dict], names: dict[int, str], link) -> Table:
    """A table of people and a count; `link(person id)` is the URL of that person's rows."""
    key, title, columns, who = spec
    table = Table(key, title, columns)
    table.empty = f"No {columns[1].lower()} in this period yet."
    for row in rows:
        person = row[who]
        table.rows.append([Cell(names.get(person, "?")), Cell(count(row["n"]), link(person), row["n"], True)])
    return table


def recognition_section(
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
    section.figures = _figures(scope, links, thanks=thanks, turnarounds=turnarounds, kudos=total_kudos)
    table = _people_table(_KUDOS_EXPERT, experts, names, lambda p: links.rows("kudos", expert=p))
    section.panels.append(Panel("kudos_expert", "Kudos per expert", table))
    table = _people_table(_KUDOS_AGENT, agents, names, lambda p: links.rows("kudos", kudos_agent=p))
    section.panels.append(Panel("kudos_agent", "Kudos per agent", table))
    if scope.team:
        link = lambda p: links.rows("mentions", intent="thanks", thanked=p)  # noqa: E731
        table = _people_table(_THANKS_AGENT, thanked, names, link)
        note = "In the conversations assigned to them."
        section.panels.append(Panel("thanks_agent", "Customers' thanks per agent", table, note=note))
    return section
