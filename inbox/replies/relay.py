"""The one outbox relay: hand queued rows to the broker, send each exactly once, retry, settle.

An outbox is a table of `inbox.models.OutboxRow` rows whose `State` has QUEUED, SENDING, SENT
and FAILED (a reply, a copy of one of the bank's posts). Every move is a conditional UPDATE on
the state it leaves, so two workers, or a worker and a person, never both win:

- the relay (`dispatch`) claims due queued rows no task carries yet with FOR UPDATE SKIP LOCKED,
  publishes the outbox's send task for each and stamps `dispatched_at`; a broker that refuses
  leaves the rest unstamped for the next run, seconds later;
- only the worker whose UPDATE moved a row from "queued" to "sending" sends it, under a lease
  longer than the send task's hard time limit, so a row still "sending" after its lease can
  only belong to a worker that died; whoever takes it over, and every attempt after the first,
  asks the network whether it is already there before sending again;
- a rate limit puts the row back in the queue until the reset (RetryLater), a transient error
  puts it back for the task's retry with backoff (TransientSendError), a permanent one fails it.

A subclass says what is its own: which rows, which task, how to reach the network, and what
else changes when a row is sent or fails.
"""

from __future__ import annotations

import datetime as dt
import logging
import random

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from inbox.replies.errors import RetryLater, TransientSendError
from inbox.replies.routes import NETWORK_NAMES
from listening.connectors import base

logger = logging.getLogger(__name__)

# kombu's connection options for the relay: give up after one failed connection attempt.
PUBLISH_ONCE = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def safe_url(url: str) -> str:
    """The network's link to what was sent, kept only where it is http(s)."""
    return url if url.startswith(("https://", "http://")) else ""


class Outbox:
    """One outbox table and its send task; subclasses fill in the hooks below."""

    model: type[models.Model]
    # What one row is called in the log ("reply", "copy") and the log's prefix.
    noun = "row"
    log_name = "outbox"
    # The send task's hard time limit is 90 s; a lease past it can only be held by a dead worker.
    send_lease = dt.timedelta(seconds=120)
    # A queued row handed to the broker this long ago and still queued lost its task message (a
    # broker restarted without its data): hand it over again. Longer than the send task's longest
    # retry backoff, so a retry still waiting is not doubled.
    redispatch_after = dt.timedelta(minutes=6)
    # At most this many rows per relay run; the next run, seconds later, takes the rest.
    dispatch_batch = 200
    recover_batch = 500
    # The related rows a worker reads with the row it sends.
    related: tuple[str, ...] = ()
    # Why a claimed-for-later row is not sent yet (the RetryLater's message).
    waiting_note = "waiting for the rate limit to reset"

    # --- What each outbox says for itself -------------------------------------------------------

    def task(self):
        """The Celery task that sends one row, given its id."""
        raise NotImplementedError

    def network(self, row) -> str:
        """The network's code the row goes out on ("x", "facebook", ...)."""
        raise NotImplementedError

    def account(self, row):
        """The bank's SocialAccount the row goes out through."""
        raise NotImplementedError

    def prepare(self, row, now: dt.datetime) -> str:
        """Before sending a claimed row: why it cannot go out at all (it fails with this), or ""."""
        return ""

    def find(self, connector, row):
        """What an earlier attempt may already have put on the network, or None."""
        raise NotImplementedError

    def deliver(self, connector, row) -> base.SentMessage:
        raise NotImplementedError

    def rate_limit_note(self, network: str, reset_at: dt.datetime) -> str:
        return f"Waiting for {network}'s rate limit to reset at {timezone.localtime(reset_at):%H:%M:%S}"

    def auth_failed_reason(self, network: str, exc: base.AuthFailed) -> str:
        return (
            f"{network} refused the bank's token; an administrator must reconnect the account ({exc.message})"
        )

    def on_sent(self, row, sent: base.SentMessage, now: dt.datetime) -> None:
        """In the transaction that marked the row sent: record what else follows from it."""

    def on_failed(self, row, reason: str) -> None:
        """In the transaction that marked the row failed: tell whoever must know."""

    # --- The relay ----------------------------------------------------------------------------

    def dispatch(self, *, ids: list[int] | None = None, now: dt.datetime | None = None) -> list[int]:
        """Publish the send task for due, queued rows no live task carries; the ids handed over."""
        task = self.task()
        now = now or timezone.now()
        due = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - self.redispatch_after)
        ready = Q(not_before__isnull=True) | Q(not_before__lte=now)
        handed: list[int] = []
        with transaction.atomic():
            rows = self.model.objects.select_for_update(skip_locked=True).filter(
                due & ready, state=self.model.State.QUEUED
            )
            if ids is not None:
                rows = rows.filter(pk__in=ids)
            pending = list(
                rows.order_by("queued_at", "pk").values_list("pk", flat=True)[: self.dispatch_batch]
            )
            if not pending:
                return handed
            # One quick attempt to reach the broker, not the client's retries over several seconds:
            # the relay runs again in seconds anyway, and a person may be waiting on this request.
            with task.app.connection_for_write(transport_options=PUBLISH_ONCE) as broker:
                for pk in pending:
                    try:
                        task.apply_async(args=[pk], retry=False, connection=broker)
                    except Exception as exc:  # the broker's client raises several kinds; all mean "not now"
                        logger.warning(
                            "%s: the broker refused %s %s, the relay tries again: %s",
                            self.log_name,
                            self.noun,
                            pk,
                            exc,
                        )
                        break
                    handed.append(pk)
            if handed:
                self.model.objects.filter(pk__in=handed).update(dispatched_at=now)
        return handed

    def recover(self, *, now: dt.datetime | None = None) -> list[int]:
        """Rows whose worker died ("sending" past its lease): ids to send again."""
        now = now or timezone.now()
        stuck = self.model.objects.filter(state=self.model.State.SENDING, lease_until__lt=now)
        return list(stuck.values_list("pk", flat=True)[: self.recover_batch])

    # --- The worker ---------------------------------------------------------------------------

    def claim(self, pk: int, now: dt.datetime) -> bool:
        """Take the row to send it: from "queued" when due, or from a dead worker's expired lease."""
        State = self.model.State
        lease = now + self.send_lease
        taken = (
            self.model.objects.filter(pk=pk, state=State.QUEUED)
            .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
            .update(state=State.SENDING, attempts=F("attempts") + 1, lease_until=lease, updated_at=now)
        )
        if taken:
            return True
        # A row still "sending" after its lease belongs to a worker that died mid-send.
        return bool(
            self.model.objects.filter(pk=pk, state=State.SENDING, lease_until__lt=now).update(
                attempts=F("attempts") + 1, lease_until=lease, updated_at=now
            )
        )

    def send(self, pk: int) -> str:
        """Send one queued row; "sent", "failed" or "skipped" (not ours to send).

        Raises RetryLater (a rate limit or a later time: the row waits, queued) or
        TransientSendError (queued again; the task retries with backoff).
        """
        now = timezone.now()
        if not self.claim(pk, now):
            waiting = (
                self.model.objects.filter(pk=pk, state=self.model.State.QUEUED, not_before__gt=now)
                .values_list("not_before", flat=True)
                .first()
            )
            if waiting is not None:
                raise RetryLater(int((waiting - now).total_seconds()) + 1, self.waiting_note)
            return "skipped"
        row = self.model.objects.select_related(*self.related).get(pk=pk)
        reason = self.prepare(row, now)
        if reason:
            self.fail(row, reason)
            return "failed"
        sent = self._through_connector(row, now)
        if sent is None:
            return "failed"
        self.mark_sent(row, sent)
        return "sent"

    def _through_connector(self, row, now: dt.datetime) -> base.SentMessage | None:
        """The network's answer; None when the row failed for good (recorded already)."""
        from listening.crypto import CredentialsUnreadable

        network = NETWORK_NAMES.get(self.network(row), self.network(row))
        try:
            connector = base.connector_for(self.account(row).as_account_info())
            sent = None
            if row.attempts > 1:
                # An earlier attempt may have reached the network: look before sending again.
                sent = self.find(connector, row)
                if sent is not None:
                    logger.info("%s %s was already on %s as %s", self.noun, row.pk, network, sent.external_id)
            return sent if sent is not None else self.deliver(connector, row)
        except base.RateLimited as exc:
            reset_at = max(exc.reset_at, now)
            self.requeue(row, not_before=reset_at, error=self.rate_limit_note(network, reset_at))
            raise RetryLater(
                int((reset_at - now).total_seconds()) + 1 + random.randint(0, 5), str(exc)
            ) from exc
        except base.AuthFailed as exc:
            self.fail(row, self.auth_failed_reason(network, exc))
        except CredentialsUnreadable as exc:
            self.fail(row, f"the account's credentials cannot be read: {exc}")
        except base.ConnectorError as exc:
            if exc.permanent:
                self.fail(row, exc.message)
                return None
            self.requeue(row, not_before=None, error=exc.message)
            raise TransientSendError(exc.message) from exc
        return None

    def requeue(self, row, *, not_before: dt.datetime | None, error: str) -> None:
        # The task's own retry carries it from here: stamped, so the relay does not publish a second.
        now = timezone.now()
        self.model.objects.filter(pk=row.pk, state=self.model.State.SENDING).update(
            state=self.model.State.QUEUED,
            not_before=not_before,
            lease_until=None,
            error=error[:2000],
            dispatched_at=now,
            updated_at=now,
        )

    def fail(self, row, reason: str, *, from_state: str | None = None) -> None:
        """Failed, with the reason, unless another actor moved the row on first."""
        from_state = from_state or self.model.State.SENDING
        with transaction.atomic():
            if not self.model.objects.filter(pk=row.pk, state=from_state).update(
                state=self.model.State.FAILED,
                lease_until=None,
                error=reason[:2000],
                updated_at=timezone.now(),
            ):
                return
            self.on_failed(row, reason)

    def give_up(self, pk: int, reason: str) -> None:
        """After the last retry of transient errors: failed, with the reason."""
        row = self.model.objects.select_related(*self.related).get(pk=pk)
        self.fail(
            row, f"{reason} (gave up after {row.attempts} attempts)", from_state=self.model.State.QUEUED
        )

    def mark_sent(self, row, sent: base.SentMessage) -> None:
        now = timezone.now()
        with transaction.atomic():
            if not self.model.objects.filter(pk=row.pk, state=self.model.State.SENDING).update(
                state=self.model.State.SENT,
                external_id=sent.external_id[:128],
                url=safe_url(sent.url)[:500],
                sent_at=now,
                error="",
                lease_until=None,
                not_before=None,
                updated_at=now,
            ):
                return  # recorded already by the worker that took over
            self.on_sent(row, sent, now)
