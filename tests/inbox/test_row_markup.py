"""The thread, the saved views' rail and the filter options (inbox/partials.py, Jinja2 partials in
templates/jinja2/inbox/): what a user sees in them, read from the rendered HTML: every item with its
text escaped, personal data masked, times in the bank's zone, and each control only for those allowed.

A customer message's labels are printed by inbox/labels.py (tests/inbox/test_label_correction.py).
"""

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone

from inbox import partials, selectors, services
from inbox.models import ConversationEvent, Reply
from inbox.selectors import SAVED_VIEWS
from listening.models import Mention
from tests.factories import AuthorFactory, MentionFactory
from tests.html_tree import parse
from tests.inbox.world import customer_message

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(\"x\")</script> & <b onmouseover='y'>"


def _date(value, fmt: str) -> str:
    """What Django's `date` filter prints, in the bank's zone."""
    return dateformat.format(timezone.localtime(value), fmt)


@pytest.fixture
def busy_thread(agent, other_agent):
    """A Facebook thread with every kind of item: hostile text, personal data, a hidden comment,
    a message of ours, a bad link, notes, events with and without an actor, replies in the outbox."""
    conversation = customer_message(
        text=f"My card 4111 1111 1111 1111 {HOSTILE}",
        thread="fb-busy",
        network="facebook",
        kind="comment",
        sentiment="negative",
        priority="urgent",
        handle="",
        name=f"Ann {HOSTILE}",
        minutes_ago=90,
    )
    first = Mention.objects.get(thread_key="fb-busy")
    customer = first.author
    now = timezone.now()
    hidden = MentionFactory(
        network="facebook",
        account=first.account,
        author=customer,
        thread_key="fb-busy",
        kind="comment",
        text="hide me",
        url="javascript:alert(1)",
        created_at=now - dt.timedelta(minutes=80),
        lang="",
    )
    MentionFactory(
        network="facebook",
        account=first.account,
        author=AuthorFactory(network="facebook", name=""),
        thread_key="fb-busy",
        kind="comment",
        direction="out",
        text=f"Ours {HOSTILE}",
        url="https://facebook.com/x?a=1&b=2",
        created_at=now - dt.timedelta(minutes=70),
    )
    MentionFactory(
        network="facebook",
        account=first.account,
        author=customer,
        thread_key="fb-busy",
        kind="message",
        text="a private message",
        created_at=first.created_at,
        sentiment_label="positive",
        lang="fr",
    )
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.HIDDEN,
        text="hid a comment",
        data={"mention": hidden.pk},
        version=conversation.version,
        actor=agent,
    )
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.REOPENED,
        text=f"reopened: {HOSTILE}",
        version=conversation.version,
        created_at=now - dt.timedelta(minutes=60),
    )
    services.note_add(actor=other_agent, conversation=conversation, text=f"Note {HOSTILE}")
    for state, author in (("awaiting_approval", agent), ("rejected", agent), ("failed", other_agent)):
        Reply.objects.create(
            conversation=conversation,
            author=author,
            channel="public",
            text=f"Reply {HOSTILE}",
            state=state,
            approval_reasons=["trainee", HOSTILE],
            decided_by=other_agent,
            decision_comment=HOSTILE,
            error="it failed" if state == "failed" else "",
        )
    return conversation


def _render_thread(conversation, agent, **context):
    thread = selectors.conversation_thread(conversation=conversation, **context.pop("paging", {}))
    html = render_to_string(
        "inbox/_thread.html",
        {"conversation": conversation, "thread": thread, "user": agent, **context},
    )
    return thread, html


@pytest.mark.parametrize("can", [True, False])
def test_the_thread_shows_every_item_escaped_and_masked(busy_thread, agent, can):
    thread, html = _render_thread(
        busy_thread, agent, can_write=can, can_unmask=can, can_hide=can, csrf_token="tok"
    )
    items = list(thread)
    assert {item.kind for item in items} == {"message", "note", "event", "reply"}
    tree = parse(html)
    shown = [(li.attrs.get("id") or " ".join(li.classes)) for li in tree.elements()]
    expected = [
        f"event event-{item.obj.kind}" if item.kind == "event" else f"{item.kind}-{item.obj.pk}"
        for item in items
    ]
    assert shown == expected  # every item, in the thread's order
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "4111 1111 1111 1111" not in html and "javascript:" not in html

    messages = [item.obj for item in items if item.kind == "message"]
    for message in messages:
        li = tree.find("li", id_=f"message-{message.pk}")
        assert li.classes == ["message", f"message-{message.direction}"]
        time = li.find("time")
        assert time.attrs == {
            "datetime": _date(message.created_at, "c"),
            "title": _date(message.created_at, "j M Y, H:i:s"),
        }
        assert time.text() == _date(message.created_at, "j M, H:i")
        body = li.find("div", "message-body", id_=f"message-body-{message.pk}")
        text = body.find("p", "message-text").text()
        assert text == " ".join((message.masked_text if message.has_pii else message.text).split())
        reveal = [b for b in li.find_all("button") if b.text() == "Reveal (recorded)"]
        if message.has_pii:
            assert li.find("span", "badge-pii").text() == "Personal data masked"
            assert len(reveal) == int(can)
            if can:
                unmask = reverse("inbox:unmask", args=[busy_thread.pk, message.pk])
                assert reveal[0].attrs["hx-post"] == unmask
                assert reveal[0].attrs["hx-target"] == f"#message-body-{message.pk}"
        else:
            assert not reveal and not li.find("p", "message-pii")
        labels = li.find("span", "message-labels", id_=f"labels-{message.pk}")
        assert (labels is not None) is (message.direction == "in")
        if labels and can:
            assert labels.find("input", name="csrfmiddlewaretoken", value="tok")
        if labels and not can:
            assert not labels.find("form")

    ours = next(m for m in messages if m.direction == "out")
    li = tree.find("li", id_=f"message-{ours.pk}")
    assert li.find("span", "customer-name").text().endswith("(us)")
    assert li.find("span", "chip-reply-sent").text() == "Sent"
    link = li.find("a", "message-link")
    assert link.attrs["href"] == "https://facebook.com/x?a=1&b=2" and link.text() == "View on Facebook"
    assert link.attrs["rel"] == "noopener noreferrer nofollow" and link.attrs["target"] == "_blank"

    hidden = next(m for m in messages if m.is_hidden)
    li = tree.find("li", id_=f"message-{hidden.pk}")
    assert li.find("span", "badge-hidden").text() == "Hidden on Facebook"
    assert not li.find("a", "message-link")  # its javascript: link is never printed
    hide_buttons = [b for b in tree.find_all("button") if b.text() == "Hide on Facebook"]
    comments = [m for m in messages if m.direction == "in" and m.kind == "comment" and not m.is_hidden]
    assert len(hide_buttons) == (len(comments) if can else 0)
    for button, comment in zip(hide_buttons, comments, strict=False):
        assert button.attrs["hx-post"] == reverse("inbox:hide", args=[busy_thread.pk, comment.pk])
        assert button.attrs["hx-target"] == "#pane"
        assert button.attrs["hx-confirm"].startswith("Hide this comment on Facebook?")
    assert "Show again on Facebook" not in html and "Delete on Facebook" not in html

    note = next(item.obj for item in items if item.kind == "note")
    li = tree.find("li", "note", id_=f"note-{note.pk}")
    assert li.find("span", "note-label").text() == "Internal note"
    assert li.find("span", "customer-name").text() == note.author.display_name
    assert li.find("p", "message-text").text() == f"Note {HOSTILE}"
    assert li.find("time").attrs == {"datetime": _date(note.created_at, "c")}

    events = {item.obj.kind: item.obj for item in items if item.kind == "event"}
    hid = tree.find("li", "event-hidden")
    assert hid.find("strong").text() == agent.display_name
    assert hid.find("span").text() == f"{agent.display_name} hid a comment"
    reopened = tree.find("li", "event-reopened")
    assert reopened.find("span").text() == f"Reopened: {HOSTILE}"  # capitalised, escaped
    assert reopened.find("time").text() == _date(events["reopened"].created_at, "j M, H:i")

    replies = [item.obj for item in items if item.kind == "reply"]
    for reply in replies:
        li = tree.find("li", id_=f"reply-{reply.pk}")
        assert li.classes == ["outbox", f"outbox-{reply.state}"]
        assert li.attrs["data-reply-state"] == reply.state
        withdraw = li.find("button", hx_post=reverse("inbox:reply_withdraw", args=[reply.pk]))
        assert (withdraw is not None) is (can and reply.author_id == agent.pk)


def test_leads_see_unhide_and_delete_controls(busy_thread, agent):
    thread, html = _render_thread(busy_thread, agent, can_hide=True, can_unhide=True, can_delete=True)
    tree = parse(html)
    messages = [item.obj for item in thread if item.kind == "message"]
    hidden = next(m for m in messages if m.is_hidden)
    show = tree.find("li", id_=f"message-{hidden.pk}").find("button")
    assert show.text() == "Show again on Facebook"
    assert show.attrs["hx-post"] == reverse("inbox:unhide", args=[busy_thread.pk, hidden.pk])
    ours = next(m for m in messages if m.direction == "out")
    moderation = tree.find("li", id_=f"message-{ours.pk}").find("div", "message-moderation")
    delete = moderation.find("button")
    assert delete.text() == "Delete on Facebook"
    assert delete.attrs["hx-post"] == reverse("inbox:delete_reply", args=[busy_thread.pk, ours.pk])
    assert delete.attrs["hx-confirm"] == "Delete this reply on Facebook? It cannot be undone."
    # Without the permissions: none of them.
    _thread, html = _render_thread(busy_thread, agent)
    assert "Show again on" not in html and "Delete on" not in html and "Hide on" not in html


def test_a_thread_page_with_an_earlier_link_and_an_empty_thread(busy_thread, agent):
    thread, html = _render_thread(busy_thread, agent, can_unmask=True, paging={"limit": 3})
    assert thread.earlier
    tree = parse(html)
    earlier = tree.find("li", "thread-earlier", id_="thread-earlier").find("a")
    detail = reverse("inbox:detail", args=[busy_thread.pk])
    assert earlier.attrs["href"] == earlier.attrs["hx-get"]
    assert earlier.attrs["href"].startswith(f"{detail}?before=")
    assert earlier.text() == "Earlier messages"
    assert len(tree.elements()) == 1 + 3
    html = render_to_string(
        "inbox/_thread.html", {"conversation": busy_thread, "thread": selectors.ThreadPage(), "user": agent}
    )
    [empty] = parse(html).elements()
    assert empty.classes == ["muted"] and empty.text() == "No messages stored for this conversation."


@pytest.mark.parametrize("oob", [True, False])
@pytest.mark.parametrize("view_params", ["", "network=x&q=%3Cb%3E&assignee=none"])
def test_the_rail_shows_each_view_with_its_capped_count(oob, view_params):
    counts = {"unassigned": 1001, "mine": 0, "urgent": 12, "open": 1000, "resolved": 5}
    context = {
        "saved_views": SAVED_VIEWS.values(),
        "counts": counts,
        "count_cap": 1000,
        "query": selectors.ListQuery(view="urgent"),
        "view_params": view_params,
        "oob": oob,
    }
    html = render_to_string("inbox/_views.html", context)
    [rail] = parse(html).elements()
    assert rail.tag == "ul" and rail.attrs["id"] == "view-list" and rail.classes == ["view-list"]
    assert rail.attrs["aria-labelledby"] == "views-title"
    assert rail.attrs.get("hx-swap-oob") == ("true" if oob else None)
    links = [li.find("a") for li in rail.elements()]
    assert [a.classes for a in links] == [["view-link", f"view-{key}"] for key in SAVED_VIEWS]
    shown = {"unassigned": "1,000+", "mine": "0", "urgent": "12", "open": "1,000", "resolved": "5"}
    for key, view in SAVED_VIEWS.items():
        a = rail.find("a", f"view-{key}")
        more = f"&{view_params}" if view_params else ""
        assert a.attrs["href"] == f"{reverse('inbox:list')}?view={key}{more}"
        assert a.attrs["title"] == view.hint
        assert ("aria-current" in a.attrs) is (key == "urgent")
        assert a.find("span", "view-label").text() == view.label
        count = a.find("span", "view-count")
        assert count.text() == shown.get(key, "")
        # A view without a count (not counted, or not yet) says nothing rather than " conversations".
        assert count.attrs.get("aria-label") == (f"{shown[key]} conversations" if key in shown else None)
    assert "<b>" not in html


def test_filter_options_are_escaped_and_mark_the_choice():
    html = partials.render_options([("1", HOSTILE, False), ("2", "Cards & loans", True)])
    assert "<script>" not in html and "&lt;script&gt;" in html
    options = parse(html).elements()
    assert [(o.tag, o.attrs, o.text()) for o in options] == [
        ("option", {"value": "1"}, HOSTILE),
        ("option", {"value": "2", "selected": None}, "Cards & loans"),
    ]
