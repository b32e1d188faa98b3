"""Attaching survives a backlog and a failure: nothing stored is left out of the inbox."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inbox.models import Conversation
from inbox.services import conversations_attach_mentions, conversations_attach_orphans
from listening.connectors.base import FetchResult
from listening.models import Mention
from listening.services import mentions_ingest
from tests.factories import MentionFactory, SocialAccountFactory, fetched_item

pytestmark = pytest.mark.django_db


def test_a_thread_of_several_new_messages_is_attached_in_one_go():
    first = MentionFactory(thread_key="t-many")
    rest = [MentionFactory(thread_key="t-many", author=first.author) for _ in range(4)]
    conversations_attach_mentions(mention_ids=[first.pk, *(m.pk for m in rest)])
    conversation = Conversation.objects.get()
    assert conversation.message_count == 5


def test_query_count_per_new_conversation_is_small():
    mentions = [MentionFactory(thread_key=f"t-{n}") for n in range(20)]
    with CaptureQueriesContext(connection) as queries:
        conversations_attach_mentions(mention_ids=[m.pk for m in mentions])
    assert Conversation.objects.count() == 20
    assert len(queries) <= 20 * 9, "\n".join(q["sql"][:100] for q in queries[:30])


def test_the_sweep_attaches_messages_a_failed_attach_left_behind():
    orphan = MentionFactory(thread_key="t-orphan", text="nobody saw me")
    # The poll stored it, but the attach never ran (a killed worker, a bug).
    assert not Conversation.objects.exists()
    conversations_attach_orphans()
    conversation = Conversation.objects.get()
    assert conversation.thread_key == "t-orphan"
    assert orphan.text in conversation.preview


def test_the_sweep_applies_a_missed_follow_up_and_leaves_the_rest_alone():
    first = MentionFactory(thread_key="t-follow")
    conversations_attach_mentions(mention_ids=[first.pk])
    MentionFactory(thread_key="t-follow", author=first.author, text="hello again?")
    conversations_attach_orphans()
    conversation = Conversation.objects.get()
    assert conversation.message_count == 2
    assert conversation.preview == "hello again?"
    conversations_attach_orphans()
    conversation.refresh_from_db()
    assert conversation.message_count == 2


def test_the_sweep_ignores_our_own_posts():
    MentionFactory(thread_key="t-ours", direction="out")
    assert conversations_attach_orphans() == []
    assert not Conversation.objects.exists()


def test_a_page_whose_attach_fails_is_stored_and_the_sweep_attaches_it_later():
    account = SocialAccountFactory(external_id="1585092736154238977", handle="northbridgebank")
    with connection.cursor() as cursor:  # the database refuses new conversations for a while
        cursor.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'no new conversations'; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON inbox_conversation FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    page = FetchResult(
        items=[fetched_item("701", thread_key="701"), fetched_item("702", thread_key="702", author_id="43")],
        cursors={"mentions": "702"},
    )
    new = mentions_ingest(account=account, result=page)

    assert len(new) == 2
    assert Mention.objects.filter(pk__in=new).count() == 2
    assert not Conversation.objects.exists()
    account.refresh_from_db()
    assert account.cursors == {"mentions": "702"}
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER refuse ON inbox_conversation")
    conversations_attach_orphans()
    assert sorted(Conversation.objects.values_list("thread_key", flat=True)) == ["701|42", "702|43"]
