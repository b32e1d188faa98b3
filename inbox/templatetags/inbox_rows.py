"""`{% inbox_rows conversations %}` and friends: the inbox's hot partials, rendered by inbox.partials with
Jinja2 (templates/jinja2/inbox/), from the Django page's context."""

from __future__ import annotations

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_rows(context, conversations, oob=False):
    """The rows, with the page's presence, selection and list parameters from the context."""
    from inbox.partials import render_rows

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


@register.simple_tag(takes_context=True)
def thread_items(context, thread):
    """The thread's messages, notes, events and replies (inbox.partials.render_thread)."""
    from inbox.partials import render_thread

    return render_thread(context, thread)


@register.simple_tag(takes_context=True)
def inbox_views(context, oob=False):
    """The rail of saved views and their counts (inbox.partials.render_views)."""
    from inbox.partials import render_views

    query = context.get("query")
    return render_views(
        saved_views=context.get("saved_views") or (),
        counts=context.get("counts"),
        count_cap=context.get("count_cap"),
        current=getattr(query, "view", ""),
        view_params=context.get("view_params") or "",
        oob=bool(oob),
    )


@register.simple_tag(takes_context=True)
def message_labels(context, conversation, message):
    """A customer message's labels with their one-click corrections (inbox/labels.py)."""
    from django.urls import reverse

    from inbox.labels import label_choices, render_labels

    return render_labels(
        message,
        action=reverse("inbox:label", args=[conversation.pk, message.pk]),
        csrf_token=str(context.get("csrf_token") or ""),
        can_correct=bool(context.get("can_write")),
        choices=label_choices(),
    )
