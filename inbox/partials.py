"""The inbox's hot partials: list rows, the thread's items, the saved views' rail, the toolbar's options.

A list page prints 50-100 rows and the pane up to 50 thread items; through Django's engine they
cost about 0.65 ms a row and 0.35 ms an item, a third of the page (docs/benchmarks.md). Their
markup lives in Jinja2 templates (templates/jinja2/inbox/, autoescape on; bankbuzz/jinja.py),
rendered once per list rather than once per item. The Django templates `inbox/_row.html`,
`inbox/_thread.html` and `inbox/_views.html` call these through `{% load inbox_rows %}`, so the
list, the live poll's refreshed rows and the pane's refreshed row all print the same markup.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.safestring import SafeString

from bankbuzz.jinja import render, url
from inbox.labels import label_choices, label_context
from inbox.models import Conversation
from inbox.moderation import hideable_kinds
from inbox.templatetags.inbox_tags import capped, http_url
from listening.enrichment.understanding import CONFIDENT

_ROW_CONSTANTS = {
    "urgent": Conversation.Priority.URGENT,
    "high": Conversation.Priority.HIGH,
    "confident": CONFIDENT,
}


def render_rows(
    conversations,
    *,
    presence: dict | None = None,
    can_write: bool = False,
    selected=(),
    list_params: str = "",
    oob: bool = False,
) -> SafeString:
    """`<li class="row">`s of the list. Each `conversation.row` comes from selectors.decorate_rows."""
    return render(
        "inbox/_rows.html",
        {
            **_ROW_CONSTANTS,
            "conversations": conversations,
            "presence": presence or {},
            "can_write": can_write,
            "selected": selected or (),
            "list_params": list_params,
            "oob": oob,
        },
    )


def render_row(conversation: Conversation, **options) -> SafeString:
    """One row (the live poll's changed rows, the pane's refreshed row)."""
    return render_rows([conversation], **options)


def render_thread(context, thread) -> SafeString:
    """The items of `inbox/_thread.html`, from the Django template's context (its permissions,
    CSRF token and user). The outbox's replies, rare and with the most logic, stay in the Django
    template `inbox/_thread_reply.html`."""
    conversation = context.get("conversation")
    label_options = {
        "csrf_token": str(context.get("csrf_token") or ""),
        "can_correct": bool(context.get("can_write")),
        "choices": label_choices() if thread else {},
        "options": {},
    }
    reply_template = []

    def labels(message) -> dict:
        """What the thread's `{% include "inbox/_labels.html" %}` shows of a customer message."""
        return label_context(message, action=url("inbox:label", conversation.pk, message.pk), **label_options)

    def reply(obj) -> SafeString:
        if not reply_template:
            reply_template.append(context.template.engine.get_template("inbox/_thread_reply.html"))
        with context.push(reply=obj):
            return reply_template[0].render(context)

    return render(
        "inbox/_thread_items.html",
        {
            "thread": thread,
            "conversation_pk": conversation.pk,
            "can_unmask": bool(context.get("can_unmask")),
            "can_hide": bool(context.get("can_hide")),
            "can_unhide": bool(context.get("can_unhide")),
            "can_delete": bool(context.get("can_delete")),
            "labels": labels,
            "reply": reply,
            "http_url": http_url,
            "hideable_kinds": hideable_kinds,
        },
    )


def render_options(options) -> SafeString:
    """`<option>`s of a toolbar select from [(value, label, selected)]."""
    return render("inbox/_options.html", {"options": options})


_LIST_URL: list[str] = []


def render_views(
    *, saved_views, counts, count_cap: int, current: str, view_params: str, oob: bool
) -> SafeString:
    """The rail of saved views with their capped counts."""
    if not _LIST_URL:
        _LIST_URL.append(reverse("inbox:list"))
    return render(
        "inbox/_views.html",
        {
            "saved_views": saved_views,
            "counts": counts or {},
            "count_cap": count_cap,
            "current": current,
            "view_params": view_params,
            "oob": oob,
            "list_url": _LIST_URL[0],
            "capped": capped,
        },
    )
