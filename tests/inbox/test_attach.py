"""New mentions land in the right conversation."""

import datetime as dt

import pytest
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox.models import Conversation
from inbox.services import conversations_attach_mentions
from tests.factories import MentionFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db


def test_a_customer_message_opens_a_new_conversation():
    mention = MentionFactory(thread_key="t1", text="Is the app down?")
    conversations_attach_mentions(mention_ids=[mention.pk])
    conversation = Conversation.objects.get()
    assert (conversation.network, conversation.thread_key) == ("x", "t1")
    assert conversation.status == Conversation.Status.NEW
    assert conversation.customer == mention.author
    assert conversation.preview == "Is the app down?"
    assert AuditEvent.objects.filter(verb="conversation.open", object_id=str(conversation.pk)).exists()


def test_a_second_message_joins_the_same_conversation():
    first = MentionFactory(thread_key="t2")
    second = MentionFactory(thread_key="t2", author=first.author, text="Still waiting...")
    conversations_attach_mentions(mention_ids=[first.pk])
    conversations_attach_mentions(mention_ids=[second.pk])
    conversation = Conversation.objects.get()
    assert conversation.message_count == 2
    assert conversation.preview == "Still waiting..."


def test_a_new_customer_message_reopens_a_resolved_conversation():
    first = MentionFactory(thread_key="t3", created_at=timezone.now() - dt.timedelta(hours=2))
    conversations_attach_mentions(mention_ids=[first.pk])
    Conversation.objects.update(status=Conversation.Status.RESOLVED, resolved_at=timezone.now())
    again = MentionFactory(thread_key="t3", author=first.author)
    conversations_attach_mentions(mention_ids=[again.pk])
    conversation = Conversation.objects.get()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.resolved_at is None
    assert AuditEvent.objects.filter(verb="conversation.reopen").count() == 1


def test_our_own_posts_never_open_a_conversation():
    account = SocialAccountFactory()
    outbound = MentionFactory(account=account, thread_key="t4", direction="out")
    conversations_attach_mentions(mention_ids=[outbound.pk])
    assert not Conversation.objects.exists()


def test_a_post_by_the_banks_own_account_never_opens_a_conversation():
    account = SocialAccountFactory(external_id="777")
    own = MentionFactory(account=account, thread_key="t5", author__external_id="777", direction="in")
    conversations_attach_mentions(mention_ids=[own.pk])
    assert not Conversation.objects.exists()


def test_urgent_hints_raise_the_priority():
    mention = MentionFactory(thread_key="t6", priority_hint="urgent")
    conversations_attach_mentions(mention_ids=[mention.pk])
    assert Conversation.objects.get().priority == Conversation.Priority.URGENT
