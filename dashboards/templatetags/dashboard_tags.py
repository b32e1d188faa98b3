"""Template helpers of the dashboards.

The dashboard's tables are a Jinja2 partial (templates/jinja2/dashboards/_tables.html) rather
than a `{% for %}` over an included Django template: a page has about fifteen tables and a
thousand linked cells, and Django's engine costs several template nodes per cell (most of the
page's CPU time at scale). Autoescape is on in both engines.
"""

from django import template

from bankbuzz.jinja import render
from dashboards.report import duration as _duration

register = template.Library()


@register.filter
def duration(seconds):
    """Seconds as "12 min", "3 h 05 min", "2 d 4 h"."""
    return _duration(seconds)


@register.simple_tag
def dash_table(table, query: str):
    """One table of the dashboard: every number a link to the rows behind it; a CSV link."""
    return render("dashboards/_tables.html", {"table_data": table, "query": query})


@register.simple_tag
def dash_heatmap(heatmap, query: str):
    """The weekday-by-hour table: darker is busier; each count links to its mentions."""
    return render("dashboards/_tables.html", {"heatmap_data": heatmap, "query": query})
