"""Submitting a reply through the personal-data guard, and withdrawing or retrying it."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from inbox import guard
from inbox.models import Conversation, ConversationEvent, Reply, SavedReply
from inbox.replies.errors import ReplyBlocked, ReplyError
from inbox.replies.outbox import enqueue, transition
from inbox.replies.permissions import approvers, can_override
from inbox.replies.routes import NETWORK_NAMES, channel_words, customer_contacts, reply_routes
from inbox.services import StaleAction, bump, describe_changes
from listening.pan_vault import mask_cards

Kind = ConversationEvent.Kind
State = Reply.State
Channel = Reply.Channel


# Changes by others that make a reply stale: a colleague replied, or one is on its way.
REPLY_CONFLICTS = frozenset({Kind.REPLY, Kind.REPLY_QUEUED})


# --- Writing a reply ---------------------------------------------------------------------------------


def _check_fresh(conversation: Conversation, *, seen_version: int | None, actor: User) -> None:
    """A colleague's reply since you opened the conversation is reported before yours goes."""
    if seen_version is None or conversation.version == seen_version:
        return
    if seen_version > conversation.version:
        raise StaleAction("This page is ahead of the conversation; reload it and try again.")
    conflicting = [
        event
        for event in ConversationEvent.objects.filter(
            conversation=conversation, version__gt=seen_version, kind__in=REPLY_CONFLICTS
        )
        .select_related("actor")
        .order_by("version", "id")
        if event.actor_id is None or event.actor_id != actor.pk
    ]
    if conflicting:
        raise StaleAction(
            f"Not sent: since you opened it, {describe_changes(conflicting)}. "
            "Read the conversation as it is now; your text is still in the composer.",
            events=conflicting,
        )


def _same_reply_lately(conversation: Conversation, *, actor: User, channel: str, text: str) -> Reply | None:
    """The same text by the same person to the same conversation within REPLY_DUPLICATE_WINDOW.

    A double click, a resubmitted form or a client's retry is that reply, not a second one; a
    reply that failed, was withdrawn or sent back does not count (sending it again is meant).
    """
    since = timezone.now() - dt.timedelta(seconds=settings.REPLY_DUPLICATE_WINDOW)
    return (
        Reply.objects.filter(
            conversation=conversation, author=actor, channel=channel, text=text, created_at__gte=since
        )
        .exclude(state__in=(State.FAILED, State.CANCELLED, State.REJECTED))
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def reply_submit(
    *,
    actor: User,
    conversation: Conversation,
    channel: str,
    text: str,
    seen_version: int | None,
    saved_reply: SavedReply | None = None,
    override_reason: str = "",
    confirm_private: bool = False,
) -> Reply:
    """Check a reply (guard, length, approval rules) and put it in the outbox.

    `confirm_private`: the agent confirmed that the customer asked for their IBAN or account
    number in this private conversation (the guard asks for it; see `inbox.guard`).

    Raises ReplyBlocked when the guard refuses it (nothing is stored), ReplyError when it
    cannot go out on this channel, StaleAction when a colleague replied since. The same text
    again within the duplicate window returns the first reply, with `resubmitted` set.
    """
    text = _checked_text(actor=actor, channel=channel, text=text)
    current = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer", "account")
        .get(pk=conversation.pk)
    )
    if current.status == Conversation.Status.SPAM:
        raise ReplyError("This conversation is marked as spam: set it to open before answering.")
    # Under the conversation's lock, so a double submit sees the first one's row.
    again = _same_reply_lately(current, actor=actor, channel=channel, text=text)
    if again is not None:
        again.resubmitted = True
        return again
    _check_fresh(current, seen_version=seen_version, actor=actor)
    route, length = _route_that_fits(current, channel=channel, text=text)
    result, override_reason = _guard_verdict(
        current,
        actor=actor,
        channel=channel,
        text=text,
        override_reason=override_reason,
        confirm_private=confirm_private,
    )
    overridden = result.blocked
    reasons = guard.approval_reasons(
        text=text,
        author_is_trainee=actor.is_trainee,
        author_is_lead=roles.has_role(actor, roles.LEAD),
        followers=current.customer.followers,
        overridden=overridden,
    )
    reply = Reply.objects.create(
        conversation=current,
        author=actor,
        channel=channel,
        text=text,
        in_reply_to=route.in_reply_to,
        recipient_id=route.recipient_id,
        private_thread=route.private_thread,
        saved_reply=saved_reply,
        approval_reasons=reasons,
        override_findings=[hit.as_record() for hit in result.hits] if overridden else [],
        override_reason=override_reason if overridden else "",
    )
    _audit_created(reply, current, actor=actor, length=length, overridden=overridden)
    if saved_reply is not None:
        SavedReply.objects.filter(pk=saved_reply.pk).update(
            usage_count=F("usage_count") + 1, last_used_at=timezone.now()
        )
    _send_onward(reply, current, actor=actor)
    reply.refresh_from_db()
    return reply


def _checked_text(*, actor: User, channel: str, text: str) -> str:
    """The reply's text, stripped, once the author may answer and the channel is one of ours."""
    if not roles.can_work_inbox(actor):
        raise ReplyError("Your role may read conversations but not answer customers.")
    if channel not in Channel.values:
        raise ReplyError("Choose a public reply or a private message.")
    text = (text or "").strip()
    if not text:
        raise ReplyError("Write the reply first: it is empty.")
    return text


def _route_that_fits(conversation: Conversation, *, channel: str, text: str):
    """(the route the reply takes, its length on the network), once it can go and fits there."""
    route = reply_routes(conversation=conversation)[channel]
    if not route.available:
        raise ReplyError(f"Not sent: {route.note}")
    limit = guard.length_limit(conversation.network, channel)
    length = guard.reply_length(conversation.network, text)
    if limit is not None and length > limit:
        raise ReplyError(
            f"Not sent: {length:,} characters, {NETWORK_NAMES[conversation.network]} allows {limit:,} here. "
            "Shorten it."
        )
    return route, length


def _guard_verdict(
    conversation: Conversation,
    *,
    actor: User,
    channel: str,
    text: str,
    override_reason: str,
    confirm_private: bool,
) -> tuple[guard.GuardResult, str]:
    """The personal-data guard's verdict and the override reason (cards masked).

    Raises ReplyBlocked when the guard refuses and no allowed override goes with it; a verdict
    returned blocked is one overridden for the reason given.
    """
    emails, phones = customer_contacts(conversation)
    result = guard.check(
        text, channel=channel, customer_emails=emails, customer_phones=phones, confirmed=confirm_private
    )
    # A reason is free text: whatever else it says, it never stores a card number in clear.
    override_reason = mask_cards((override_reason or "").strip())
    if result.blocked:
        allowed = can_override(actor) and result.overridable
        if not override_reason or not allowed:
            if override_reason and not allowed:
                raise ReplyBlocked(result, text=text, channel=channel, can_override=False)
            raise ReplyBlocked(result, text=text, channel=channel, can_override=allowed)
        if len(override_reason) < 10:
            raise ReplyError(
                "Write why this must go out as it is (at least a sentence) to override the guard."
            )
    return result, override_reason


def _audit_created(
    reply: Reply, conversation: Conversation, *, actor: User, length: int, overridden: bool
) -> None:
    """The reply's creation in the audit log, and the guard's override when there was one."""
    channel = reply.channel
    confirmed = guard.check(reply.text, channel=channel).confirm_kinds if channel == Channel.PRIVATE else []
    audit_record(
        actor=actor,
        verb="reply.create",
        obj=reply,
        after={
            "conversation": conversation.pk,
            "channel": channel,
            "approval": reply.approval_reasons,
            "length": length,
            **({"confirmed_in_private": confirmed} if confirmed else {}),
        },
    )
    if overridden:
        audit_record(
            actor=actor,
            verb="reply.guard_override",
            obj=reply,
            after={"findings": reply.override_findings, "reason": reply.override_reason},
        )


def _send_onward(reply: Reply, conversation: Conversation, *, actor: User) -> None:
    """To the leads for approval when a rule asks for it, else to the outbox's queue."""
    words = channel_words(reply, conversation.network)
    reasons = reply.approval_reasons
    if reasons:
        transition(reply.pk, State.DRAFT, State.AWAITING_APPROVAL)
        bump(
            conversation,
            actor=actor,
            kind=Kind.REPLY_QUEUED,
            text=f"wrote {words}, waiting for approval",
            data={"reply": reply.pk},
        )
        people = [u for u in approvers() if u.pk != actor.pk]
        notify(
            recipients=people,
            verb="reply.approval",
            text=f"{actor.display_name}'s reply to {conversation.customer} waits for approval: "
            + "; ".join(reasons),
            url=reverse("inbox:approvals"),
            email=False,
        )
    else:
        transition(reply.pk, State.DRAFT, State.QUEUED, queued_at=timezone.now())
        bump(
            conversation,
            actor=actor,
            kind=Kind.REPLY_QUEUED,
            text=f"is sending {words}",
            data={"reply": reply.pk},
        )
        enqueue(reply.pk)


# Before it leaves: a reply a worker has claimed ("sending") may be on the network already.
WITHDRAWABLE = (State.AWAITING_APPROVAL, State.APPROVED, State.QUEUED, State.FAILED, State.REJECTED)


@transaction.atomic
def reply_withdraw(*, actor: User, reply: Reply) -> Reply:
    """Withdraw a reply that has not started sending (its author or a lead); audited.

    A conditional UPDATE from the states before "sending": it and a worker's claim never both
    win, and a task for it still in the broker then finds nothing queued and sends nothing.
    """
    if reply.author_id != actor.pk and not roles.has_role(actor, roles.LEAD):
        raise ReplyError("Only its author or a lead may withdraw a reply.")
    before = Reply.objects.filter(pk=reply.pk).values_list("state", flat=True).first()
    if not transition(reply.pk, WITHDRAWABLE, State.CANCELLED, lease_until=None, not_before=None):
        current = Reply.objects.get(pk=reply.pk)
        raise ReplyError(f"Too late to withdraw: it is {current.get_state_display().lower()}.")
    audit_record(actor=actor, verb="reply.withdraw", obj=reply, before={"state": before})
    bump(reply.conversation, actor=actor, kind=Kind.OUTBOX, text="withdrew a reply", data={"reply": reply.pk})
    reply.refresh_from_db()
    return reply


@transaction.atomic
def reply_retry(*, actor: User, reply: Reply) -> Reply:
    """Queue a failed reply again; the send checks the network first if it may have gone out."""
    if not roles.can_work_inbox(actor):
        raise ReplyError("Your role may not send replies.")
    if not transition(
        reply.pk, State.FAILED, State.QUEUED, queued_at=timezone.now(), not_before=None, dispatched_at=None
    ):
        current = Reply.objects.get(pk=reply.pk)
        raise ReplyError(f"Not done: the reply is {current.get_state_display().lower()}, not failed.")
    audit_record(actor=actor, verb="reply.retry", obj=reply, before={"error": reply.error})
    bump(
        reply.conversation,
        actor=actor,
        kind=Kind.OUTBOX,
        text="tried the failed reply again",
        data={"reply": reply.pk},
    )
    enqueue(reply.pk)
    reply.refresh_from_db()
    return reply
