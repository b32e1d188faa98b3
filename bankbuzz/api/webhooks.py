"""Outgoing webhooks: `emit(event, payload)` from the services, signed POSTs with retries.

Any app may call `emit`; this module imports nothing above `bankbuzz` and knows no app's models:
the app that owns what happened builds the payload from its own and hands it over (the inbox's
receiver of `conversations_touched`, `inbox.receivers`, for `conversation.created`). The
deliveries are written in the caller's transaction, so an event exists exactly when what it
reports was committed, and they are queued after the commit, one Celery message for a batch
(a page's), which tries them in order; each failed one is retried on its own. A payload says
what happened and where to read more (ids and API paths); it never carries a customer's words
or personal data, which the receiver reads through the API with its own token and rights.

Signature: `X-BankBuzz-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with the
endpoint's secret. The receiver recomputes it, compares in constant time and refuses a `t` older
than a few minutes (replays). `X-BankBuzz-Delivery` is the same on every retry of one delivery.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import random
import secrets
import time

import requests
from celery.utils.time import get_exponential_backoff_interval
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import Q
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
LEASE = dt.timedelta(seconds=60)
TIMEOUT = 10
QUEUE_BATCH = 500  # deliveries per Celery message (a page's are usually far fewer)
BATCH_SECONDS = 60  # a batch task hands the rest on after this (Celery's soft limit is 120 s)
SIGNATURE_HEADER = "X-BankBuzz-Signature"


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


def wanted(event: str) -> bool:
    """Whether any active endpoint receives `event` (one query): most installations have none, so
    a caller asks before it reads what a page of payloads needs."""
    return any(
        event in (events or [])
        for events in WebhookEndpoint.objects.filter(is_active=True).values_list("events", flat=True)
    )


def emit_many(event: str, payloads: list[dict]) -> None:
    """`emit` of several events of one kind (a page of new conversations) in three statements."""
    if event not in EVENTS:
        raise ValueError(f"unknown webhook event {event!r}")
    if not payloads:
        return
    try:
        with transaction.atomic():
            endpoints = [
                e for e in WebhookEndpoint.objects.filter(is_active=True) if event in (e.events or [])
            ]
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


def _enqueue(ids: list[int], countdown: int = 0) -> None:
    """Queue the deliveries: one Celery message for each `QUEUE_BATCH` of them, sent in id order.

    A page's deliveries are one message, not one each (one broker round trip). At least once:
    the deliveries are rows, committed before this runs; a delivery whose message is lost stays
    pending in the delivery log, where the admin's *Send again* or an operator finds it.
    """
    from bankbuzz.api.tasks import deliver_webhooks

    for start in range(0, len(ids), QUEUE_BATCH):
        batch = ids[start : start + QUEUE_BATCH]
        try:
            deliver_webhooks.apply_async(args=[batch], countdown=countdown)
        except Exception:
            logger.exception("could not queue webhook deliveries %s", batch[:20])


# --- Delivering -------------------------------------------------------------------------------


def backoff(attempt: int) -> int:
    """Seconds before attempt `attempt + 1`: exponential, capped, with up to 20% jitter."""
    delay = get_exponential_backoff_interval(BACKOFF_BASE, attempt - 1, BACKOFF_MAX, full_jitter=False)
    return min(int(delay * (1 + random.random() * 0.2)), BACKOFF_MAX)


def _claim(pk: int, now: dt.datetime) -> bool:
    """Take the delivery for one attempt (a conditional UPDATE: two workers never send it twice at once).

    A delivery left "sending" by a worker that died is taken again once its lease has run out.
    """
    lapsed = Q(state=WebhookDelivery.State.SENDING, lease_until__lt=now)
    return bool(
        WebhookDelivery.objects.filter(
            Q(state=WebhookDelivery.State.PENDING) | lapsed, pk=pk, next_attempt_at__lte=now
        ).update(state=WebhookDelivery.State.SENDING, lease_until=now + LEASE)
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
            response = requests.post(
                endpoint.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False
            )
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
