from django import template

from dashboards.report import duration as _duration

register = template.Library()


@register.filter
def duration(seconds):
    """Seconds as "12 min", "3 h 05 min", "2 d 4 h"."""
    return _duration(seconds)
