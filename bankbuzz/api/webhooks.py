"""Outgoing webhooks: `emit(event, payload)` from the services, signed POSTs with retries.

Any app may call `emit`; this module imports nothing above `bankbuzz` and knows no app's models:
the app that owns what happened builds the payload from its own and hands it over (the inbox's
receiver of `conversations_touched`, `inbox.receivers`, for `conversation.created`). The
deliveries are written in the caller's transaction, so an event exists exactly when what it
reports was committed, and they are queued after the commit, one Celery message for a batch
(a page's), which tries them in order; each failed one is retried on its own. The rows, not the
messages, are what is owed: beat's relay (`webhooks_relay`) queues again a delivery whose message
never reached the broker or was lost with it, and one left "sending" by a worker that died. A
message for a delivery that is sent, being sent or not due yet does nothing. A payload says
what happened and where to read more (ids and API paths); it never carries a customer's words
or personal data, which the receiver reads through the API with its own token and rights.

Signature: `X-BankBuzz-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
endpoint's secret. The receiver recomputes it, compares in constant time and refuses a `t` older
than a few minutes (replays). `X-BankBuzz-Delivery` is the same on every retry of one delivery.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import threading
import time
from typing import Any

import requests
from celery.utils.time import get_exponential_backoff_interval
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

# The events endpoints can subscribe to (the API's documented contract: names, not imports).
EVENTS = {
    "conversation.created": "A customer started a new conversation.",
    "escalation.opened": "A conversation was escalated to a department.",
    "escalation.answered": "A department's expert answered an escalation.",
    "escalation.sla_warning": "An escalation's SLA clock is about to run out.",
    "escalation.sla_breach": "An escalation's SLA clock ran out.",
    "spike.opened": "Listening found an unusual spike of mentions.",
    "complaint.opened": "A person confirmed a complaint (its clocks start from its receipt).",
    "complaint.due_soon": "A complaint's clock is about to run out or ran out (`level`: due_soon, breach).",
    "complaint.closed": "A complaint was closed with a summary resolution or a final response.",
    "incident.opened": "A lead opened an incident (an outage many customers write about).",
    "incident.resolved": "A lead resolved an incident; its follow-ups are on their way.",
}
MAX_ATTEMPTS = 8
BACKOFF_BASE = 30  # seconds: 30 s, 1 min, 2 min, 4 min, ... capped at BACKOFF_MAX, with jitter
BACKOFF_MAX = 60 * 60  # no longer than the broker's visibility timeout allows (bankbuzz/celery.py)
LEASE = dt.timedelta(seconds=60)  # longer than an attempt (TIMEOUT); past it, its worker died
TIMEOUT = 10
QUEUE_BATCH = 500  # deliveries per Celery message (a page's are usually far fewer)
BATCH_SECONDS = 60  # a batch task hands the rest on after this (Celery's soft limit is 120 s)
SIGNATURE_HEADER = "X-BankBuzz-Signature"
# Beat's relay (bankbuzz/celery.py runs it every WEBHOOK_RELAY_EVERY seconds): a due delivery's own
# message has had RELAY_GRACE to reach a worker; still pending after that, it has none (or a lost one).
RELAY_GRACE = dt.timedelta(seconds=60)
RELAY_LIMIT = 2000  # deliveries per relay run, QUEUE_BATCH a message; the next run takes the rest
# kombu's connection options for queueing: one connection attempt, not several seconds of retries
# (a page of ingest or beat's relay does not wait on a broker that is down; the relay tries again).
PUBLISH_ONCE = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


# --- Secrets --------------------------------------------------------------------------------


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.CREDENTIALS_KEYS])


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def encrypt_secret(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_of(endpoint: WebhookEndpoint) -> str:
    return _fernet().decrypt(endpoint.secret_encrypted.encode()).decode()


def sign(secret: str, body: bytes, *, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, body: bytes, header: str, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does (and our tests): check the signature and the age of the timestamp."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


# --- Emitting ---------------------------------------------------------------------------------


def emit(event: str, payload: dict) -> None:
    """Record `event` for every active endpoint that wants it; each is sent after the commit.

    Never raises into the caller's work: a webhook problem must not stop an escalation.
    """
    emit_many(event, [payload])


def subscribers(event: str) -> list[WebhookEndpoint]:
    """The active endpoints that receive `event` (one query): most installations have none, so a
    caller asks before it reads what a page of payloads needs, and hands them to `emit_many`."""
    return [e for e in WebhookEndpoint.objects.filter(is_active=True) if event in (e.events or [])]


def emit_many(event: str, payloads: list[dict], *, endpoints: list[WebhookEndpoint] | None = None) -> None:
    """`emit` of several events of one kind (a page of new conversations) in three statements,
    two when the caller read the `subscribers` of the event already (in its transaction)."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    if not payloads:
        return
    try:
        with transaction.atomic():
            if endpoints is None:
                endpoints = subscribers(event)
            if not endpoints:
                return
            created_at = timezone.now().isoformat()
            deliveries = WebhookDelivery.objects.bulk_create(
                [
                    WebhookDelivery(
                        endpoint=e,
                        event=event,
                        payload={"event": event, "created_at": created_at, "data": payload},
                    )
                    for payload in payloads
                    for e in endpoints
                ]
            )
    except Exception:
        logger.exception("could not record the webhook event %s", event)
        return
    ids = [d.pk for d in deliveries]
    transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(ids: list[int], countdown: int = 0) -> list[int]:
    """Queue the deliveries: one Celery message for each `QUEUE_BATCH` of them, in the order given
    (id order, or each receiver's in id order); the ids handed to the broker.

    A page's deliveries are one message, not one each (one broker round trip), over this
    thread's connection to the broker, kept from one page to the next (`_broker`). At least
    once: the deliveries are rows, committed before this runs. A broker that is down gets one
    quick try, not the client's retries over seconds (a kept connection that broke meanwhile,
    a broker restarted, is replaced once first); the error is logged and never raised into the
    caller (a page of ingest, a worker): what was not handed over stays pending for the relay.
    """
    from bankbuzz.api.tasks import deliver_webhooks

    handed: list[int] = []
    for attempt in (1, 2):
        broker, kept = _broker(deliver_webhooks.app)
        try:
            for start in range(len(handed), len(ids), QUEUE_BATCH):
                batch = ids[start : start + QUEUE_BATCH]
                deliver_webhooks.apply_async(
                    args=[batch], countdown=countdown, retry=False, connection=broker
                )
                handed.extend(batch)
            return handed
        except Exception as exc:  # the broker's client raises several kinds; all mean "not now"
            _broker_drop()
            if kept and attempt == 1:
                continue  # a connection kept from before: a new one may well get through
            logger.warning(
                "could not queue %d webhook deliveries, the relay queues them again: %s: %s",
                len(ids) - len(handed),
                type(exc).__name__,
                str(exc)[:200],
            )
            return handed
    return handed


# This thread's connection to the broker for the webhooks' messages: opening one for each page
# cost several Redis round trips and most of the CPU of queueing a page's deliveries.
_publisher = threading.local()


def _broker(app) -> tuple[Any, bool]:
    """(this thread's connection to `app`'s broker, whether it was kept from an earlier call)."""
    url = app.conf.broker_url
    held = getattr(_publisher, "held", None)
    if held is not None and held[0] == url:
        return held[1], True
    _broker_drop()  # none yet, or the broker's address changed
    connection = app.connection_for_write(transport_options=PUBLISH_ONCE)
    _publisher.held = (url, connection)
    return connection, False


def _broker_drop() -> None:
    held = getattr(_publisher, "held", None)
    _publisher.held = None
    if held is not None:
        with contextlib.suppress(Exception):
            held[1].release()


# A forked worker process opens its own: a socket shared with the parent would mix their traffic.
os.register_at_fork(after_in_child=lambda: setattr(_publisher, "held", None))


def webhooks_relay(*, now: dt.datetime | None = None) -> list[int]:
    """Beat's relay: queue the deliveries no message carries any more; the ids handed over.

    Those pending `RELAY_GRACE` past their time (the message written with them never reached the
    broker, or the broker lost it) and those "sending" past their lease (the worker died with
    them: Celery's redelivery came while the lease held and did nothing). At most `RELAY_LIMIT`
    a run, the longest waiting first, on the index of deliveries still to send. Each receiver's
    together and in id order, so a batch task sends them in the order they happened. A message
    that is still on its way as well does no harm: only one worker's claim takes a delivery.
    """
    now = now or timezone.now()
    State = WebhookDelivery.State
    stranded = Q(state=State.PENDING, next_attempt_at__lte=now - RELAY_GRACE) | Q(
        state=State.SENDING, lease_until__lt=now
    )
    due = (
        WebhookDelivery.objects.filter(
            stranded, state__in=[State.PENDING, State.SENDING], next_attempt_at__lte=now
        )
        .order_by("next_attempt_at", "id")
        .values_list("endpoint_id", "id")[:RELAY_LIMIT]
    )
    return _enqueue([pk for _endpoint, pk in sorted(due)])


# --- Delivering -------------------------------------------------------------------------------


def backoff(attempt: int) -> int:
    """Seconds before attempt `attempt + 1`: exponential, capped, with up to 20% jitter."""
    delay = get_exponential_backoff_interval(BACKOFF_BASE, attempt - 1, BACKOFF_MAX, full_jitter=False)
    return min(int(delay * (1 + random.random() * 0.2)), BACKOFF_MAX)


def _claim(pk: int, now: dt.datetime) -> bool:
    """Take the delivery for one attempt (a conditional UPDATE: two workers never send it twice at once).

    A delivery left "sending" by a worker that died is taken again once its lease has run out,
    and the lost attempt counts: one that kills its worker each time runs out of attempts.
    """
    State = WebhookDelivery.State
    due = WebhookDelivery.objects.filter(pk=pk, next_attempt_at__lte=now)
    if due.filter(state=State.PENDING).update(state=State.SENDING, lease_until=now + LEASE):
        return True
    return bool(
        due.filter(state=State.SENDING, lease_until__lt=now).update(
            attempts=F("attempts") + 1, lease_until=now + LEASE
        )
    )


def _transient(status: int | None) -> bool:
    # No answer, a server error, a timeout or a throttle is worth another try; other 4xx are not.
    return status is None or status >= 500 or status in (408, 409, 425, 429)


def webhook_deliver(*, delivery_id: int, now: dt.datetime | None = None) -> int | None:
    """One attempt. Returns the seconds until the next attempt, or None when there is none."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    status, error = None, ""
    started = time.monotonic()
    if not endpoint.is_active:
        error = "endpoint switched off"
        status = 0
    else:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "BankBuzz-Webhooks/1",
            "X-BankBuzz-Event": delivery.event,
            "X-BankBuzz-Delivery": str(delivery.delivery_id),
            SIGNATURE_HEADER: sign(secret_of(endpoint), body, timestamp=int(time.time())),
        }
        try:
            # The status is all we need: the body is never read, so a receiver answering with a
            # huge (or endless) one costs a worker nothing.
            with requests.post(
                endpoint.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False, stream=True
            ) as response:
                status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}"
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {str(exc)[:200]}"
    ms = int((time.monotonic() - started) * 1000)
    attempts = delivery.attempts + 1
    entry = {"at": now.isoformat(), "status": status, "error": error, "ms": ms}
    fields = {
        "attempts": attempts,
        "log": [*delivery.log, entry][-MAX_ATTEMPTS:],
        "last_status": status or None,
        "lease_until": None,
    }
    delay = None
    if not error:
        fields.update(state=WebhookDelivery.State.DELIVERED, delivered_at=timezone.now())
    elif status != 0 and _transient(status) and attempts < MAX_ATTEMPTS:
        delay = backoff(attempts)
        fields.update(state=WebhookDelivery.State.PENDING, next_attempt_at=now + dt.timedelta(seconds=delay))
    else:
        fields.update(state=WebhookDelivery.State.FAILED)
        logger.warning("webhook delivery %s to %s failed for good: %s", delivery.pk, endpoint.pk, error)
    WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.SENDING).update(**fields)
    return delay


def webhooks_deliver(*, delivery_ids: list[int]) -> None:
    """One attempt of each delivery of a batch, in id order (each receiver gets its events in the
    order they happened); a failed one is retried on its own with its backoff.

    When an endpoint fails, its later deliveries of the batch are not tried now (a receiver
    that is down is not knocked on once per event): they are queued together for when its
    failed delivery is tried again, without spending an attempt. After `BATCH_SECONDS` the
    rest of the batch goes back to the queue as a message of its own, so a slow receiver
    cannot keep the task past Celery's time limits.
    """
    endpoints = dict(WebhookDelivery.objects.filter(pk__in=delivery_ids).values_list("pk", "endpoint_id"))
    held: dict[int, tuple[int, list[int]]] = {}  # endpoint -> (its retry's countdown, deliveries waiting)
    started = time.monotonic()
    for index, pk in enumerate(delivery_ids):
        endpoint = endpoints.get(pk)
        if endpoint is None:
            continue  # deleted meanwhile (its endpoint was removed)
        if endpoint in held:
            held[endpoint][1].append(pk)
            continue
        if index and time.monotonic() - started > BATCH_SECONDS:
            _enqueue_rest(delivery_ids[index:], endpoints, held)
            break
        try:
            delay = webhook_deliver(delivery_id=pk)
        except Exception:
            # A database error on one must not strand the others: retried on its own.
            logger.exception("webhook delivery %s could not be attempted", pk)
            delay = int(LEASE.total_seconds()) + BACKOFF_BASE  # after its lease, if it was taken
        if delay is not None:
            _enqueue_one(pk, countdown=delay)
            held[endpoint] = (delay, [])
    for delay, waiting in held.values():
        if waiting:
            _hold(waiting, delay)


def _hold(waiting: list[int], delay: int) -> None:
    """A receiver's deliveries queued behind its failed one: due with its retry, not sooner, in the
    rows as in the message (the relay does not send them ahead of it)."""
    until = timezone.now() + dt.timedelta(seconds=delay)
    WebhookDelivery.objects.filter(
        pk__in=waiting, state=WebhookDelivery.State.PENDING, next_attempt_at__lt=until
    ).update(next_attempt_at=until)
    _enqueue(waiting, countdown=delay)


def _enqueue_rest(rest: list[int], endpoints: dict[int, int], held: dict[int, tuple[int, list[int]]]) -> None:
    """The untried part of a batch: a held endpoint's deliveries wait with it, the others go now."""
    now = []
    for pk in rest:
        endpoint = endpoints.get(pk)
        if endpoint in held:
            held[endpoint][1].append(pk)
        elif endpoint is not None:
            now.append(pk)
    _enqueue(now)


def _enqueue_one(pk: int, *, countdown: int) -> None:
    from bankbuzz.api.tasks import deliver_webhook

    try:
        deliver_webhook.apply_async(args=[pk], countdown=countdown)
    except Exception:
        logger.exception("could not queue webhook delivery %s", pk)


def webhook_redeliver(*, delivery: WebhookDelivery) -> None:
    """An administrator sends a failed delivery again (from the admin's delivery log)."""
    WebhookDelivery.objects.filter(pk=delivery.pk, state=WebhookDelivery.State.FAILED).update(
        state=WebhookDelivery.State.PENDING, attempts=0, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: _enqueue([delivery.pk]))
