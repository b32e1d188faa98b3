"""Template helpers for the inbox. Nothing here marks anything safe: autoescape stays on."""

from __future__ import annotations

from urllib.parse import urlsplit

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from inbox import guard
from inbox.panels import panels_for
from inbox.permissions import can_approve_replies

register = template.Library()


@register.filter
def http_url(value: str) -> str:
    """The URL if it is http(s), else "": a network's `javascript:` or `data:` link never renders."""
    value = (value or "").strip()
    try:
        scheme = urlsplit(value).scheme.lower()
    except ValueError:
        return ""
    return value if scheme in ("http", "https") else ""


@register.filter
def avatar_src(author) -> str:
    """Our own URL of a customer's avatar, or "": never the URL the customer chose."""
    from listening.avatars import avatar_src as src

    return src(author)


@register.filter
def capped(count: int | None, cap: int = 1000) -> str:
    """A count that stops at the cap: "1,000+" rather than an exact COUNT over the table."""
    if count is None:
        return ""
    if count > cap:
        return f"{intcomma(cap)}+"
    return intcomma(count)


@register.filter
def short_age(value) -> str:
    """A compact age for list rows: "now", "5m", "3h", "2d", "4w"."""
    from django.utils import timezone

    if not value:
        return ""
    seconds = max(0, int((timezone.now() - value).total_seconds()))
    if seconds < 60:
        return "now"
    for size, unit in ((7 * 86400, "w"), (86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag(takes_context=True)
def reply_text(context, reply) -> str:
    """A reply's text as this viewer may read it.

    A reply sent past the guard (a lead's override) holds personal data unmasked; only its
    author and the people who approve overrides read it so, everyone else masked.
    """
    if not reply.override_findings:
        return reply.text
    user = context.get("user")
    if user is not None and (user.pk == reply.author_id or can_approve_replies(user)):
        return reply.text
    return guard.masked(reply.text)


@register.simple_tag(takes_context=True)
def pane_panels(context, slot: str, obj):
    """Render the panels other apps registered for `slot` (see inbox/panels.py), escaped as usual."""
    request = context.get("request")
    parts = []
    for template_name, panel_context in panels_for(slot, request, obj):
        parts.append(render_to_string(template_name, {**context.flatten(), **panel_context}, request=None))
    # Each part is a rendered template: autoescaped inside, so joining them is safe.
    return mark_safe("".join(parts))  # noqa: S308
