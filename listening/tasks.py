"""Thin Celery tasks: ids in, one service call, retries only for transient errors."""

from __future__ import annotations

import random

from celery import shared_task
from django.db import InterfaceError, OperationalError

from listening import services

MAX_BACKOFF = 15 * 60


def backoff(retries: int, *, base: int = 10) -> int:
    """Exponential backoff with full jitter, capped (seconds)."""
    return random.randint(base, min(MAX_BACKOFF, base * 2 ** (retries + 1)))


@shared_task(name="listening.poll_account", bind=True, max_retries=6, soft_time_limit=120, time_limit=180)
def poll_account(self, account_id: int) -> str:
    try:
        outcome = services.account_poll(account_id=account_id)
    except (services.TransientPollError, OperationalError, InterfaceError) as exc:
        raise self.retry(exc=exc, countdown=backoff(self.request.retries)) from exc
    return outcome.status
