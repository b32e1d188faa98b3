"""Instagram through the services: polled into one conversation per customer, answered through
the outbox (a comment reply and a direct message, each reaching the sandbox once), with the
personal-data guard and the messaging window as on the other networks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from inbox import reply_services as rs
from inbox.models import Conversation, Reply
from listening.models import Mention
from listening.services import account_poll
from listening.threads import customer_thread_key
from tests.inbox.replying import sandbox_conversation

pytestmark = pytest.mark.django_db


def submit(conversation, actor, text, channel="public"):
    return rs.reply_submit(
        actor=actor, conversation=conversation, text=text, channel=channel, seen_version=None
    )


def test_comments_thread_per_customer_and_direct_messages_on_their_conversation(
    sandbox, instagram_account, django_capture_on_commit_callbacks
):
    comment = sandbox.post(network="instagram", text="My card was declined", customer=1)
    other = sandbox.post(network="instagram", in_reply_to=comment["id"], text="Mine too", customer=2)
    message = sandbox.post(network="instagram", kind="message", text="Can you call me?", customer=3)
    with django_capture_on_commit_callbacks(execute=True):
        assert account_poll(account_id=instagram_account.pk).status == "ok"

    stored = {m.external_id: m for m in Mention.objects.filter(network="instagram")}
    first_key = customer_thread_key(comment["thread"], stored[comment["id"]].author.external_id)
    second_key = customer_thread_key(comment["thread"], stored[other["id"]].author.external_id)
    assert first_key != second_key
    assert stored[message["id"]].thread_key == f"ig:{message['thread']}"
    keys = set(Conversation.objects.filter(network="instagram").values_list("thread_key", flat=True))
    assert keys == {first_key, second_key, f"ig:{message['thread']}"}
    with django_capture_on_commit_callbacks(execute=True):
        assert account_poll(account_id=instagram_account.pk).new_mentions == 0


def test_a_comment_reply_goes_out_once_and_joins_the_conversation(
    sandbox, instagram_account, agent, django_capture_on_commit_callbacks
):
    conversation = sandbox_conversation(
        sandbox, instagram_account, django_capture_on_commit_callbacks, network="instagram", text="App down?"
    )
    route = rs.reply_routes(conversation=conversation)
    assert route["public"].available and not route["private"].available
    assert "has not sent the bank a direct message" in route["private"].note

    reply = submit(conversation, agent, "Sorry! We are on it.")
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    assert rs.reply_send(reply_id=reply.pk) == "skipped"
    sent = sandbox.sent("instagram")
    assert len(sent) == 1 and sent[0]["kind"] == "comment"
    out = Mention.objects.get(network="instagram", external_id=sent[0]["id"])
    assert out.direction == "out" and out.thread_key == conversation.thread_key


def test_a_card_number_blocks_a_public_instagram_reply(
    sandbox, instagram_account, agent, django_capture_on_commit_callbacks
):
    conversation = sandbox_conversation(
        sandbox, instagram_account, django_capture_on_commit_callbacks, network="instagram", text="Help"
    )
    with pytest.raises(rs.ReplyBlocked):
        submit(conversation, agent, "Your card 4111 1111 1111 1111 is blocked")
    assert not Reply.objects.exists() and sandbox.sent("instagram") == []


def test_a_direct_message_reply_shows_the_window_and_goes_out_once(
    sandbox, instagram_account, agent, django_capture_on_commit_callbacks
):
    conversation = sandbox_conversation(
        sandbox,
        instagram_account,
        django_capture_on_commit_callbacks,
        network="instagram",
        kind="message",
        text="Where is my new card?",
    )
    route = rs.reply_routes(conversation=conversation)["private"]
    assert route.available and route.note.startswith("Instagram: window open for 23 h")
    assert not rs.reply_routes(conversation=conversation)["public"].available

    reply = submit(conversation, agent, "It was posted yesterday.", channel="private")
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    sent = sandbox.sent("instagram")
    assert len(sent) == 1 and sent[0]["kind"] == "direct" and sent[0]["tag"] == ""
    assert Mention.objects.get(external_id=sent[0]["id"]).thread_key == conversation.thread_key


def test_after_24_hours_the_composer_offers_the_human_agent_window_and_after_7_days_none(
    sandbox, instagram_account, agent, django_capture_on_commit_callbacks
):
    conversation = sandbox_conversation(
        sandbox,
        instagram_account,
        django_capture_on_commit_callbacks,
        network="instagram",
        kind="message",
        text="Any news?",
        ago_seconds=2 * 86400,
    )
    route = rs.reply_routes(conversation=conversation)["private"]
    assert route.available and "HUMAN_AGENT" in route.note and "for 119 h" in route.note
    reply = submit(conversation, agent, "Yes, the new card is on its way.", channel="private")
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    assert sandbox.sent("instagram")[0]["tag"] == "HUMAN_AGENT"

    later = timezone.now() + dt.timedelta(days=6)
    closed = rs.private_route(conversation, now=later)
    assert not closed.available and "within 7 days" in closed.note
