"""The list row, rendered in Python.

A row is printed 50 times per list page; through the template engine it cost about 0.65 ms
each (variable lookups, filters, `{% url %}`), a third of the page (docs/benchmarks.md). This
builds the same markup with plain string formatting and `html.escape` (what Django's autoescape
does), about 30 µs a row. The template `inbox/_row.html` calls it, so the list, the live poll's
refreshed rows and the pane's refreshed row all print the same markup.
"""

from __future__ import annotations

from html import escape

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from inbox.labels import label_choices, render_labels
from inbox.models import Conversation
from inbox.moderation import hideable_kinds as moderation_kinds
from inbox.templatetags.inbox_tags import capped, http_url
from listening.enrichment.understanding import CONFIDENT

URGENT = Conversation.Priority.URGENT
HIGH = Conversation.Priority.HIGH


def _presence(people) -> str:
    return "".join(
        f'<span class="viewer" title="{escape(p.name)} has it open">{escape(p.initials)}'
        f'<span class="visually-hidden"> ({escape(p.name)} has it open)</span></span>'
        for p in people or ()
    )


def render_row(
    conversation: Conversation,
    *,
    presence: dict | None = None,
    can_write: bool = False,
    selected=(),
    list_params: str = "",
    oob: bool = False,
) -> str:
    """One `<li class="row">` of the list. `conversation.row` comes from selectors.decorate_rows."""
    c = conversation
    row = c.row
    customer = c.customer
    pk = c.pk
    handle = escape(customer.at_handle)
    url = escape(row.url)
    link = url + (f"?{escape(list_params)}" if list_params else "")
    swap = ' hx-swap-oob="true"' if oob else ""
    urgent = " is-urgent" if c.priority == URGENT else ""
    parts = [
        f'<li class="row status-{escape(c.status)}{urgent}" id="row-{pk}"\n'
        f'    data-conversation="{pk}" data-version="{c.version}"{swap}>\n'
    ]
    if can_write:
        checked = " checked" if selected and pk in selected else ""
        parts.append(
            '  <input type="checkbox" class="row-select" name="ids"'
            f' value="{pk}:{c.version}" form="bulk-form"'
            f' aria-label="Select the conversation with {escape(customer.display_name)}"{checked}>\n'
        )
    if row.avatar:
        avatar = (
            f'<img class="avatar" src="{escape(row.avatar)}" alt="" width="32" height="32" loading="lazy">'
        )
    else:
        avatar = f'<span class="avatar avatar-initials" aria-hidden="true">{escape(row.initial)}</span>'
    if c.status != "new":
        status = (
            f'<span class="badge badge-status badge-status-{escape(c.status)}">'
            f"{escape(row.status_label)}</span>"
        )
    else:
        status = '<span class="badge badge-new">New</span>'
    badges = [status]
    if c.priority == URGENT:
        badges.append('<span class="badge badge-urgent">Urgent</span>')
    elif c.priority == HIGH:
        badges.append('<span class="badge badge-high">High</span>')
    if c.has_pii:
        badges.append(
            '<span class="badge badge-pii" title="Contains personal data (masked)">Personal data</span>'
        )
    if c.sentiment_label and c.sentiment_label != "neutral":
        label = escape(c.sentiment_label)
        confidence = c.sentiment_confidence
        if confidence is not None and confidence < CONFIDENT:
            badges.append(
                f'<span class="badge badge-{label} label-unsure" title="Sentiment: a guess'
                f' (model confidence {confidence:.0%})">{label}</span>'
            )
        else:
            badges.append(f'<span class="badge badge-{label}">{label}</span>')
    badges.extend(f'<span class="badge badge-tag">{escape(name)}</span>' for name in row.tags)
    assignee = ""
    if c.assignee_id and c.assignee:
        who = escape(c.assignee.display_name)
        assignee = (
            f'<span class="assignee" title="Assigned to {who}">{escape(c.assignee.initials)}'
            f'<span class="visually-hidden"> (assigned to {who})</span></span>'
        )
    here = (presence or {}).get(pk)
    network = escape(c.network)
    network_label = escape(row.network_label)
    parts.append(
        f'  <a class="row-link" id="row-link-{pk}" href="{link}"\n'
        f'     hx-get="{url}" hx-target="#pane" hx-swap="innerHTML" hx-push-url="{link}">\n'
        f"    {avatar}\n"
        '    <span class="row-main">\n'
        '      <span class="row-top">\n'
        f'        <span class="customer-name">{escape(customer.display_name)}</span>\n'
        f'        <span class="handle">{handle}</span>\n'
        f'        <span class="net net-{network}" title="{network_label}">{network_label}</span>\n'
        f'        <time class="age" datetime="{escape(row.iso)}" title="{escape(row.title_time)}">'
        f"{escape(row.age)}</time>\n"
        "      </span>\n"
        f'      <span class="row-text">{escape(c.preview)}</span>\n'
        '      <span class="badges">\n'
        f"        {''.join(badges)}\n"
        '        <span class="row-people">\n'
        f'          <span class="row-presence" id="row-presence-{pk}">{_presence(here)}</span>\n'
        f"          {assignee}\n"
        "        </span>\n"
        "      </span>\n"
        "    </span>\n"
        "  </a>\n"
        "</li>\n"
    )
    return "".join(parts)


def render_rows(conversations, **options) -> SafeString:
    # Every value above went through html.escape; the rest is our own literal markup.
    return mark_safe("".join(render_row(c, **options) for c in conversations))  # noqa: S308


# --- The thread ---------------------------------------------------------------------------------
# The conversation pane prints up to 50 thread items; through `inbox/_thread.html` they cost about
# 0.35 ms each (three `date` filters, `{% url %}` and `{% with %}` per message), most of the pane.
# Messages, notes and events are printed here with the template's markup; the outbox's replies
# (rare, and with the most logic) still go through `inbox/_thread_reply.html`.


def _months() -> dict[int, str]:
    # What the `date` filter's "M" prints (translated, title case), once per render.
    from django.utils.dates import MONTHS_3

    return {number: str(name).title() for number, name in MONTHS_3.items()}


def _times(at, months: dict[int, str]) -> tuple[str, str, str]:
    """`date:'c'`, `date:'j M Y, H:i:s'` and `date:'j M, H:i'` of the template, in the bank's zone."""
    local = timezone.localtime(at) if timezone.is_aware(at) else at
    clock = f"{local.hour:02d}:{local.minute:02d}"
    short = f"{local.day} {months[local.month]}, {clock}"
    long = f"{local.day} {months[local.month]} {local.year:04d}, {clock}:{local.second:02d}"
    return local.isoformat(), long, short


SENT_CHIP = '<span class="chip chip-reply chip-reply-sent">Sent</span>'
URGENT_BADGE = '<span class="badge badge-urgent">Urgent</span>'
_THREAD_URLS: dict[str, tuple[str, str]] = {}


def _thread_url(name: str, pk: int, other: int) -> str:
    """`{% url 'inbox:<name>' pk other %}` for the two-id thread URLs, `reverse`d once per process."""
    if name not in _THREAD_URLS:
        marker = 987654321
        url = reverse(f"inbox:{name}", args=[marker, marker + 1])
        head, _, tail = url.partition(str(marker))
        middle, _, end = tail.partition(str(marker + 1))
        _THREAD_URLS[name] = (head, middle, end)
    head, middle, end = _THREAD_URLS[name]
    return f"{head}{pk}{middle}{other}{end}"


def _render_message(m, *, conversation_pk: int, can_unmask: bool, can: dict, months, labels: dict) -> str:
    iso, long, short = _times(m.created_at, months)
    author = m.author
    who = escape(author.display_name)
    outbound = m.direction == "out"
    link = http_url(m.url)
    link_html = (
        f'<a class="message-link" href="{escape(link)}" rel="noopener noreferrer nofollow" target="_blank">'
        f"View on {escape(m.get_network_display())}</a>"
        if link
        else ""
    )
    pk = m.pk
    parts = [
        f'\n<li class="message message-{escape(m.direction)}" id="message-{pk}">\n'
        '  <div class="message-meta">\n'
        f'    <span class="customer-name">{who}{" (us)" if outbound else ""}</span>\n'
        f'    <span class="muted">{escape(m.get_kind_display())}</span>\n'
        f"    {SENT_CHIP if outbound else ''}\n"
        f'    <time datetime="{escape(iso)}" title="{escape(long)}">{escape(short)}</time>\n'
        f"    {link_html}\n"
        "  </div>\n"
        f'  <div class="message-body" id="message-body-{pk}">\n'
        f'    <p class="message-text">{escape(m.masked_text if m.has_pii else m.text)}</p>\n'
        "    "
    ]
    if m.has_pii:
        reveal = (
            f'<button type="button" class="btn-link" hx-post="{_thread_url("unmask", conversation_pk, pk)}"'
            f' hx-target="#message-body-{pk}" hx-swap="outerHTML">Reveal (recorded)</button>'
            if can_unmask
            else ""
        )
        parts.append(
            "\n"
            '    <p class="message-pii">\n'
            '      <span class="badge badge-pii">Personal data masked</span>\n'
            f"      {reveal}\n"
            "    </p>\n"
            "    "
        )
    parts.append("\n  </div>\n  ")
    if m.direction == "in":
        label_forms = render_labels(m, action=_thread_url("label", conversation_pk, pk), **labels)
        hide = _hide_controls(m, conversation_pk=conversation_pk, can=can)
        parts.append(
            "\n"
            '  <div class="message-enrichment">\n'
            f"    {label_forms}\n"
            f"    {URGENT_BADGE if m.priority_hint == 'urgent' else ''}\n"
            f"    {hide}\n"
            "  </div>\n"
            "  "
        )
    elif getattr(m, "moderation", "") == "deleted" or (can.get("can_delete") and m.kind != "direct"):
        parts.append(
            f'\n  <div class="message-moderation">{_delete_controls(m, conversation_pk, can)}</div>\n  '
        )
    parts.append("\n</li>\n")
    return "".join(parts)


def _hide_controls(m, *, conversation_pk: int, can: dict) -> str:
    """A customer's comment: "Hidden on <network>" (and Unhide), or a Hide button."""
    network = escape(m.get_network_display())
    pk = m.pk
    if getattr(m, "is_hidden", False):
        badge = f'<span class="badge badge-hidden">Hidden on {network}</span>'
        if not can.get("can_unhide"):
            return badge
        url = _thread_url("unhide", conversation_pk, pk)
        return (
            f'{badge} <button type="button" class="btn-link" hx-post="{url}"'
            f' hx-target="#pane">Show again on {network}</button>'
        )
    if can.get("can_hide") and m.kind in moderation_kinds(m.network):
        return (
            f'<button type="button" class="btn-link" hx-post="{_thread_url("hide", conversation_pk, pk)}"'
            f' hx-target="#pane" hx-confirm="Hide this comment on {network}? Only the customer and their'
            f' friends will still see it.">Hide on {network}</button>'
        )
    return ""


def _delete_controls(m, conversation_pk: int, can: dict) -> str:
    """The bank's own public reply: "Deleted on <network>", or a Delete button (irreversible)."""
    network = escape(m.get_network_display())
    if getattr(m, "moderation", "") == "deleted":
        return f'<span class="badge badge-hidden">Deleted on {network}</span>'
    url = _thread_url("delete_reply", conversation_pk, m.pk)
    return (
        f'<button type="button" class="btn-link" hx-post="{url}"'
        f' hx-target="#pane" hx-confirm="Delete this reply on {network}? It cannot be undone.">'
        f"Delete on {network}</button>"
    )


def _render_note(note, months) -> str:
    iso, _long, short = _times(note.created_at, months)
    return (
        f'\n<li class="note" id="note-{note.pk}">\n'
        '  <div class="message-meta">\n'
        '    <span class="note-label">Internal note</span>\n'
        f'    <span class="customer-name">{escape(note.author.display_name)}</span>\n'
        f'    <time datetime="{escape(iso)}">{escape(short)}</time>\n'
        "  </div>\n"
        f'  <p class="message-text">{escape(note.text)}</p>\n'
        "</li>\n"
    )


def _render_event(event, months) -> str:
    iso, _long, short = _times(event.created_at, months)
    if event.actor:
        what = f"<strong>{escape(event.actor.display_name)}</strong> {escape(event.text)}"
    else:
        text = str(event.text)
        what = escape(text[:1].upper() + text[1:])
    return (
        f'\n<li class="event event-{escape(event.kind)}">\n'
        f"  <span>{what}</span>\n"
        f'  <time datetime="{escape(iso)}">{escape(short)}</time>\n'
        "</li>\n"
    )


def render_thread(context, thread) -> SafeString:
    """The items of `inbox/_thread.html`'s loop: the same markup as its former per-item template."""
    if not thread:
        return mark_safe('\n<li class="muted">No messages stored for this conversation.</li>\n')
    conversation = context.get("conversation")
    can_unmask = bool(context.get("can_unmask"))
    can = {key: bool(context.get(key)) for key in ("can_hide", "can_unhide", "can_delete")}
    labels = {
        "csrf_token": str(context.get("csrf_token") or ""),
        "can_correct": bool(context.get("can_write")),
        "choices": label_choices(),
    }
    months = _months()
    reply_template = None
    out = []
    for item in thread:
        if item.kind == "message":
            body = _render_message(
                item.obj,
                conversation_pk=conversation.pk,
                can_unmask=can_unmask,
                can=can,
                months=months,
                labels=labels,
            )
        elif item.kind == "note":
            body = _render_note(item.obj, months)
        elif item.kind == "reply":
            if reply_template is None:
                reply_template = context.template.engine.get_template("inbox/_thread_reply.html")
            with context.push(reply=item.obj):
                body = reply_template.render(context)
        else:
            body = _render_event(item.obj, months)
        out.append(f"\n{body}\n")
    # Every value above went through html.escape (or the template engine); the rest is our markup.
    return mark_safe("".join(out))  # noqa: S308


# --- The saved views' rail and the toolbar's options ------------------------------------------------


def render_options(options) -> SafeString:
    """`<option>`s of a toolbar select from [(value, label, selected)], as the template printed them."""
    html = "".join(
        f'<option value="{escape(str(value))}"{" selected" if selected else ""}>{escape(str(label))}</option>'
        for value, label, selected in options
    )
    return mark_safe(html)  # noqa: S308 - every value and label went through html.escape


_LIST_URL: list[str] = []


def render_views(
    *, saved_views, counts, count_cap: int, current: str, view_params: str, oob: bool
) -> SafeString:
    """The rail of saved views with their capped counts (the markup of `inbox/_views.html`)."""
    if not _LIST_URL:
        _LIST_URL.append(reverse("inbox:list"))
    params = f"&amp;{escape(view_params)}" if view_params else ""
    swap = ' hx-swap-oob="true"' if oob else ""
    parts = [f'<ul id="view-list" class="view-list" aria-labelledby="views-title"{swap}>\n  ']
    for view in saved_views:
        key = escape(view.key)
        count = escape(capped((counts or {}).get(view.key), count_cap))
        current_attr = 'aria-current="page"' if view.key == current else ""
        parts.append(
            "\n  <li>\n"
            f'    <a href="{_LIST_URL[0]}?view={key}{params}" title="{escape(view.hint)}"\n'
            f'       {current_attr} class="view-link view-{key}">\n'
            f'      <span class="view-label">{escape(view.label)}</span>\n'
            f'      <span class="view-count" aria-label="{count} conversations">{count}</span>\n'
            "    </a>\n"
            "  </li>\n  "
        )
    parts.append("\n</ul>")
    return mark_safe("".join(parts))  # noqa: S308 - escaped above
