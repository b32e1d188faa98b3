"""A page of new conversations is announced to the webhooks in a few statements, whatever its size."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bankbuzz.api import webhooks
from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from inbox import receivers
from inbox.events import touched_of
from inbox.models import Conversation
from inbox.services import conversations_attach_mentions
from listening.models import Mention
from tests.factories import MentionFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db


def new_page(count: int, *, prefix: str) -> list[int]:
    account = SocialAccountFactory()
    ids = [MentionFactory(account=account, thread_key=f"{prefix}{n}").pk for n in range(count)]
    conversations_attach_mentions(mention_ids=ids)
    return ids


def touched(ids: list[int]):
    conversations = Conversation.objects.filter(
        thread_key__in=Mention.objects.filter(pk__in=ids).values("thread_key")
    ).values_list("pk", flat=True)
    return touched_of(mention_ids=ids, conversation_ids=list(conversations))


def announce(ids: list[int]) -> int:
    news = touched(ids)
    with CaptureQueriesContext(connection) as queries:
        receivers.on_conversations_touched(None, touched=news)
    return len(queries)


def test_each_new_conversation_of_a_page_is_announced_to_each_endpoint_in_few_statements():
    for name in ("CRM", "Data lake"):
        WebhookEndpoint.objects.create(
            name=name,
            url="https://crm.bank.example/hook",
            events=["conversation.created"],
            secret_encrypted="x",
        )
    small = announce(new_page(2, prefix="s"))
    large = announce(new_page(12, prefix="l"))
    assert small == large <= 5  # the endpoints read once: by the receiver, not again to write
    deliveries = WebhookDelivery.objects.filter(event="conversation.created")
    assert deliveries.count() == 2 * 14
    announced = {d.payload["data"]["id"] for d in deliveries}
    assert announced == set(Conversation.objects.values_list("pk", flat=True))
    for delivery in deliveries:
        data = delivery.payload["data"]
        assert delivery.payload["event"] == "conversation.created"
        assert data["url"] == f"/api/v1/conversations/{data['id']}/"
        assert data["status"] == "new"


def test_a_page_larger_than_one_batch_announces_every_new_conversation(monkeypatch):
    WebhookEndpoint.objects.create(
        name="CRM", url="https://crm.bank.example/hook", events=["conversation.created"], secret_encrypted="x"
    )
    monkeypatch.setattr(receivers, "ANNOUNCE_BATCH", 5)
    announce(new_page(12, prefix="b"))
    deliveries = WebhookDelivery.objects.filter(event="conversation.created")
    announced = [delivery.payload["data"]["id"] for delivery in deliveries]
    assert sorted(announced) == sorted(Conversation.objects.values_list("pk", flat=True))
    assert len(announced) == 12


def test_without_an_endpoint_for_it_a_page_costs_one_query():
    WebhookEndpoint.objects.create(
        name="Escalations only", url="https://x.example/", events=["escalation.opened"], secret_encrypted="x"
    )
    assert announce(new_page(5, prefix="n")) == 1
    assert not WebhookDelivery.objects.exists()


def test_a_follow_up_is_not_announced_as_a_new_conversation():
    WebhookEndpoint.objects.create(
        name="CRM", url="https://crm.bank.example/hook", events=["conversation.created"], secret_encrypted="x"
    )
    first = MentionFactory(thread_key="f1")
    conversations_attach_mentions(mention_ids=[first.pk])
    again = MentionFactory(thread_key="f1", author=first.author, account=first.account)
    conversations_attach_mentions(mention_ids=[again.pk])
    receivers.on_conversations_touched(None, touched=touched([again.pk]))
    assert not WebhookDelivery.objects.exists()
    webhooks.emit_many("conversation.created", [])
    assert not WebhookDelivery.objects.exists()
