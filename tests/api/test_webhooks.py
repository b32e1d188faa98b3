"""Outgoing webhooks: the events reach the endpoints that want them, signed with HMAC-SHA256, and
a failing receiver is retried with backoff until it answers or the attempts run out (delivery log).
The receiving systems are stood in for by `responses` at the HTTP boundary."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import requests
import responses
from django.utils import timezone

from bankbuzz.api import webhooks
from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from escalations import services as escalation_services

pytestmark = pytest.mark.django_db

URL = "https://crm.bank.example/hooks/bankbuzz"
SECRET = "whsec_test-secret"


@pytest.fixture
def endpoint(db):
    return WebhookEndpoint.objects.create(
        name="CRM",
        url=URL,
        events=["escalation.opened", "escalation.answered", "conversation.created"],
        secret_encrypted=webhooks.encrypt_secret(SECRET),
    )


def deliver_all(now=None) -> list[int | None]:
    return [
        webhooks.webhook_deliver(delivery_id=pk, now=now)
        for pk in WebhookDelivery.objects.order_by("id").values_list("pk", flat=True)
    ]


def test_sign_and_verify():
    body = b'{"event":"x"}'
    header = webhooks.sign(SECRET, body, timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert webhooks.verify(SECRET, body, header, now=1_700_000_010)
    assert not webhooks.verify(SECRET, body + b" ", header, now=1_700_000_010)
    assert not webhooks.verify("whsec_other", body, header, now=1_700_000_010)
    assert not webhooks.verify(SECRET, body, header, now=1_700_000_000 + 3600)  # a replay, too old


@responses.activate
def test_escalation_opened_is_signed_and_delivered(world, endpoint, django_capture_on_commit_callbacks):
    responses.post(URL, status=204)
    with django_capture_on_commit_callbacks(execute=False):
        escalation = escalation_services.escalation_open(
            actor=world.agent, conversation=world.urgent, department=world.cards, question="Why declined?"
        )
    delivery = WebhookDelivery.objects.get(event="escalation.opened")
    assert delivery.payload["data"]["id"] == escalation.pk
    assert deliver_all()[-1] is None
    call = responses.calls[-1].request
    assert webhooks.verify(SECRET, call.body, call.headers["X-BankBuzz-Signature"])
    assert call.headers["X-BankBuzz-Event"] == "escalation.opened"
    assert call.headers["X-BankBuzz-Delivery"] == str(delivery.delivery_id)
    body = json.loads(call.body)
    assert body["data"] == {
        "id": escalation.pk,
        "state": "open",
        "department": world.cards.pk,
        "conversation": world.urgent.pk,
        "priority": world.urgent.priority,
        "url": f"/api/v1/escalations/{escalation.pk}/",
    }
    # No customer's words in a webhook: the receiver reads them through the API.
    assert "declined" not in call.body.decode()
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 1 and delivery.last_status == 204


@responses.activate
def test_a_receivers_answer_is_never_read(world, endpoint):
    # A receiver answering 200 with an endless body: the delivery is done without reading it.
    class Endless(io.RawIOBase):
        read_bytes = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            Endless.read_bytes += len(buffer)
            if Endless.read_bytes > 10_000_000:
                raise OSError("ten megabytes of answer read")
            buffer[:] = b"x" * len(buffer)
            return len(buffer)

    responses.post(URL, status=200, body=io.BufferedReader(Endless()), auto_calculate_content_length=False)
    webhooks.emit("escalation.answered", {"id": 1})
    assert deliver_all() == [None]
    assert WebhookDelivery.objects.get().state == "delivered"
    assert Endless.read_bytes == 0


@responses.activate
def test_failures_are_retried_with_backoff_then_delivered(world, endpoint):
    responses.post(URL, status=503)
    responses.post(URL, body=requests.ConnectionError("refused"))
    responses.post(URL, status=200)
    webhooks.emit("escalation.answered", {"id": 1})
    delivery = WebhookDelivery.objects.get()
    now = timezone.now()
    first = webhooks.webhook_deliver(delivery_id=delivery.pk, now=now)
    assert 30 <= first <= 36
    # Not due yet: a second worker (or a duplicate message) does nothing.
    assert webhooks.webhook_deliver(delivery_id=delivery.pk, now=now) is None
    assert len(responses.calls) == 1
    second = webhooks.webhook_deliver(delivery_id=delivery.pk, now=now + dt.timedelta(seconds=first))
    assert 60 <= second <= 72
    third = webhooks.webhook_deliver(delivery_id=delivery.pk, now=now + dt.timedelta(seconds=first + second))
    assert third is None
    delivery.refresh_from_db()
    assert delivery.state == "delivered" and delivery.attempts == 3
    assert [entry["status"] for entry in delivery.log] == [503, None, 200]
    assert "ConnectionError" in delivery.log[1]["error"]
    # Every attempt carried the same delivery id, so the receiver can ignore a repeat.
    assert len({c.request.headers["X-BankBuzz-Delivery"] for c in responses.calls}) == 1


@responses.activate
def test_gives_up_after_max_attempts_and_on_client_errors(world, endpoint):
    responses.post(URL, status=500)
    webhooks.emit("escalation.answered", {"id": 1})
    delivery = WebhookDelivery.objects.get()
    at = timezone.now()
    for _ in range(webhooks.MAX_ATTEMPTS):
        delay = webhooks.webhook_deliver(delivery_id=delivery.pk, now=at)
        at += dt.timedelta(seconds=delay or 0)
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.attempts == webhooks.MAX_ATTEMPTS
    assert webhooks.backoff(20) == webhooks.BACKOFF_MAX

    responses.replace(responses.POST, URL, status=410)
    webhooks.emit("escalation.answered", {"id": 2})
    gone = WebhookDelivery.objects.latest("id")
    assert webhooks.webhook_deliver(delivery_id=gone.pk) is None
    gone.refresh_from_db()
    assert gone.state == "failed" and gone.attempts == 1  # a 4xx is not worth repeating


def test_task_retries_with_the_countdown(world, endpoint, monkeypatch):
    from bankbuzz.api import tasks

    monkeypatch.setattr(webhooks, "webhook_deliver", lambda delivery_id: 42)
    retried = {}

    def fake_retry(countdown):
        retried["countdown"] = countdown
        return RuntimeError("retry")

    monkeypatch.setattr(tasks.deliver_webhook, "retry", fake_retry)
    with pytest.raises(RuntimeError):
        tasks.deliver_webhook.run(1)
    assert retried == {"countdown": 42}


def test_only_subscribed_active_endpoints_get_events(world, endpoint):
    WebhookEndpoint.objects.create(
        name="Off", url=URL, events=["escalation.opened"], is_active=False, secret_encrypted="x"
    )
    WebhookEndpoint.objects.create(name="Spikes only", url=URL, events=["spike.opened"], secret_encrypted="x")
    webhooks.emit("escalation.opened", {"id": 1})
    assert list(WebhookDelivery.objects.values_list("endpoint__name", flat=True)) == ["CRM"]
    with pytest.raises(ValueError):
        webhooks.emit("no.such.event", {})


def test_new_conversations_from_ingest_are_announced(world, endpoint):
    from listening.signals import mentions_received
    from tests.factories import MentionFactory

    mention = MentionFactory(text="Is the app down?", thread_key="t-new")
    WebhookDelivery.objects.all().delete()
    # The inbox attaches the mention, opens its conversation and tells the webhooks.
    mentions_received.send(sender=None, mention_ids=[mention.pk])
    delivery = WebhookDelivery.objects.get(event="conversation.created")
    conversation_id = delivery.payload["data"]["id"]
    assert delivery.payload["data"]["url"] == f"/api/v1/conversations/{conversation_id}/"


def test_sla_breach_and_answer_are_announced(world, endpoint):
    endpoint.events = [*endpoint.events, "escalation.sla_breach", "escalation.sla_warning"]
    endpoint.save()
    later = timezone.now() + dt.timedelta(days=30)
    escalation_services.escalations_check_slas(now=later)
    events = set(WebhookDelivery.objects.values_list("event", flat=True))
    assert "escalation.sla_breach" in events
    escalation_services.escalation_answer(actor=world.cards_expert, escalation=world.card_esc, answer="Done.")
    assert WebhookDelivery.objects.filter(event="escalation.answered").count() == 1
