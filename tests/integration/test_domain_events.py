"""New mentions travel as two signals: listening's `mentions_received`, then the inbox's
`conversations_touched`, whose receivers (routing rules, kudos, webhooks) run after the attach,
each on its own, whatever the order they were connected in (the order of INSTALLED_APPS)."""

from __future__ import annotations

import contextlib
import dataclasses
import logging

import pytest

from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from escalations import services as escalation_services
from escalations.models import Escalation
from inbox import tasks
from inbox.events import conversations_touched
from inbox.models import Conversation, TouchedRetry
from listening.connectors.base import DIRECTION_OUT, FetchResult
from listening.services import mentions_ingest
from listening.signals import mentions_received
from tests.factories import SocialAccountFactory, fetched_item

pytestmark = pytest.mark.django_db

STOLEN = "@northbridgebank my card was stolen last night, please block it"


@pytest.fixture
def account():
    return SocialAccountFactory(external_id="1585092736154238977", handle="northbridgebank")


@pytest.fixture
def routing(db):
    department = escalation_services.department_save(actor=None, fields={"name": "Card security"})
    return escalation_services.routing_rule_save(
        actor=None,
        fields={
            "name": "Stolen cards",
            "phrases": "card was stolen",
            "department": department,
            "auto_escalate": True,
        },
    )


@pytest.fixture
def endpoint(db):
    return WebhookEndpoint.objects.create(
        name="CRM",
        url="https://crm.bank.example/hook",
        events=["conversation.created", "escalation.opened"],
        secret_encrypted="x",
    )


def ingest_page(account, prefix: str, capture) -> None:
    """Three customers write (one reports a stolen card), one writes again, the bank replies."""
    items = [
        fetched_item(f"{prefix}1", text=STOLEN, author_id=f"{prefix}a", handle="ann"),
        fetched_item(f"{prefix}2", text="What are your opening hours?", author_id=f"{prefix}b", handle="bo"),
        fetched_item(f"{prefix}3", text="Is the app down?", author_id=f"{prefix}c", handle="cy"),
        fetched_item(
            f"{prefix}4", text="Still down", author_id=f"{prefix}c", handle="cy", thread_key=f"{prefix}3"
        ),
        dataclasses.replace(
            fetched_item(
                f"{prefix}5",
                text="@cy we are on it",
                author_id=account.external_id,
                handle="northbridgebank",
                thread_key=f"{prefix}3",
                direction=DIRECTION_OUT,
            ),
            in_reply_to=f"{prefix}4",
        ),
    ]
    with capture(execute=True):
        mentions_ingest(account=account, result=FetchResult(items=items))


def thread(conversation: Conversation, prefix: str) -> str:
    """The network's thread of a conversation, without the page's prefix ("1", "2", "3")."""
    return conversation.thread_key.split("|")[0].removeprefix(prefix)


def outcome(prefix: str) -> dict:
    conversations = Conversation.objects.filter(thread_key__startswith=prefix)
    return {
        "conversations": sorted((thread(c, prefix), c.status, c.message_count) for c in conversations),
        "escalated": sorted(
            thread(e.conversation, prefix) for e in Escalation.objects.filter(conversation__in=conversations)
        ),
        "webhooks": sorted(
            (d.event, d.payload["data"].get("conversation") or d.payload["data"]["id"])
            for d in WebhookDelivery.objects.filter(payload__data__isnull=False)
            if (d.payload["data"].get("conversation") or d.payload["data"]["id"])
            in {c.pk for c in conversations}
        ),
    }


def shape(result: dict, prefix: str) -> dict:
    """The outcome with conversation ids replaced by their thread (ids differ between runs)."""
    threads = {c.pk: thread(c, prefix) for c in Conversation.objects.filter(thread_key__startswith=prefix)}
    return {**result, "webhooks": sorted((event, threads[pk]) for event, pk in result["webhooks"])}


@contextlib.contextmanager
def receivers_in(signal, order):
    """Call the signal's receivers in another order, as connecting them in another order would."""
    saved = list(signal.receivers)
    with signal.lock:
        signal.receivers = order(saved)
        signal.sender_receivers_cache.clear()
    try:
        yield
    finally:
        with signal.lock:
            signal.receivers = saved
            signal.sender_receivers_cache.clear()


def test_the_order_receivers_are_connected_in_does_not_change_the_outcome(
    account, routing, endpoint, django_capture_on_commit_callbacks
):
    ingest_page(account, "a", django_capture_on_commit_callbacks)
    as_installed = shape(outcome("a"), "a")
    reverse = lambda receivers: list(reversed(receivers))  # noqa: E731
    with receivers_in(mentions_received, reverse), receivers_in(conversations_touched, reverse):
        ingest_page(account, "b", django_capture_on_commit_callbacks)
    reversed_order = shape(outcome("b"), "b")

    assert as_installed == reversed_order
    # What a person sees: two new conversations and one with the customer's follow-up and our
    # reply; the stolen card escalated by its rule; the CRM told of each new conversation and
    # of the escalation.
    assert as_installed["conversations"] == [
        ("1", Conversation.Status.WAITING_EXPERT, 1),
        ("2", Conversation.Status.NEW, 1),
        ("3", Conversation.Status.NEW, 3),
    ]
    assert as_installed["escalated"] == ["1"]
    assert as_installed["webhooks"] == [
        ("conversation.created", "1"),
        ("conversation.created", "2"),
        ("conversation.created", "3"),
        ("escalation.opened", "1"),
    ]


def test_a_receiver_that_fails_does_not_stop_the_others_and_the_sweep_calls_it_again(
    account, routing, endpoint, django_capture_on_commit_callbacks, caplog
):
    calls = []
    crm = {"down": True}

    def crm_sync(sender, touched, **kwargs):
        # A write before the failure is rolled back with it.
        Conversation.objects.filter(pk__in=touched.conversation_ids).update(preview="half done")
        if crm["down"]:
            raise RuntimeError("the CRM is down")
        calls.append(touched.conversation_ids)

    conversations_touched.connect(crm_sync, dispatch_uid="test.crm_sync")
    first = lambda receivers: receivers[-1:] + receivers[:-1]  # noqa: E731 - it runs before the others
    try:
        with (
            receivers_in(conversations_touched, first),
            caplog.at_level(logging.ERROR, logger="inbox.events"),
        ):
            ingest_page(account, "f", django_capture_on_commit_callbacks)
        # The others ran: the conversations, the escalation and the webhooks are there.
        assert shape(outcome("f"), "f")["escalated"] == ["1"]
        assert len(shape(outcome("f"), "f")["webhooks"]) == 4
        assert not Conversation.objects.filter(preview="half done").exists()
        assert "conversations_touched failed" in caplog.text and "the CRM is down" in caplog.text
        retry = TouchedRetry.objects.get()
        assert retry.receiver.endswith("crm_sync") and "RuntimeError" in retry.last_error

        # The CRM is back: the orphan sweep (beat, every minute) calls it again with the same
        # news, once.
        crm["down"] = False
        tasks.attach_orphans()
        tasks.attach_orphans()
    finally:
        conversations_touched.disconnect(dispatch_uid="test.crm_sync")
    assert len(calls) == 1
    assert sorted(calls[0]) == sorted(
        Conversation.objects.filter(thread_key__startswith="f").values_list("pk", flat=True)
    )
    assert not TouchedRetry.objects.exists()
    assert Conversation.objects.filter(preview="half done").count() == 3
    # Nothing was done twice by the receivers that had succeeded.
    assert Escalation.objects.count() == 1
    assert WebhookDelivery.objects.count() == 4


def test_a_receiver_that_keeps_failing_is_given_up_after_its_attempts(
    account, django_capture_on_commit_callbacks, caplog
):
    from inbox import events

    def broken(sender, touched, **kwargs):
        raise ValueError("never works")

    conversations_touched.connect(broken, dispatch_uid="test.broken")
    try:
        ingest_page(account, "g", django_capture_on_commit_callbacks)
        with caplog.at_level(logging.ERROR, logger="inbox.events"):
            for _ in range(events.MAX_ATTEMPTS + 2):
                TouchedRetry.objects.update(next_attempt_at=TouchedRetry.objects.get().created_at)
                events.touched_retries_run()
                if not TouchedRetry.objects.exists():
                    break
    finally:
        conversations_touched.disconnect(dispatch_uid="test.broken")
    assert not TouchedRetry.objects.exists()
    assert f"failed {events.MAX_ATTEMPTS} times" in caplog.text
    # The inbox itself is untouched by the broken receiver.
    assert Conversation.objects.filter(thread_key__startswith="g").count() == 3
