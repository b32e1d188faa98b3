"""A dead Redis loses no webhook: beat's relay queues again a delivery whose message never reached
the broker, and one left "sending" by a worker that died; a delivery being sent right now, or
waiting behind its receiver's retry, is left alone.

The broker is the real Redis of this run (a closed port while it is "down", as the outbox's tests
do); its messages are taken from Redis and run as a worker would. The receiving systems are stood
in for by `responses` at the HTTP boundary.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging

import pytest
import redis
import responses
from django.conf import settings
from django.db.models import F
from django.utils import timezone

from bankbuzz.api import tasks, webhooks
from bankbuzz.api.models import WebhookDelivery
from tests.api.test_webhooks_batch import CRM, LAKE, SECRET, announce_page, endpoint
from tests.inbox.replying import broker_unreachable, drain_queue, queue_depth

pytestmark = pytest.mark.django_db

TASKS = {task.name: task for task in (tasks.deliver_webhook, tasks.deliver_webhooks)}


@pytest.fixture(autouse=True)
def _empty_queue():
    drain_queue()
    yield
    drain_queue()


def run_queued() -> list[str]:
    """A worker: take this run's messages from Redis, oldest first, and run each; their task names."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    ran = []
    try:
        while raw := client.rpop(settings.CELERY_TASK_DEFAULT_QUEUE):
            message = json.loads(raw)
            args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            name = message["headers"]["task"]
            TASKS[name].run(*args, **kwargs)
            ran.append(name)
    finally:
        client.close()
    return ran


def delivered_ids(url: str) -> list[int]:
    return [json.loads(c.request.body)["data"]["id"] for c in responses.calls if c.request.url == url]


def states() -> set[str]:
    return set(WebhookDelivery.objects.values_list("state", flat=True))


@responses.activate
def test_a_page_written_while_the_broker_is_down_reaches_each_receiver_once_the_relay_runs(
    django_capture_on_commit_callbacks, caplog
):
    responses.post(CRM, status=204)
    responses.post(LAKE, status=204)
    endpoint("CRM", CRM)
    endpoint("Data lake", LAKE)
    with broker_unreachable(), caplog.at_level(logging.WARNING, logger="bankbuzz.api.webhooks"):
        conversations = announce_page(3, django_capture_on_commit_callbacks)  # ingest goes on
    assert queue_depth() == 0 and states() == {"pending"}
    assert "could not queue 6 webhook deliveries, the relay queues them again" in caplog.text
    assert SECRET not in caplog.text and "redis://" not in caplog.text

    # A message still on its way has RELAY_GRACE to arrive: the relay does not double it.
    assert webhooks.webhooks_relay() == []
    later = timezone.now() + webhooks.RELAY_GRACE
    assert sorted(webhooks.webhooks_relay(now=later)) == sorted(
        WebhookDelivery.objects.values_list("pk", flat=True)
    )
    assert queue_depth() == 1  # one message for the batch

    assert run_queued() == ["api.deliver_webhooks"]
    assert delivered_ids(CRM) == conversations and delivered_ids(LAKE) == conversations  # once, in order
    assert states() == {"delivered"}
    assert webhooks.webhooks_relay(now=later + webhooks.RELAY_GRACE) == []


@responses.activate
def test_a_delivery_whose_worker_died_is_sent_again_and_one_being_sent_is_left_alone():
    responses.post(CRM, status=204)
    endpoint("CRM", CRM)
    webhooks.emit("conversation.created", {"id": 1})
    webhooks.emit("conversation.created", {"id": 2})
    dead, busy = WebhookDelivery.objects.order_by("id")
    # Two workers took them, each under its lease; the first is killed mid-send.
    lease = timezone.now() + webhooks.LEASE
    WebhookDelivery.objects.update(state="sending", lease_until=lease)
    # Celery gives the killed worker's message to another at once (acks_late): the lease holds,
    # so it does nothing, and neither does the relay.
    tasks.deliver_webhooks.run([dead.pk])
    assert webhooks.webhooks_relay() == [] and len(responses.calls) == 0

    # The dead worker's lease runs out; the live one's does not.
    WebhookDelivery.objects.filter(pk=dead.pk).update(lease_until=timezone.now() - dt.timedelta(seconds=1))
    assert webhooks.webhooks_relay() == [dead.pk]
    run_queued()
    assert delivered_ids(CRM) == [1]
    dead.refresh_from_db()
    assert dead.state == "delivered" and dead.attempts == 2  # the lost attempt counts
    busy.refresh_from_db()
    assert busy.state == "sending"

    # A duplicate message for the one being sent does nothing either.
    tasks.deliver_webhooks.run([dead.pk, busy.pk])
    assert delivered_ids(CRM) == [1]


@responses.activate
def test_the_relay_does_not_send_a_receivers_waiting_events_ahead_of_its_retry(
    django_capture_on_commit_callbacks,
):
    responses.post(CRM, status=503)
    crm = endpoint("CRM", CRM)
    conversations = announce_page(3, django_capture_on_commit_callbacks)
    start = timezone.now()
    run_queued()  # the first fails; the other two wait with its retry
    assert delivered_ids(CRM) == conversations[:1]
    first, *waiting = crm.deliveries.order_by("id")
    assert all(d.next_attempt_at == waiting[0].next_attempt_at > start for d in waiting)

    # Those messages are lost with the broker: the relay does not knock on the receiver sooner.
    drain_queue()
    assert webhooks.webhooks_relay(now=start + webhooks.RELAY_GRACE) == []
    # Until their time has come and gone: then the failed one first, the others after it.
    responses.replace(responses.POST, CRM, status=204)
    waited = max(first.next_attempt_at, waiting[0].next_attempt_at) - start + webhooks.RELAY_GRACE
    WebhookDelivery.objects.update(next_attempt_at=F("next_attempt_at") - waited)
    assert webhooks.webhooks_relay() == [first.pk, *(d.pk for d in waiting)]
    run_queued()
    assert delivered_ids(CRM) == [conversations[0], *conversations]
    assert set(crm.deliveries.values_list("state", flat=True)) == {"delivered"}


def test_the_relay_with_the_broker_still_down_raises_nothing_and_loses_nothing(caplog):
    endpoint("CRM", CRM)
    webhooks.emit("conversation.created", {"id": 1})
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - webhooks.RELAY_GRACE)
    with broker_unreachable(), caplog.at_level(logging.WARNING, logger="bankbuzz.api.webhooks"):
        assert tasks.relay_webhooks.run() == 0
        assert tasks.relay_webhooks.run() == 0
    assert "could not queue 1 webhook deliveries" in caplog.text and "redis://" not in caplog.text
    assert states() == {"pending"} and queue_depth() == 0
    # The broker is back: the next run hands it over.
    assert tasks.relay_webhooks.run() == 1
    assert queue_depth() == 1


def test_beat_runs_the_relay_often_and_drops_a_run_that_waited_past_the_next():
    from bankbuzz.celery import app

    schedules = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    relay = schedules["api.relay_webhooks"]
    assert relay["schedule"] <= webhooks.RELAY_GRACE.total_seconds() / 2
    assert relay["options"]["expires"] <= relay["schedule"]
    assert "api.relay_webhooks" in app.tasks


def test_an_event_is_queued_at_once_after_redis_dropped_the_connection_kept_from_the_last(
    django_capture_on_commit_callbacks, caplog
):
    endpoint("CRM", CRM)
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.emit("conversation.created", {"id": 1})
    assert queue_depth() == 1
    # Redis drops the connection the last message went over (a restart, an idle timeout).
    kept, _reused = webhooks._broker(tasks.deliver_webhooks.app)
    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.client_kill_filter(_id=kept.default_channel.client.client_id())
    finally:
        client.close()
    with (
        caplog.at_level(logging.WARNING, logger="bankbuzz.api.webhooks"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        webhooks.emit("conversation.created", {"id": 2})
    assert "could not queue" not in caplog.text
    assert queue_depth() == 2
    assert states() == {"pending"}
