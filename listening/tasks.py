"""Thin Celery tasks: ids in, one service call, retries only for transient errors."""

from __future__ import annotations

import datetime as dt
import math

from celery import shared_task
from celery.exceptions import Ignore
from celery.utils.time import get_exponential_backoff_interval
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from listening import services

MAX_BACKOFF = 15 * 60


def backoff(retries: int, *, base: int = 10) -> int:
    """Celery's own exponential backoff with full jitter, capped, never under `base` seconds."""
    return max(base, get_exponential_backoff_interval(base, retries + 1, MAX_BACKOFF, full_jitter=True))


@shared_task(name="listening.poll_account", bind=True, max_retries=6, soft_time_limit=120, time_limit=180)
def poll_account(self, account_id: int, held_lease: str | None = None, after_skip: bool = False) -> str:
    """`held_lease` (ISO time): set by a retry after the database went away mid-poll, see
    `services.PollDatabaseError`; beat never passes it. `after_skip`: this is the one retry of
    a poll that found another poll's lease (see `_after_skip`)."""
    try:
        outcome = services.account_poll(
            account_id=account_id, held_lease=dt.datetime.fromisoformat(held_lease) if held_lease else None
        )
    except services.PollDatabaseError as exc:
        kwargs = {"held_lease": exc.lease_until.isoformat()} if exc.lease_until else {}
        raise self.retry(exc=exc, countdown=backoff(self.request.retries), kwargs=kwargs) from exc
    except (services.TransientPollError, OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    if outcome.status == "skipped":
        _after_skip(self, account_id, retried=after_skip)
    return outcome.status


def _after_skip(task, account_id: int, *, retried: bool) -> None:
    """A skipped poll is not a success (Celery logs it "ignored", the service logged why).

    When the account is held by a lease, try once more just after that lease ends: if its
    holder died, the account is polled a lease's length after the death, not an interval later.
    """
    from listening.models import SocialAccount

    lease_until = (
        SocialAccount.objects.filter(pk=account_id, is_active=True)
        .values_list("poll_lease_until", flat=True)
        .first()
    )
    if lease_until and not retried and task.request.retries < task.max_retries:
        wait = max(1, math.ceil((lease_until - timezone.now()).total_seconds()) + 1)
        raise task.retry(countdown=wait, kwargs={"after_skip": True})
    raise Ignore()


@shared_task(name="listening.run_query", bind=True, max_retries=4, soft_time_limit=120, time_limit=180)
def run_query(self, query_id: int) -> str:
    from listening.query import services as query_services

    try:
        outcome = query_services.query_run(query_id=query_id)
    except (query_services.TransientRunError, OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    return outcome.status


@shared_task(name="listening.detect_spikes", soft_time_limit=50, time_limit=60)
def detect_spikes() -> int:
    from listening import spikes

    return len(spikes.spikes_detect().spiking)


@shared_task(name="listening.fetch_avatars", soft_time_limit=55, time_limit=60)
def fetch_avatars() -> int:
    """Customers' avatars into our database, so staff browsers load them from us (beat, every minute)."""
    from listening.avatars import avatars_fetch_due

    return avatars_fetch_due()
