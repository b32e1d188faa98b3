"""The outbox: the relay that hands queued replies to the broker, sending, and recovery."""

from __future__ import annotations

import datetime as dt
import logging
import random

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from inbox.models import Conversation, ConversationEvent, Reply
from inbox.replies.errors import RetryLater, TransientSendError
from inbox.replies.routes import NETWORK_NAMES, channel_words, private_route, reply_url
from inbox.services import bump, conversation_reindex
from listening.connectors import base
from listening.models import Mention

logger = logging.getLogger(__name__)
Kind = ConversationEvent.Kind
State = Reply.State
Channel = Reply.Channel


# The send task's hard time limit is 90 s; a lease past it can only be held by a dead worker.
SEND_LEASE = dt.timedelta(seconds=120)


# A queued reply handed to the broker this long ago and still queued lost its task message
# (a broker restarted without its data): hand it over again. Longer than the send task's
# longest retry backoff (reply_tasks.MAX_BACKOFF), so a retry still waiting is not doubled.
REDISPATCH_AFTER = dt.timedelta(minutes=6)


# At most this many replies per relay run; the next run, seconds later, takes the rest.
DISPATCH_BATCH = 200


# kombu's connection options for the relay: give up after one failed connection attempt.
PUBLISH_ONCE = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def transition(reply_id: int, from_states, to_state: str, **fields) -> bool:
    """Move a reply on, only from the states given; False when another actor moved it first."""
    if isinstance(from_states, str):
        from_states = (from_states,)
    return bool(
        Reply.objects.filter(pk=reply_id, state__in=from_states).update(
            state=to_state, updated_at=timezone.now(), **fields
        )
    )


def enqueue(reply_id: int) -> None:
    """After the commit, try to hand the reply to the broker at once; the relay retries if not."""
    transaction.on_commit(lambda: replies_dispatch(ids=[reply_id]), robust=True)


def replies_dispatch(*, ids: list[int] | None = None, now: dt.datetime | None = None) -> list[int]:
    """The outbox relay: publish `inbox.send_reply` for queued replies no live task carries.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so two relays (beat's and a request's) never
    publish the same reply at once; each published reply is stamped `dispatched_at`. When the
    broker refuses, the relay stops and leaves the rest unstamped for its next run.
    """
    from inbox.reply_tasks import send_reply

    now = now or timezone.now()
    due = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER)
    ready = Q(not_before__isnull=True) | Q(not_before__lte=now)
    handed: list[int] = []
    with transaction.atomic():
        rows = Reply.objects.select_for_update(skip_locked=True).filter(due & ready, state=State.QUEUED)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        pending = list(rows.order_by("queued_at", "pk").values_list("pk", flat=True)[:DISPATCH_BATCH])
        if not pending:
            return handed
        # One quick attempt to reach the broker, not the client's retries over several seconds:
        # the relay runs again in seconds anyway, and a person may be waiting on this request.
        with send_reply.app.connection_for_write(transport_options=PUBLISH_ONCE) as broker:
            for reply_id in pending:
                try:
                    send_reply.apply_async(args=[reply_id], retry=False, connection=broker)
                except Exception as exc:  # the broker's client raises several kinds; all mean "not now"
                    logger.warning(
                        "outbox: the broker refused reply %s, the relay tries again: %s", reply_id, exc
                    )
                    break
                handed.append(reply_id)
        if handed:
            Reply.objects.filter(pk__in=handed).update(dispatched_at=now)
    return handed


# --- Sending (the worker) ------------------------------------------------------------------------------


def _claim(reply_id: int, now: dt.datetime) -> bool:
    lease = now + SEND_LEASE
    taken = (
        Reply.objects.filter(pk=reply_id, state=State.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .update(state=State.SENDING, attempts=F("attempts") + 1, lease_until=lease, updated_at=now)
    )
    if taken:
        return True
    # A reply still "sending" after its lease belongs to a worker that died mid-send.
    return bool(
        Reply.objects.filter(pk=reply_id, state=State.SENDING, lease_until__lt=now).update(
            attempts=F("attempts") + 1, lease_until=lease, updated_at=now
        )
    )


def reply_send(*, reply_id: int) -> str:
    """Send one queued reply; returns "sent", "failed" or "skipped" (not ours to send).

    Raises RetryLater (rate limit: the reply waits, queued, until the reset) or
    TransientSendError (queued again; the task retries with backoff).
    """
    now = timezone.now()
    if not _claim(reply_id, now):
        waiting = (
            Reply.objects.filter(pk=reply_id, state=State.QUEUED, not_before__gt=now)
            .values_list("not_before", flat=True)
            .first()
        )
        if waiting is not None:
            raise RetryLater(int((waiting - now).total_seconds()) + 1, "waiting for the rate limit to reset")
        return "skipped"
    reply = Reply.objects.select_related("conversation__account", "conversation__customer", "author").get(
        pk=reply_id
    )
    conversation = reply.conversation
    account = conversation.account
    network = NETWORK_NAMES.get(conversation.network, conversation.network)
    if account is None:
        _fail(reply, "no connected account of the bank received this conversation")
        return "failed"
    if reply.channel == Channel.PRIVATE and conversation.network in ("facebook", "instagram"):
        route = private_route(conversation, now=now)
        if not route.available:
            _fail(reply, route.note)
            return "failed"
    lookup = reply.in_reply_to if reply.channel == Channel.PUBLIC else reply.private_thread
    from listening.crypto import CredentialsUnreadable

    try:
        connector = base.connector_for(account.as_account_info())
        sent = None
        if reply.attempts > 1 and lookup:
            # An earlier attempt may have reached the network: look before posting again.
            sent = connector.find_sent(text=reply.text, in_reply_to=lookup)
            if sent is not None:
                logger.info("reply %s was already on %s as %s", reply.pk, network, sent.external_id)
        if sent is None:
            if reply.channel == Channel.PUBLIC:
                sent = connector.send_public_reply(text=reply.text, in_reply_to=reply.in_reply_to)
            else:
                sent = connector.send_private_message(
                    text=reply.text, recipient_id=reply.recipient_id, thread_key=reply.private_thread
                )
    except base.RateLimited as exc:
        reset_at = max(exc.reset_at, now)
        _requeue(
            reply,
            not_before=reset_at,
            error=f"Waiting for {network}'s rate limit to reset at {timezone.localtime(reset_at):%H:%M:%S}",
        )
        raise RetryLater(int((reset_at - now).total_seconds()) + 1 + random.randint(0, 5), str(exc)) from exc
    except base.AuthFailed as exc:
        _fail(
            reply,
            f"{network} refused the bank's token; an administrator must reconnect the account "
            f"({exc.message})",
        )
        return "failed"
    except CredentialsUnreadable as exc:
        _fail(reply, f"the account's credentials cannot be read: {exc}")
        return "failed"
    except base.ConnectorError as exc:
        if exc.permanent:
            _fail(reply, exc.message)
            return "failed"
        _requeue(reply, not_before=None, error=exc.message)
        raise TransientSendError(exc.message) from exc
    _mark_sent(reply, sent)
    return "sent"


def _requeue(reply: Reply, *, not_before: dt.datetime | None, error: str) -> None:
    # The task's own retry carries it from here: stamped, so the relay does not publish a second.
    transition(
        reply.pk,
        State.SENDING,
        State.QUEUED,
        not_before=not_before,
        lease_until=None,
        error=error[:2000],
        dispatched_at=timezone.now(),
    )


@transaction.atomic
def _fail(reply: Reply, reason: str, *, from_state: str = State.SENDING) -> None:
    if not transition(reply.pk, from_state, State.FAILED, lease_until=None, error=reason[:2000]):
        return
    audit_record(actor=None, verb="reply.fail", obj=reply, after={"error": reason[:500]})
    bump(
        reply.conversation,
        actor=None,
        kind=Kind.OUTBOX,
        text=f"a reply by {reply.author.display_name} failed: {reason}"[:300],
        data={"reply": reply.pk},
    )
    notify(
        recipients=[reply.author],
        verb="reply.failed",
        text=f"Your reply to {reply.conversation.customer} was not sent: {reason[:150]}",
        url=reply_url(reply),
        email=False,
    )


def reply_give_up(*, reply_id: int, reason: str) -> None:
    """After the last retry of transient errors: failed, with the reason and a retry button."""
    reply = Reply.objects.select_related("conversation__customer", "author").get(pk=reply_id)
    _fail(reply, f"{reason} (gave up after {reply.attempts} attempts)", from_state=State.QUEUED)


_MENTION_KIND = {
    "x": Mention.Kind.REPLY,
    "facebook": Mention.Kind.COMMENT,
    "linkedin": Mention.Kind.COMMENT,
    "instagram": Mention.Kind.COMMENT,
}


def _safe_url(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


@transaction.atomic
def _mark_sent(reply: Reply, sent: base.SentMessage) -> None:
    from listening.services import mention_record_sent

    now = timezone.now()
    if not Reply.objects.filter(pk=reply.pk, state=State.SENDING).update(
        state=State.SENT,
        external_id=sent.external_id[:128],
        url=_safe_url(sent.url)[:500],
        sent_at=now,
        error="",
        lease_until=None,
        not_before=None,
        updated_at=now,
    ):
        return  # recorded already by the worker that took over
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer", "account")
        .get(pk=reply.conversation_id)
    )
    mention, created = mention_record_sent(
        account=conversation.account,
        sent=sent,
        text=reply.text,
        kind=Mention.Kind.DIRECT if reply.channel == Channel.PRIVATE else _MENTION_KIND[conversation.network],
        thread_key=conversation.thread_key,
        in_reply_to=reply.in_reply_to,
        sent_at=now,
    )
    Reply.objects.filter(pk=reply.pk).update(mention=mention)
    first_response = conversation.first_response_at is None
    fields: dict = {
        "last_activity_at": max(conversation.last_activity_at, now),
        "version": F("version") + 1,
    }
    if created:
        fields["message_count"] = F("message_count") + 1
    if first_response:
        fields["first_response_at"] = now
    if conversation.status == Conversation.Status.NEW:
        fields["status"] = Conversation.Status.OPEN
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    version = Conversation.objects.values_list("version", flat=True).get(pk=conversation.pk)
    ConversationEvent.objects.create(
        conversation=conversation,
        actor=reply.author,
        kind=Kind.REPLY,
        text=f"sent {channel_words(reply, conversation.network)}",
        data={"reply": reply.pk, "mention": mention.external_id},
        version=version,
    )
    audit_record(
        actor=None,
        verb="reply.sent",
        obj=reply,
        after={"external_id": sent.external_id, "url": reply.url, "author": reply.author.get_username()},
    )
    if first_response:
        audit_record(
            actor=reply.author,
            verb="conversation.first_response",
            obj=conversation,
            after={"first_response_at": now.isoformat(), "reply": reply.pk},
        )
    conversation_reindex(conversation=conversation)


def replies_recover(*, now: dt.datetime | None = None) -> list[int]:
    """Replies whose worker died ("sending" past its lease); ids to send again.

    Queued replies whose task never reached the broker, or was lost there, are the relay's
    (`replies_dispatch`), every few seconds.
    """
    now = now or timezone.now()
    stuck = Reply.objects.filter(state=State.SENDING, lease_until__lt=now).values_list("pk", flat=True)[:500]
    return list(stuck)
