"""The replies' outbox: the relay hands queued replies to the broker; a worker sends each once."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from bankbuzz.cardmask import shorten
from inbox.models import Conversation, ConversationEvent, Reply
from inbox.replies.relay import Outbox
from inbox.replies.routes import channel_words, private_route, reply_url
from inbox.services import bump, conversation_reindex
from listening.connectors import base
from listening.models import Mention

Kind = ConversationEvent.Kind
State = Reply.State
Channel = Reply.Channel

_MENTION_KIND = {
    "x": Mention.Kind.REPLY,
    "facebook": Mention.Kind.COMMENT,
    "linkedin": Mention.Kind.COMMENT,
    "instagram": Mention.Kind.COMMENT,
}


class ReplyOutbox(Outbox):
    """Replies to customers: public replies in the thread, private messages in the customer's inbox."""

    model = Reply
    noun = "reply"
    log_name = "outbox"
    related = ("conversation__account", "conversation__customer", "author")

    def task(self):
        from inbox.reply_tasks import send_reply

        return send_reply

    def network(self, reply: Reply) -> str:
        return reply.conversation.network

    def account(self, reply: Reply):
        return reply.conversation.account

    def prepare(self, reply: Reply, now: dt.datetime) -> str:
        conversation = reply.conversation
        if conversation.account is None:
            return "no connected account of the bank received this conversation"
        if reply.channel == Channel.PRIVATE and conversation.network in ("facebook", "instagram"):
            route = private_route(conversation, now=now)
            if not route.available:
                return route.note
        return ""

    def find(self, connector, reply: Reply):
        lookup = reply.in_reply_to if reply.channel == Channel.PUBLIC else reply.private_thread
        return connector.find_sent(text=reply.text, in_reply_to=lookup) if lookup else None

    def deliver(self, connector, reply: Reply) -> base.SentMessage:
        if reply.channel == Channel.PUBLIC:
            return connector.send_public_reply(text=reply.text, in_reply_to=reply.in_reply_to)
        return connector.send_private_message(
            text=reply.text, recipient_id=reply.recipient_id, thread_key=reply.private_thread
        )

    def on_failed(self, reply: Reply, reason: str) -> None:
        audit_record(actor=None, verb="reply.fail", obj=reply, after={"error": shorten(reason, 500)})
        bump(
            reply.conversation,
            actor=None,
            kind=Kind.OUTBOX,
            text=shorten(f"a reply by {reply.author.display_name} failed: {reason}", 300),
            data={"reply": reply.pk},
        )
        notify(
            recipients=[reply.author],
            verb="reply.failed",
            text=f"Your reply to {reply.conversation.customer} was not sent: {shorten(reason, 150)}",
            url=reply_url(reply),
            email=False,
        )

    def on_sent(self, reply: Reply, sent: base.SentMessage, now: dt.datetime) -> None:
        _record_sent(reply, sent, now)


REPLIES = ReplyOutbox()
SEND_LEASE = REPLIES.send_lease
REDISPATCH_AFTER = REPLIES.redispatch_after
DISPATCH_BATCH = REPLIES.dispatch_batch


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
    return REPLIES.dispatch(ids=ids, now=now)


def reply_send(*, reply_id: int) -> str:
    """Send one queued reply; returns "sent", "failed" or "skipped" (not ours to send).

    Raises RetryLater (rate limit: the reply waits, queued, until the reset) or
    TransientSendError (queued again; the task retries with backoff).
    """
    return REPLIES.send(reply_id)


def reply_give_up(*, reply_id: int, reason: str) -> None:
    """After the last retry of transient errors: failed, with the reason and a retry button."""
    REPLIES.give_up(reply_id, reason)


def _record_sent(reply: Reply, sent: base.SentMessage, now: dt.datetime) -> None:
    """The reply is out: our post joins the thread and the conversation's clocks move on."""
    from listening.services import mention_record_sent

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
    return REPLIES.recover(now=now)
