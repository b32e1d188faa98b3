"""The poll lease: one poll of an account at a time, and never a lease that outlives its poll.

A poll takes a short lease (`POLL_LEASE_SECONDS`, 30 s by default) and a thread of the poll
renews it every third of that while the poll runs. So:

- a poll that works for minutes (a long backlog) keeps its account;
- a worker that dies (SIGKILL, OOM, a lost machine) stops renewing, and its lease runs out
  within `POLL_LEASE_SECONDS`: the next poll takes the account over, within one poll interval;
- a poll that hangs stops renewing at the task's hard time limit, whatever the pool.

Renewal and release are conditional on the lease still being this poll's own (the exact
timestamp it last wrote): a poll whose lease ran out and was taken over never extends or frees
the new holder's.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from listening.models import SocialAccount

logger = logging.getLogger(__name__)

# A hung poll stops renewing here (the poll task's hard time limit, `listening.tasks`).
POLL_HARD_LIMIT = 180


def lease_seconds() -> int:
    return settings.POLL_LEASE_SECONDS


class LeaseKeeper:
    """Renews one poll's lease from a thread of its own until `stop()`."""

    def __init__(self, account_id: int, lease_until: dt.datetime, *, seconds: int | None = None):
        self.account_id = account_id
        self.lease_until = lease_until
        self.seconds = seconds or lease_seconds()
        self.lost = False
        self._stop = threading.Event()
        self._give_up_at = time.monotonic() + POLL_HARD_LIMIT
        self._thread = threading.Thread(target=self._run, name=f"poll-lease-{account_id}", daemon=True)

    def start(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def stop(self) -> dt.datetime:
        """Stop renewing; returns the lease as last written (what `release` must match)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)
        return self.lease_until

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.seconds / 3):
                if time.monotonic() >= self._give_up_at:
                    logger.warning("poll of account %s: still running at its time limit", self.account_id)
                    return
                if not self._renew():
                    return
        finally:
            connection.close()  # this thread's own connection

    def _renew(self) -> bool:
        new = timezone.now() + dt.timedelta(seconds=self.seconds)
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    # The storing transaction of the poll may hold the row for a moment: wait a
                    # little, never as long as the lease.
                    cursor.execute("SET LOCAL lock_timeout = '2s'")
                renewed = SocialAccount.objects.filter(
                    pk=self.account_id, poll_lease_until=self.lease_until
                ).update(poll_lease_until=new)
        except DatabaseError as exc:
            logger.warning("poll of account %s: lease not renewed (%s); trying again", self.account_id, exc)
            connection.close()  # a dead connection is not reused: the next renewal reconnects
            return True
        if not renewed:
            self.lost = True
            logger.warning("poll of account %s: its lease ran out and was taken over", self.account_id)
            return False
        self.lease_until = new
        return True


def release(account_id: int, lease_until: dt.datetime, **fields) -> bool:
    """Give the lease back (and record `fields`), if it is still this poll's."""
    return bool(
        SocialAccount.objects.filter(pk=account_id, poll_lease_until=lease_until).update(
            poll_lease_until=None, **fields
        )
    )
