"""Conversations that really came from the sandbox, so replies go through the real client libraries."""

from __future__ import annotations

import contextlib

from inbox.models import Conversation
from listening.models import Mention
from listening.services import account_poll


def sandbox_conversation(sandbox, account, capture, *, network: str = "x", **post) -> Conversation:
    """Post as a customer in the sandbox, poll the bank's account, return the conversation."""
    posted = sandbox.post(network=network, **post)
    with capture(execute=True):
        outcome = account_poll(account_id=account.pk)
    assert outcome.status == "ok", outcome
    # The customer's conversation: the one their message joined.
    key = Mention.objects.values_list("thread_key", flat=True).get(network=network, external_id=posted["id"])
    return Conversation.objects.select_related("customer", "account").get(network=network, thread_key=key)


def send_replies_through(worker, monkeypatch) -> None:
    """Route `inbox.send_reply` (queued on commit by the services) to the test worker's queue."""
    from bankbuzz.celery import app

    task = app.tasks["inbox.send_reply"]
    monkeypatch.setattr(task, "queue", worker.queue, raising=False)
    monkeypatch.setattr(task, "_exec_options", None)  # Celery caches the options with the queue


def wait_for(predicate, *, seconds: float = 30, what: str = "condition"):
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def shoot(page, name: str) -> None:
    """A screenshot at the page's size: var/screenshots, or docs/screenshots with UPDATE_SCREENSHOTS=1.

    `caret="initial"`: Playwright's caret hiding injects an inline style, which the CSP refuses.
    """
    import os
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    folder = root / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "var") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(folder / f"{name}.png"), caret="initial")


@contextlib.contextmanager
def broker_unreachable():
    """Point this process's Celery producer at a closed port: publishing fails as in a broker outage.

    The real client library (kombu over redis-py) meets a refused connection; nothing of ours is
    replaced. The producer pools are rebuilt on the way in and out.
    """
    import socket

    from bankbuzz.celery import app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    real = app.conf.broker_url

    def reset_pools():
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.broker_url = f"redis://127.0.0.1:{closed_port}/0"
    reset_pools()
    try:
        yield
    finally:
        app.conf.broker_url = real
        reset_pools()


def queue_depth() -> int:
    """Messages waiting in this run's Celery queue (CELERY_QUEUE), read from Redis."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        return client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    finally:
        client.close()


def drain_queue() -> None:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.REDIS_URL)
    try:
        client.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    finally:
        client.close()
