"""A long thread shows its latest page with an "Earlier messages" link (keyset on time, kind, id)."""

import datetime as dt
import re

import pytest

from inbox import selectors, services
from listening.models import Mention
from tests.inbox.world import customer_message

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _long_thread(agent, messages: int):
    conversation = customer_message(text="message 0", thread="long", handle="ann", minutes_ago=600)
    first = Mention.objects.get(thread_key="long")
    at = first.created_at
    for number in range(1, messages):
        Mention.objects.create(
            **{
                f.name: getattr(first, f.name)
                for f in Mention._meta.concrete_fields
                if f.name not in ("id", "external_id", "text", "created_at")
            },
            external_id=f"long-{number}",
            text=f"message {number}",
            # Pairs share a timestamp: the id breaks the tie, as in the pane.
            created_at=at + dt.timedelta(minutes=number // 2),
        )
    services.note_add(actor=agent, conversation=conversation, text="a note in the middle")
    return conversation


def _texts(page):
    return [item.obj.text for item in page]


def test_pages_cover_the_whole_thread_once_in_time_order(agent):
    conversation = _long_thread(agent, 120)
    seen, before = [], None
    while True:
        page = selectors.conversation_thread(conversation=conversation, before=before, limit=50)
        assert len(page) <= 50
        seen = _texts(page) + seen
        before = page.earlier
        if not before:
            break
    messages = [t for t in seen if t.startswith("message ")]
    assert messages == [f"message {n}" for n in range(120)]
    assert "a note in the middle" in seen
    assert len(seen) == len(set(seen))


def test_the_pane_shows_the_latest_and_the_link_loads_earlier(client, agent):
    conversation = _long_thread(agent, 80)
    client.force_login(agent)
    html = client.get(f"/inbox/c/{conversation.pk}/", **HX).content.decode()
    assert "message 79" in html and "message 0<" not in html
    link = re.search(r'hx-get="([^"]*before=[^"]*)"', html).group(1).replace("&amp;", "&")
    earlier = client.get(link, **HX)
    assert earlier.status_code == 200
    text = earlier.content.decode()
    assert "message 0<" in text and "message 79" not in text
    assert 'id="thread-earlier"' not in text  # that was the first page
    assert client.get(f"/inbox/c/{conversation.pk}/?before=garbage", **HX).status_code == 400


def test_a_short_thread_has_no_link(client, agent):
    conversation = customer_message(text="hello", thread="short", handle="bo", minutes_ago=1)
    client.force_login(agent)
    html = client.get(f"/inbox/c/{conversation.pk}/", **HX).content.decode()
    assert "Earlier messages" not in html
