"""The conversation pane says which note is which channel's, and one's own activity is not "new"."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils import timezone

from inbox import selectors
from inbox.selectors import ListQuery
from tests.factories import ConversationFactory
from tests.inbox.test_one_customer_per_conversation import conversation_of, poll


def test_each_route_note_is_captioned_with_its_channel(
    sandbox, x_account, agent, client, django_capture_on_commit_callbacks
):
    first = sandbox.post(network="x", kind="mention", text="Card declined", customer=0)
    poll(x_account, django_capture_on_commit_callbacks)
    conversation = conversation_of("x", first["id"])
    client.force_login(agent)
    html = client.get(
        reverse("inbox:detail", args=[conversation.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    public = re.search(r'<li id="route-public"[^>]*>(.*?)</li>', html, re.S).group(1)
    private = re.search(r'<li id="route-private"[^>]*>(.*?)</li>', html, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", public).startswith("Public reply: Replying to @")
    assert re.sub(r"<[^>]+>", "", private).startswith("Private message: X direct message to")
    assert 'data-channel="public"' in html and 'data-channel="private"' in html


def test_rows_on_screen_are_not_counted_as_new(agent):
    before = timezone.now() - dt.timedelta(seconds=1)
    shown = ConversationFactory(status="open")  # e.g. the one the agent just replied to
    query = ListQuery(view="open")
    assert selectors.new_since_count(user=agent, query=query, since=before) == 1
    assert selectors.new_since_count(user=agent, query=query, since=before, shown=[shown.pk]) == 0
    ConversationFactory(status="open")
    assert selectors.new_since_count(user=agent, query=query, since=before, shown=[shown.pk]) == 1


def test_the_list_poll_does_not_announce_a_row_already_shown(client, agent):
    conversation = ConversationFactory(status="open")
    since = (timezone.now() - dt.timedelta(minutes=1)).isoformat()
    client.force_login(agent)
    html = client.get(
        reverse("inbox:poll"),
        {"view": "open", "since": since, "rows": f"{conversation.pk}:{conversation.version}"},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "new · show" not in html
