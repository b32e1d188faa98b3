"""Webhooks on the real stack: a Celery worker over Redis and PostgreSQL, and a receiver over HTTP.

A delivery written while the broker was unreachable reaches its receiver, once and signed, when
beat's relay runs on the worker after the broker is back.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bankbuzz.api import webhooks
from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from bankbuzz.api.tasks import relay_webhooks
from tests.inbox.replying import broker_unreachable, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

SECRET = "whsec_relay-secret"


@pytest.fixture
def receiver():
    """A receiving system on a local port: what it was sent, (headers, body) per POST."""
    received: list[tuple[dict, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.received = received
    server.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield server
    server.shutdown()
    server.server_close()


def runs(worker, task: str, count: int) -> list[str]:
    """The worker's lines for `task` that finished, once there are `count` of them."""
    lines = [line for line in worker.log().splitlines() if f"Task {task}[" in line and " succeeded " in line]
    return lines if len(lines) >= count else []


def test_a_delivery_written_while_the_broker_was_down_reaches_the_receiver_once_it_is_back(
    celery_worker, receiver
):
    WebhookEndpoint.objects.create(
        name="CRM",
        url=receiver.url,
        events=["escalation.opened"],
        secret_encrypted=webhooks.encrypt_secret(SECRET),
    )
    with broker_unreachable():
        webhooks.emit("escalation.opened", {"id": 41, "url": "/api/v1/escalations/41/"})  # raises nothing
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "pending"
    # The outage lasted over a minute: no message is on its way any more.
    WebhookDelivery.objects.update(next_attempt_at=delivery.next_attempt_at - timedelta(minutes=2))

    # Beat's relay runs on the worker once the broker is back (twice: the second finds nothing to do).
    for _ in range(2):
        relay_webhooks.apply_async(queue=celery_worker.queue)
    wait_for(
        lambda: WebhookDelivery.objects.filter(pk=delivery.pk, state="delivered").exists(),
        seconds=60,
        what=f"the worker to deliver the webhook\n{celery_worker.log()[-3000:]}",
    )
    log = wait_for(lambda: runs(celery_worker, "api.relay_webhooks", 2), what="both relay runs")
    # The second run may have come before the first one's message was taken: a second message
    # for the delivery, which sends nothing.
    messages = sum(line.endswith(": 1") for line in log)
    wait_for(lambda: runs(celery_worker, "api.deliver_webhooks", messages), what="every message")
    [(headers, body)] = receiver.received
    assert json.loads(body)["data"] == {"id": 41, "url": "/api/v1/escalations/41/"}
    assert headers["X-BankBuzz-Delivery"] == str(delivery.delivery_id)
    assert webhooks.verify(SECRET, body, headers[webhooks.SIGNATURE_HEADER])
