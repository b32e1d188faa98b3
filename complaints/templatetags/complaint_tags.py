from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.dates import MONTHS_3, WEEKDAYS_ABBR

register = template.Library()


@register.filter
def due_time(value: dt.datetime | None) -> str:
    """A due instant as people read it: a calendar clock ending at midnight is "the end of" the day
    before, not "00:00" of the next."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    if local.time() == dt.time(0):
        return date_format(local - dt.timedelta(minutes=1), "D j M Y") + ", end of day"
    return date_format(local, "D j M Y H:i")


def received_time(value: dt.datetime) -> str:
    """`value|date:"D j M H:i"` (the queue's Received column), without Django's formatter."""
    local = timezone.localtime(value)
    month = str(MONTHS_3[local.month]).title()
    return f"{WEEKDAYS_ABBR[local.weekday()]} {local.day} {month} {local.hour:02d}:{local.minute:02d}"
