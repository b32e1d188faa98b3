"""A page's webhook deliveries travel as one message: each receiver still gets every event once,
in order, and a receiver that is down is retried without being knocked on once per event.

The broker is stood in for at its boundary (the tasks' `apply_async`, recorded); the receiving
systems by `responses`.
"""

from __future__ import annotations

import json

import pytest
import responses

from bankbuzz.api import tasks, webhooks
from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from inbox import receivers
from inbox.events import touched_of
from inbox.models import Conversation
from inbox.services import conversations_attach_mentions
from tests.factories import MentionFactory, SocialAccountFactory

pytestmark = pytest.mark.django_db

CRM = "https://crm.bank.example/hook"
LAKE = "https://lake.bank.example/hook"
SECRET = "whsec_batch-secret"


@pytest.fixture
def queued(monkeypatch):
    """What would reach the broker: (task name, args, countdown) of each message."""
    messages: list[tuple[str, list, int]] = []
    for task in (tasks.deliver_webhook, tasks.deliver_webhooks):

        def record(args, countdown=0, _name=task.name, **kwargs):
            messages.append((_name, list(args), countdown))

        monkeypatch.setattr(task, "apply_async", record)
    return messages


def endpoint(name: str, url: str) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name=name, url=url, events=["conversation.created"], secret_encrypted=webhooks.encrypt_secret(SECRET)
    )


def announce_page(count: int, django_capture_on_commit_callbacks) -> list[int]:
    account = SocialAccountFactory()
    ids = [MentionFactory(account=account, thread_key=f"p{n}").pk for n in range(count)]
    conversations = conversations_attach_mentions(mention_ids=ids)
    with django_capture_on_commit_callbacks(execute=True):
        receivers.on_conversations_touched(
            None, touched=touched_of(mention_ids=ids, conversation_ids=sorted(set(conversations)))
        )
    return sorted(set(conversations))


def run_worker(messages: list[tuple[str, list, int]]) -> None:
    """A worker taking the queued messages in turn (countdowns elapsed)."""
    while messages:
        name, args, _countdown = messages.pop(0)
        task = tasks.deliver_webhooks if name == tasks.deliver_webhooks.name else tasks.deliver_webhook
        task.run(*args)


@responses.activate
def test_a_page_of_events_is_one_message_and_each_receiver_gets_each_event_once_in_order(
    queued, django_capture_on_commit_callbacks
):
    responses.post(CRM, status=204)
    responses.post(LAKE, status=200)
    endpoint("CRM", CRM)
    endpoint("Data lake", LAKE)
    conversations = announce_page(12, django_capture_on_commit_callbacks)
    assert [name for name, _, _ in queued] == ["api.deliver_webhooks"]
    assert len(queued[0][1][0]) == 24

    run_worker(queued)

    for url in (CRM, LAKE):
        calls = [call.request for call in responses.calls if call.request.url == url]
        announced = [json.loads(call.body)["data"]["id"] for call in calls]
        assert announced == conversations  # every new conversation, once each, in order
        assert all(webhooks.verify(SECRET, call.body, call.headers["X-BankBuzz-Signature"]) for call in calls)
        assert len({call.headers["X-BankBuzz-Delivery"] for call in calls}) == 12
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
    assert Conversation.objects.count() == 12


@responses.activate
def test_a_receiver_that_is_down_is_retried_once_for_the_batch_and_the_others_are_served(
    queued, django_capture_on_commit_callbacks
):
    responses.post(CRM, status=503)
    responses.post(LAKE, status=204)
    crm = endpoint("CRM", CRM)
    lake = endpoint("Data lake", LAKE)
    announce_page(5, django_capture_on_commit_callbacks)
    run_worker(queued[:1])
    del queued[:1]

    assert len([c for c in responses.calls if c.request.url == CRM]) == 1  # not once per event
    assert set(lake.deliveries.values_list("state", flat=True)) == {"delivered"}
    first, *waiting = crm.deliveries.order_by("id")
    assert first.state == "pending" and first.attempts == 1 and first.last_status == 503
    assert all(d.state == "pending" and d.attempts == 0 for d in waiting)
    # The failed one on its own with its backoff; the rest of that receiver's together, no sooner.
    delay = queued[0][2]
    assert delay >= webhooks.BACKOFF_BASE
    assert queued == [
        ("api.deliver_webhook", [first.pk], delay),
        ("api.deliver_webhooks", [[d.pk for d in waiting]], delay),
    ]


def test_a_page_larger_than_a_message_is_queued_in_several(
    queued, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(webhooks, "QUEUE_BATCH", 4)
    endpoint("CRM", CRM)
    announce_page(10, django_capture_on_commit_callbacks)
    batches = [args[0] for _, args, _ in queued]
    assert [len(batch) for batch in batches] == [4, 4, 2]
    assert sorted(pk for batch in batches for pk in batch) == sorted(
        WebhookDelivery.objects.values_list("pk", flat=True)
    )


@responses.activate
def test_a_batch_that_runs_long_hands_the_rest_on_in_order(
    queued, monkeypatch, django_capture_on_commit_callbacks
):
    responses.post(CRM, status=204)
    endpoint("CRM", CRM)
    monkeypatch.setattr(webhooks, "BATCH_SECONDS", 0)  # every delivery takes "too long"
    conversations = announce_page(3, django_capture_on_commit_callbacks)
    run_worker(queued)
    announced = [json.loads(call.request.body)["data"]["id"] for call in responses.calls]
    assert announced == conversations  # one per message, still each once and in order
    assert set(WebhookDelivery.objects.values_list("state", flat=True)) == {"delivered"}
