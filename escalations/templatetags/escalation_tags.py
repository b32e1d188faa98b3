"""The escalation panel on the conversation page, and the SLA countdown.

`inbox` never imports `escalations`: the conversation template includes
`escalations/_conversation_panel.html`, which calls `{% escalation_panel %}` here.
"""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from bankbuzz.accounts import roles
from escalations import selectors
from escalations.models import Escalation

register = template.Library()


@register.inclusion_tag("escalations/_panel.html", takes_context=True)
def escalation_panel(context, conversation):
    """Suggestion, active and past escalations of a conversation; nothing for other roles."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if conversation is None or not roles.can_read_inbox(user):
        return {"show": False}
    escalations = selectors.conversation_escalations(conversation)
    active = next((e for e in escalations if e.is_active), None)
    # An answer the agent has not closed yet comes first; a suggestion then would only be noise.
    pending_answer = any(e.state == Escalation.State.ANSWERED for e in escalations)
    can_write = roles.can_work_inbox(user)
    suggestion = (
        selectors.routing_suggest(conversation)
        if can_write and active is None and not pending_answer
        else None
    )
    return {
        "show": True,
        "conversation": conversation,
        "escalations": escalations,
        "active": active,
        "suggestion": suggestion,
        "pending_answer": pending_answer,
        "can_write": can_write and conversation.status != "spam",
        "csrf_token": context.get("csrf_token"),
        "has_composer": False,  # the reply composer (another issue) is not on the page yet
    }


def _span(seconds: float) -> str:
    seconds = int(abs(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


@register.filter
def countdown(due: dt.datetime | None) -> str:
    """ "3h 05m left" or "overdue 12m", in plain time to the deadline."""
    if due is None:
        return ""
    delta = (due - timezone.now()).total_seconds()
    return f"{_span(delta)} left" if delta >= 0 else f"overdue {_span(delta)}"


SLA_LABELS = {
    "ok": "Plenty of time",
    "warning": "Due soon",
    "breach": "Breached",
    "paused": "Paused",
    "stopped": "Stopped",
}


@register.filter
def sla_label(state: str) -> str:
    return SLA_LABELS.get(state, state)


@register.filter
def sla_of(escalation: Escalation) -> str:
    return escalation.sla_state()
