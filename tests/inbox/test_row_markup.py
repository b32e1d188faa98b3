"""The thread, the saved views' rail and the filter options are printed in Python (inbox/rows.py) for speed
(docs/benchmarks.md); they must print exactly what the templates they replaced printed, escaping included.

The templates as they were are kept in reference/, verbatim, and rendered side by side with the pages' own;
but for a customer message's labels, which replaced its sentiment and language badges and are printed by
inbox/labels.py in both (tests/inbox/test_label_correction.py covers them).
"""

import datetime as dt
from pathlib import Path

import pytest
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone

from inbox import rows, selectors, services
from inbox.models import ConversationEvent, Reply
from inbox.selectors import SAVED_VIEWS
from listening.models import Mention
from tests.factories import AuthorFactory, MentionFactory
from tests.inbox.world import customer_message

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(\"x\")</script> & <b onmouseover='y'>"

# The templates as they were before their loops moved to inbox/rows.py, verbatim.
REFERENCE = Path(__file__).parent / "reference"
THREAD_TEMPLATE = (REFERENCE / "thread.html").read_text()
VIEWS_TEMPLATE = (REFERENCE / "views.html").read_text()


def _reference(source: str, context: dict) -> str:
    return engines["django"].from_string(source).render(context)


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


@pytest.mark.parametrize("can", [True, False])
def test_the_thread_prints_what_its_template_printed(busy_thread, agent, can):
    thread = selectors.conversation_thread(conversation=busy_thread)
    kinds = {item.kind for item in thread}
    assert kinds == {"message", "note", "event", "reply"}
    assert any(getattr(item.obj, "is_hidden", False) for item in thread)
    context = {
        "conversation": busy_thread,
        "thread": thread,
        "can_write": can,
        "can_unmask": can,
        "can_hide": can,
        "user": agent,
    }
    html = render_to_string("inbox/_thread.html", context)
    assert html == _reference(THREAD_TEMPLATE, context)
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "4111 1111 1111 1111" not in html
    assert ("Reveal (recorded)" in html) is can and ("Hide on Facebook</button>" in html) is can
    assert "javascript:" not in html


def test_a_thread_page_with_an_earlier_link_and_an_empty_thread(busy_thread, agent):
    thread = selectors.conversation_thread(conversation=busy_thread, limit=3)
    assert thread.earlier
    context = {"conversation": busy_thread, "thread": thread, "can_unmask": True, "user": agent}
    assert render_to_string("inbox/_thread.html", context) == _reference(THREAD_TEMPLATE, context)
    empty = selectors.ThreadPage()
    context["thread"] = empty
    html = render_to_string("inbox/_thread.html", context)
    assert html == _reference(THREAD_TEMPLATE, context)
    assert "No messages stored for this conversation." in html


@pytest.mark.parametrize("oob", [True, False])
@pytest.mark.parametrize("view_params", ["", "network=x&q=%3Cb%3E&assignee=none"])
def test_the_rail_prints_what_its_template_printed(oob, view_params):
    context = {
        "saved_views": SAVED_VIEWS.values(),
        "counts": {"unassigned": 1001, "mine": 0, "urgent": 12, "open": 1000, "resolved": 5},
        "count_cap": 1000,
        "query": selectors.ListQuery(view="urgent"),
        "view_params": view_params,
        "oob": oob,
    }
    html = render_to_string("inbox/_views.html", context)
    assert html == _reference(VIEWS_TEMPLATE, context)
    assert "1,000+" in html and 'aria-current="page"' in html


def test_filter_options_are_escaped_and_mark_the_choice():
    html = rows.render_options([("1", HOSTILE, False), ("2", "Cards & loans", True)])
    assert html == (
        '<option value="1">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; '
        "&lt;b onmouseover=&#x27;y&#x27;&gt;</option>"
        '<option value="2" selected>Cards &amp; loans</option>'
    )
