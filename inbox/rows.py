"""The list row, rendered in Python.

A row is printed 50 times per list page; through the template engine it cost about 0.65 ms
each (variable lookups, filters, `{% url %}`), a third of the page (docs/benchmarks.md). This
builds the same markup with plain string formatting and `html.escape` (what Django's autoescape
does), about 30 µs a row. The template `inbox/_row.html` calls it, so the list, the live poll's
refreshed rows and the pane's refreshed row all print the same markup.
"""

from __future__ import annotations

from html import escape

from django.utils.safestring import SafeString, mark_safe

from inbox.models import Conversation

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
            f' aria-label="Select the conversation with {escape(customer.name) or handle}"{checked}>\n'
        )
    if row.avatar:
        avatar = (
            f'<img class="avatar" src="{escape(row.avatar)}" alt="" width="32" height="32" loading="lazy"'
            ' referrerpolicy="no-referrer">'
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
        f'        <span class="customer-name">{escape(customer.name or customer.handle)}</span>\n'
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
