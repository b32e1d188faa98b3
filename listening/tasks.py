"""Thin Celery tasks: ids in, one service call, retries only for transient errors."""

from __future__ import annotations

import datetime as dt
import random

from celery import shared_task
from django.db import InterfaceError, OperationalError

from listening import services

MAX_BACKOFF = 15 * 60


def backoff(retries: int, *, base: int = 10) -> int:
    """Exponential backoff with full jitter, capped (seconds)."""
    return random.randint(base, min(MAX_BACKOFF, base * 2 ** (retries + 1)))


@shared_task(name="listening.poll_account", bind=True, max_retries=6, soft_time_limit=120, time_limit=180)
def poll_account(self, account_id: int, held_lease: str | None = None) -> str:
    """`held_lease` (ISO time): set by a retry after the database went away mid-poll, see
    `services.PollDatabaseError`; beat never passes it."""
    try:
        outcome = services.account_poll(
            account_id=account_id, held_lease=dt.datetime.fromisoformat(held_lease) if held_lease else None
        )
    except services.PollDatabaseError as exc:
        kwargs = {"held_lease": exc.lease_until.isoformat()} if exc.lease_until else {}
        raise self.retry(exc=exc, countdown=backoff(self.request.retries), kwargs=kwargs) from exc
    except (services.TransientPollError, OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    return outcome.status


@shared_task(name="listening.run_query", bind=True, max_retries=4, soft_time_limit=120, time_limit=180)
def run_query(self, query_id: int) -> str:
    from listening import query_services

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
