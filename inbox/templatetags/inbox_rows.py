"""`{% inbox_rows conversations %}`: list rows rendered by inbox.rows (Python, not the template engine)."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_rows(context, conversations, oob=False):
    """The rows, with the page's presence, selection and list parameters from the context."""
    from inbox.rows import render_rows

    return render_rows(
        conversations,
        presence=context.get("presence"),
        can_write=bool(context.get("can_write")),
        selected=context.get("selected") or (),
        list_params=context.get("list_params") or "",
        oob=bool(oob),
    )


@register.simple_tag(takes_context=True)
def inbox_row(context, conversation, oob=False):
    """One row (the live poll's changed rows, the pane's refreshed row)."""
    return inbox_rows(context, [conversation], oob=oob)
