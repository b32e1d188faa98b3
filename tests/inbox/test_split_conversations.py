"""The data migration that gives each customer in a merged public thread a conversation of their own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from inbox.models import Conversation, ConversationEvent, Note, Reply
from inbox.splitting import split_merged_conversations
from listening.threads import customer_thread_key
from tests.factories import (
    AuthorFactory,
    ConversationFactory,
    MentionFactory,
    SocialAccountFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

THREAD = "1790000000000000000"


@pytest.fixture
def merged(agent):
    """A thread as earlier versions stored it: nine people's messages in the first one's conversation."""
    start = timezone.now() - dt.timedelta(hours=3)
    account = SocialAccountFactory(network="x")
    authors = [AuthorFactory(network="x", handle=f"person{n}") for n in range(9)]
    messages = {}
    for n, author in enumerate(authors):
        messages[n] = MentionFactory(
            network="x",
            account=account,
            author=author,
            thread_key=THREAD,
            network_thread="",
            text=f"message from person {n}",
            created_at=start + dt.timedelta(minutes=n),
        )
    # Person 0 wrote again at the end; the bank answered person 4 (the old defect: under another's name).
    MentionFactory(
        network="x", account=account, author=authors[0], thread_key=THREAD, network_thread="",
        text="person 0 again", created_at=start + dt.timedelta(minutes=20),
    )  # fmt: skip
    bank = AuthorFactory(network="x", external_id=account.external_id, handle=account.handle)
    ours = MentionFactory(
        network="x", account=account, author=bank, direction="out", thread_key=THREAD, network_thread="",
        in_reply_to=messages[4].external_id, text="Thank you for the kind words!",
        created_at=start + dt.timedelta(minutes=30),
    )  # fmt: skip
    conversation = ConversationFactory(
        network="x", thread_key=THREAD, account=account, customer=authors[0], status="open",
        assignee=agent, message_count=11, preview="message from person 8",
        first_received_at=start, first_response_at=start + dt.timedelta(minutes=30),
        last_inbound_at=start + dt.timedelta(minutes=20), last_activity_at=start + dt.timedelta(minutes=30),
    )  # fmt: skip
    conversation.tags.create(name="cards")
    Note.objects.create(conversation=conversation, author=agent, text="Asked the cards team")
    reply = Reply.objects.create(
        conversation=conversation, author=agent, text=ours.text, channel="public", state="sent",
        in_reply_to=messages[4].external_id, mention=ours, external_id=ours.external_id,
    )  # fmt: skip
    return {"conversation": conversation, "authors": authors, "reply": reply, "ours": ours}


def test_each_of_nine_people_gets_their_own_conversation(merged, agent):
    report = split_merged_conversations(batch=4)  # small batches: the loop over ranges is exercised
    authors = merged["authors"]
    conversations = {c.customer_id: c for c in Conversation.objects.all()}
    assert set(conversations) == {a.pk for a in authors}
    assert len(report.conversations_opened) == 8

    original = Conversation.objects.get(pk=merged["conversation"].pk)
    assert original.customer_id == authors[0].pk
    assert original.thread_key == customer_thread_key(THREAD, authors[0].external_id)
    # The team's work stays with the customer it was for.
    assert original.status == "open" and original.assignee == agent
    assert list(original.tags.values_list("name", flat=True)) == ["cards"]
    assert original.notes.count() == 1
    # Its figures are its own customer's now.
    assert original.message_count == 2
    assert original.preview == "person 0 again"
    assert original.first_response_at is None  # the bank never answered person 0

    for author in authors[1:]:
        theirs = conversations[author.pk]
        assert theirs.status == "new" and theirs.assignee is None and not theirs.tags.exists()
        assert theirs.thread_key == customer_thread_key(THREAD, author.external_id)
        event = theirs.events.get(kind=ConversationEvent.Kind.SPLIT)
        assert f"#{original.pk}" in event.text
    # The bank's answer went to person 4: it is in their conversation, with its Reply.
    person4 = conversations[authors[4].pk]
    merged["ours"].refresh_from_db()
    merged["reply"].refresh_from_db()
    assert merged["ours"].thread_key == person4.thread_key and merged["ours"].network_thread == THREAD
    assert merged["reply"].conversation_id == person4.pk
    assert person4.message_count == 2 and person4.first_response_at is not None
    assert original.events.filter(kind=ConversationEvent.Kind.SPLIT, text__startswith="8 other").exists()


def test_running_it_again_changes_nothing(merged):
    split_merged_conversations()
    before = list(Conversation.objects.order_by("id").values())
    events = ConversationEvent.objects.count()
    report = split_merged_conversations()
    assert report.messages_rekeyed == 0 and report.conversations_opened == []
    assert list(Conversation.objects.order_by("id").values()) == before
    assert ConversationEvent.objects.count() == events


def test_the_command_reports_what_it_did(merged, capsys):
    call_command("conversations_split", "--batch", "100")
    assert "8 conversations opened for other customers" in capsys.readouterr().out


def test_a_conversation_that_was_one_persons_only_changes_its_key(agent):
    author = AuthorFactory(network="facebook", handle="")
    MentionFactory(network="facebook", author=author, thread_key="page_post1", network_thread="", text="hi")
    conversation = ConversationFactory(
        network="facebook", thread_key="page_post1", customer=author, assignee=UserFactory()
    )
    split_merged_conversations()
    conversation.refresh_from_db()
    assert conversation.thread_key == f"page_post1|{author.external_id}"
    assert Conversation.objects.count() == 1 and not ConversationEvent.objects.filter(kind="split").exists()
