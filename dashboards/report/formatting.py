"""How the dashboard prints numbers: durations, percentages, counts, and the names of codes."""

from __future__ import annotations

from inbox.models import Conversation
from listening.models import Network

PRIORITY = dict(Conversation.Priority.choices)
NETWORK = dict(Network.choices)
SENTIMENTS = ["negative", "neutral", "positive"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


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
