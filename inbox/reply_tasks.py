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


# The hard time limit (90 s) is shorter than the send lease (120 s, reply_services.SEND_LEASE):
# a reply still "sending" after its lease belongs to a worker that is gone.
@shared_task(name="inbox.send_reply", bind=True, max_retries=None, soft_time_limit=60, time_limit=90)
def send_reply(self, reply_id: int) -> str:
    from inbox import reply_services

    try:
        return reply_services.reply_send(reply_id=reply_id)
    except reply_services.RetryLater as exc:
        # A rate limit is not a failure: the reply waits, queued, until the reset.
        raise self.retry(exc=exc, countdown=exc.countdown, max_retries=None) from exc
    except (reply_services.TransientSendError, OperationalError, InterfaceError) as exc:
        if self.request.retries >= MAX_RETRIES:
            reply_services.reply_give_up(reply_id=reply_id, reason=str(exc))
            return "failed"
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc


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
