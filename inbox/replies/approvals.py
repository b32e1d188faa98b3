"""Approving or rejecting a reply that waits for a lead or a compliance officer."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from bankbuzz.cardmask import shorten
from inbox.models import ConversationEvent, Reply
from inbox.replies.errors import ReplyError
from inbox.replies.outbox import enqueue, transition
from inbox.replies.permissions import can_approve
from inbox.replies.routes import reply_url
from inbox.services import bump
from listening.pan_vault import mask_cards

Kind = ConversationEvent.Kind
State = Reply.State


@transaction.atomic
def reply_approve(*, actor: User, reply: Reply, comment: str = "") -> Reply:
    if not can_approve(actor, reply):
        raise ReplyError("Only social leads approve replies (compliance officers approve guard overrides).")
    if reply.author_id == actor.pk:
        raise ReplyError("You wrote this reply: another lead approves it (four eyes).")
    now = timezone.now()
    if not transition(
        reply.pk,
        State.AWAITING_APPROVAL,
        State.APPROVED,
        decided_by=actor,
        decided_at=now,
        decision_comment=mask_cards((comment or "").strip())[:1000],
    ):
        current = Reply.objects.select_related("decided_by").get(pk=reply.pk)
        who = f" by {current.decided_by.display_name}" if current.decided_by else ""
        raise ReplyError(f"Not done: this reply is already {current.get_state_display().lower()}{who}.")
    transition(reply.pk, State.APPROVED, State.QUEUED, queued_at=now)
    audit_record(actor=actor, verb="reply.approve", obj=reply, after={"comment": comment})
    conversation = reply.conversation
    bump(
        conversation,
        actor=actor,
        kind=Kind.OUTBOX,
        text=f"approved {reply.author.display_name}'s reply",
        data={"reply": reply.pk},
    )
    notify(
        recipients=[reply.author],
        verb="reply.approved",
        text=f"{actor.display_name} approved your reply to {conversation.customer}; it is on its way",
        url=reply_url(reply),
        email=False,
    )
    enqueue(reply.pk)
    reply.refresh_from_db()
    return reply


@transaction.atomic
def reply_reject(*, actor: User, reply: Reply, comment: str) -> Reply:
    if not can_approve(actor, reply):
        raise ReplyError("Only social leads approve or reject replies.")
    comment = (comment or "").strip()
    if not comment:
        raise ReplyError("Say why, so the agent can fix the reply: the comment is empty.")
    if not transition(
        reply.pk,
        State.AWAITING_APPROVAL,
        State.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_comment=mask_cards(comment)[:1000],
    ):
        current = Reply.objects.get(pk=reply.pk)
        raise ReplyError(f"Not done: this reply is already {current.get_state_display().lower()}.")
    audit_record(actor=actor, verb="reply.reject", obj=reply, after={"comment": comment})
    conversation = reply.conversation
    bump(
        conversation,
        actor=actor,
        kind=Kind.OUTBOX,
        text=f"sent {reply.author.display_name}'s reply back",
        data={"reply": reply.pk},
    )
    notify(
        recipients=[reply.author],
        verb="reply.rejected",
        text=f"{actor.display_name} sent back your reply to {conversation.customer}: {shorten(comment, 150)}",
        url=reply_url(reply),
        email=False,
    )
    reply.refresh_from_db()
    return reply
