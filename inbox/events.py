"""What the inbox tells the apps above it: `conversations_touched`.

`listening` sends `mentions_received` when new mentions are stored; the inbox alone listens to
it (`inbox.receivers`): it attaches them to their conversations and then sends

    conversations_touched(sender=None, touched=Touched(...))

in the same transaction as the attach, with the ids of the conversations, the mentions that
touched them and what happened to each conversation: `opened` (a customer started it),
`message` (a customer wrote again), `reopened` (that message reopened a resolved one),
`reply` (the bank's own post). Only ids and those words: no customer's text.

Everything that works on conversations after new messages listens to this signal, not to
`mentions_received`: escalations (routing rules that escalate by themselves, kudos), the
webhooks (`conversation.created`, from the inbox's own receiver), and any new app (complaints,
incidents...). So each runs after the attach, whatever the order of INSTALLED_APPS.

A receiver:
- is called robustly (like `send_robust`, and with savepoints): one that raises is rolled back
  alone, logged, and does not stop the others. The receivers run together under one
  savepoint; when one raises, they all run again, each under its own (so the others' work is
  done once, and the failing one's is undone). A receiver therefore writes only to the
  database, and queues anything else with `transaction.on_commit`;
- is called again by the orphan sweep (`inbox.attach_orphans`, beat, every minute) with the
  same `Touched`, at the next sweep and then at growing intervals, until it succeeds or
  `MAX_ATTEMPTS` calls have failed (a `TouchedRetry` row, written in the attach's
  transaction). So it must be idempotent: called twice with the same news, it does its work
  once;
- connects in its AppConfig.ready() with a dispatch_uid, e.g.
  `conversations_touched.connect(receivers.on_conversations_touched, dispatch_uid="myapp.touched")`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.dispatch import Signal
from django.utils import timezone

from inbox.models import Conversation, ConversationEvent, TouchedRetry
from listening.models import Mention

logger = logging.getLogger(__name__)

conversations_touched = Signal()

OPENED = "opened"
MESSAGE = "message"
REOPENED = "reopened"
REPLY = "reply"
_HAPPENED = {
    ConversationEvent.Kind.OPENED: OPENED,
    ConversationEvent.Kind.MESSAGE: MESSAGE,
    ConversationEvent.Kind.REOPENED: REOPENED,
    ConversationEvent.Kind.REPLY: REPLY,
}
MAX_ATTEMPTS = 10
RETRY_AFTER = dt.timedelta(minutes=1)  # after the second failure; then 2, 4, 8 ... minutes, at most an hour


@dataclass(frozen=True)
class Touched:
    """The news of one attach: which conversations new mentions touched, and how."""

    mention_ids: list[int]
    # conversation id -> what happened to it, in order ("opened", "message", "reopened", "reply")
    happened: dict[int, list[str]] = field(default_factory=dict)

    @property
    def conversation_ids(self) -> list[int]:
        return sorted(self.happened)

    def ids_where(self, *what: str) -> list[int]:
        """The conversations to which any of `what` happened."""
        return sorted(pk for pk, kinds in self.happened.items() if any(kind in kinds for kind in what))

    def as_json(self) -> dict:
        return {"mention_ids": self.mention_ids, "happened": {str(k): v for k, v in self.happened.items()}}

    @classmethod
    def from_json(cls, data: dict) -> Touched:
        return cls(
            mention_ids=list(data.get("mention_ids", [])),
            happened={int(k): list(v) for k, v in data.get("happened", {}).items()},
        )


def touched_of(*, mention_ids: list[int], conversation_ids: list[int]) -> Touched:
    """What the attach of `mention_ids` did to `conversation_ids`, read from the thread events (one query)."""
    if not mention_ids or not conversation_ids:
        return Touched(mention_ids=list(mention_ids))
    happened: dict[int, list[str]] = {pk: [] for pk in conversation_ids}
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT e.conversation_id, e.kind
            FROM {ConversationEvent._meta.db_table} AS e
            JOIN {Conversation._meta.db_table} AS c ON c.id = e.conversation_id
            JOIN {Mention._meta.db_table} AS m
                ON m.network = c.network AND m.external_id = e.data ->> 'mention'
            WHERE e.conversation_id = ANY(%s) AND m.id = ANY(%s) AND e.kind = ANY(%s)
            ORDER BY e.id
            """,  # noqa: S608 - table names from the models, values bound
            [list(conversation_ids), list(mention_ids), [str(kind) for kind in _HAPPENED]],
        )
        for pk, kind in cursor.fetchall():
            what = _HAPPENED[kind]
            if what not in happened[pk]:
                happened[pk].append(what)
    return Touched(mention_ids=list(mention_ids), happened=happened)


def _name(receiver: Callable) -> str:
    return f"{receiver.__module__}.{receiver.__qualname__}"


def conversations_touched_send(touched: Touched) -> list[str]:
    """Tell every receiver; returns the names of those that failed.

    All of them run under one savepoint, the usual case costing two statements whatever their
    number. When one raises, that savepoint is rolled back (with whatever the receivers did
    and the on-commit work they queued) and each runs again under a savepoint of its own, so
    the failure stays with the receiver that failed: logged, and left for the sweep
    (`touched_retries_run`). Call it inside the transaction whose work it reports, so that
    the retry rows commit with it.
    """
    if not touched.happened:
        return []
    receivers = _receivers()
    try:
        with transaction.atomic():
            for receiver in receivers:
                receiver(signal=conversations_touched, sender=None, touched=touched)
        return []
    except Exception:
        logger.info("a receiver of conversations_touched failed; calling them one by one")
    failed = []
    for receiver in receivers:
        error = _call(receiver, touched)
        if error is not None:
            failed.append(_name(receiver))
            TouchedRetry.objects.create(
                receiver=_name(receiver),
                touched=touched.as_json(),
                last_error=error,
                next_attempt_at=timezone.now(),  # the next sweep, within a minute
            )
    return failed


def _receivers() -> list[Callable]:
    # What send_robust would call, one by one, so that each has its own savepoint.
    return list(conversations_touched._live_receivers(None)[0])


def _call(receiver: Callable, touched: Touched) -> str | None:
    """Call one receiver under a savepoint; the error's text when it raised (and was logged)."""
    try:
        with transaction.atomic():
            receiver(signal=conversations_touched, sender=None, touched=touched)
    except Exception as exc:
        logger.exception(
            "a receiver of conversations_touched failed (%s) for conversations %s; the sweep will retry",
            _name(receiver),
            touched.conversation_ids[:20],
        )
        return f"{type(exc).__name__}: {exc}"[:2000]
    return None


def touched_retries_run(*, now: dt.datetime | None = None, limit: int = 100) -> int:
    """Call again the receivers that failed, when due; returns how many succeeded this time.

    A receiver no longer connected (its app was removed) is dropped with a warning. One that
    fails `MAX_ATTEMPTS` times is logged as an error and dropped.
    """
    now = now or timezone.now()
    receivers = {_name(receiver): receiver for receiver in _receivers()}
    done = 0
    with transaction.atomic():
        due = list(
            TouchedRetry.objects.select_for_update(skip_locked=True)
            .filter(next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:limit]
        )
        for retry in due:
            receiver = receivers.get(retry.receiver)
            if receiver is None:
                logger.warning("dropping the retry of %s: no such receiver is connected", retry.receiver)
                retry.delete()
                continue
            error = _call(receiver, Touched.from_json(retry.touched))
            if error is None:
                retry.delete()
                done += 1
            elif retry.attempts + 1 >= MAX_ATTEMPTS:
                logger.error(
                    "%s failed %s times for conversations %s; giving up: %s",
                    retry.receiver,
                    retry.attempts + 1,
                    list(retry.touched.get("happened", {}))[:20],
                    error,
                )
                retry.delete()
            else:
                retry.attempts += 1
                retry.last_error = error
                retry.next_attempt_at = now + min(
                    RETRY_AFTER * 2 ** (retry.attempts - 1), dt.timedelta(hours=1)
                )
                retry.save(update_fields=["attempts", "last_error", "next_attempt_at"])
    return done


def attach_and_tell(*, mention_ids: list[int], attach: Callable[..., list[int]]) -> Touched:
    """Attach the mentions with `attach` and tell the receivers, in one transaction.

    Called by `mentions_received` inside the transaction that stored the mentions, under the
    savepoint the signal gives each receiver: no savepoint of its own there.
    """
    with transaction.atomic(savepoint=False):
        conversation_ids = attach(mention_ids=mention_ids)
        touched = touched_of(mention_ids=mention_ids, conversation_ids=sorted(set(conversation_ids)))
        conversations_touched_send(touched)
    return touched
