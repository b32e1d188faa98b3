"""Template helpers of the dashboards.

The dashboard's tables are rendered here in Python rather than with `{% for %}` over an included
template: a page has about fifteen tables and a thousand linked cells, and a template loop costs
several template nodes per cell (most of the page's CPU time at scale). The markup is the same;
every text and URL goes through `escape` (as Django's, for plain strings).
"""

from html import escape as _html_escape

from django import template
from django.urls import reverse
from django.utils.safestring import mark_safe

from dashboards.report import duration as _duration

register = template.Library()


def escape(value) -> str:
    """Django's `escape` without its lazy-string wrapper (a thousand calls a page): the same
    five characters replaced, `&` `<` `>` `"` `'`."""
    return _html_escape(str(value), quote=True)


@register.filter
def duration(seconds):
    """Seconds as "12 min", "3 h 05 min", "2 d 4 h"."""
    return _duration(seconds)


def _export_link(key: str, query: str) -> str:
    href = reverse("dashboards:export", args=[key]) + "?" + query
    return f'<p class="dash-export"><a href="{escape(href)}" download>CSV</a></p>'


def _cell(cell) -> str:
    text = escape(cell.text)
    return f'<a href="{escape(cell.href)}">{text}</a>' if cell.href else text


@register.simple_tag
def dash_table(table, query: str):
    """One table of the dashboard: every number a link to the rows behind it; a CSV link."""
    out = [
        '<div class="dash-table-wrap">\n'
        f'  <table class="table dash-table" id="table-{escape(table.key)}">\n'
        f'    <caption class="visually-hidden">{escape(table.title)}</caption>\n'
        "    <thead><tr>"
    ]
    for index, column in enumerate(table.columns):
        num = ' class="num"' if index else ""
        out.append(f'<th scope="col"{num}>{escape(column)}</th>')
    out.append("</tr></thead>\n    <tbody>\n")
    for row in table.rows:
        first, *rest = row
        out.append(f'      <tr><th scope="row">{_cell(first)}</th>')
        for cell in rest:
            css = escape(f"{'num' if cell.numeric else ''} {cell.css}")
            out.append(f'<td class="{css}">{_cell(cell)}</td>')
        out.append("</tr>\n")
    if not table.rows:
        span = len(table.columns)
        out.append(f'      <tr><td colspan="{span}" class="empty-state">{escape(table.empty)}</td></tr>\n')
    out.append("    </tbody>\n  </table>\n</div>\n")
    out.append(_export_link(table.key, query))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped


@register.simple_tag
def dash_heatmap(heatmap, query: str):
    """The weekday-by-hour table: darker is busier; each count links to its mentions."""
    table = heatmap.table
    out = [
        '<div class="dash-table-wrap">\n'
        f'  <table class="table dash-heatmap" id="table-{escape(table.key)}">\n'
        f'    <caption class="visually-hidden">{escape(table.title)}</caption>\n'
        '    <thead><tr><th scope="col">Day</th>'
    ]
    out.extend(f'<th scope="col" class="num">{hour:02d}</th>' for hour in heatmap.hours)
    out.append("</tr></thead>\n    <tbody>\n")
    for name, cells in heatmap.rows:
        name = escape(name)
        out.append(f'      <tr><th scope="row">{name}</th>')
        for hour, cell in enumerate(cells):
            css = escape(cell.css)
            if cell.href:
                text = escape(cell.text)
                title = f"{name} {hour:02d}h: {text}"
                out.append(
                    f'<td class="num {css}"><a href="{escape(cell.href)}" title="{title}">{text}</a></td>'
                )
            else:
                out.append(f'<td class="num {css}"><span class="muted">0</span></td>')
        out.append("</tr>\n")
    out.append("    </tbody>\n  </table>\n</div>\n")
    out.append(_export_link(table.key, query))
    return mark_safe("".join(out))  # noqa: S308 - every piece above is escaped
