"""The outbox's Celery tasks: ids in, one service call, retries only for transient errors.

Kept apart from `inbox/tasks.py` and imported by `InboxConfig.ready()`, so the worker
registers them wherever it starts.
"""

from __future__ import annotations

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError

MAX_RETRIES = 5
MAX_BACKOFF = 5 * 60


def backoff(retries: int, *, base: int = 5) -> int:
    """Celery's own exponential backoff with full jitter, capped, never under `base` seconds."""
    return max(base, get_exponential_backoff_interval(base, retries + 1, MAX_BACKOFF, full_jitter=True))


def send_with_retries(task, *, send, give_up, row_id: int) -> str:
    """Run an outbox's send in its bound task: wait out rate limits, retry transient errors.

    `send(row_id)` returns "sent", "failed" or "skipped"; after MAX_RETRIES transient errors
    `give_up(row_id, reason)` marks the row failed.
    """
    from inbox.replies.errors import RetryLater, TransientSendError

    try:
        return send(row_id)
    except RetryLater as exc:
        # A rate limit (or a scheduled time) is not a failure: the row waits, queued.
        raise task.retry(exc=exc, countdown=exc.countdown, max_retries=None) from exc
    except (TransientSendError, OperationalError, InterfaceError) as exc:
        if task.request.retries >= MAX_RETRIES:
            give_up(row_id, str(exc))
            return "failed"
        raise task.retry(exc=exc, countdown=backoff(task.request.retries)) from exc


# The hard time limit (90 s) is shorter than the send lease (120 s, inbox.replies.relay.Outbox):
# a reply still "sending" after its lease belongs to a worker that is gone.
@shared_task(name="inbox.send_reply", bind=True, max_retries=None, soft_time_limit=60, time_limit=90)
def send_reply(self, reply_id: int) -> str:
    from inbox.replies.outbox import REPLIES

    return send_with_retries(self, send=REPLIES.send, give_up=REPLIES.give_up, row_id=reply_id)


@shared_task(name="inbox.dispatch_replies", soft_time_limit=20, time_limit=30)
def dispatch_replies() -> int:
    """Beat, every few seconds: the outbox relay (queued replies no task carries yet)."""
    from inbox import reply_services

    return len(reply_services.replies_dispatch())


@shared_task(name="inbox.recover_replies", soft_time_limit=50, time_limit=60)
def recover_replies() -> int:
    """Beat, every minute: send again what a dead worker left "sending" past its lease."""
    from inbox import reply_services

    ids = reply_services.replies_recover()
    for reply_id in ids:
        send_reply.delay(reply_id)
    return len(ids)
