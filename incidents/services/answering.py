"""Answering everyone in an incident: the reply template, then a personal reply per conversation."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from inbox import reply_services
from inbox.models import Conversation, Reply
from inbox.services import InboxError, StaleAction, conversation_set_status
from incidents.models import Incident, IncidentConversation, Post, PostDelivery
from incidents.services.access import IncidentError, can_lead
from incidents.services.holding import hold_reason
from incidents.services.membership import require_open
from incidents.services.pacing import Pace
from listening.models import Mention

Status = Conversation.Status

VARIABLES = (*reply_services.VARIABLES, "status_link")


def status_post(incident: Incident, purpose: str = Post.Purpose.STATUS) -> Post | None:
    return (
        incident.posts.filter(purpose=purpose)
        .exclude(state__in=(Post.State.WITHDRAWN, Post.State.REJECTED))
        .order_by("-created_at")
        .first()
    )


def status_links(incident: Incident) -> dict[str, str]:
    """The published status post's URL per network."""
    post = status_post(incident)
    if post is None:
        return {}
    sent = PostDelivery.objects.filter(post=post, state=PostDelivery.State.SENT).exclude(url="")
    return dict(sent.values_list("account__network", "url"))


def check_template(text: str, *, incident: Incident) -> str:
    text = (text or "").strip()
    if not text:
        raise IncidentError("Write the reply first: it is empty.")
    if len(text) > 2000:
        raise IncidentError("Keep the reply under 2,000 characters.")
    problem = reply_services.unknown_variables(text, VARIABLES)
    if problem:
        raise IncidentError(problem)
    if "{status_link}" in text and not status_links(incident):
        raise IncidentError(
            "The reply links to the status post, which is not published yet: publish it first "
            "(or take {status_link} out)."
        )
    return text


def fill(text: str, *, conversation: Conversation, agent: User, links: dict[str, str]) -> str:
    link = links.get(conversation.network) or next(iter(links.values()), "")
    return reply_services.fill_variables(
        text.replace("{status_link}", link), conversation=conversation, agent=agent
    )


@transaction.atomic
def incident_replies_prepare(
    *, actor: User, incident: Incident, text: str, follow_up: bool = False
) -> Incident:
    """Store the incident's reply (or follow-up) and hand the sending to a worker after the commit."""
    from incidents.tasks import send_replies

    if not can_lead(actor):
        raise IncidentError("Only social leads send a reply to every conversation of an incident.")
    if not follow_up:
        require_open(incident)
    text = check_template(text, incident=incident)
    field_name = "follow_up_text" if follow_up else "reply_text"
    before = getattr(incident, field_name)
    Incident.objects.filter(pk=incident.pk).update(**{field_name: text})
    setattr(incident, field_name, text)
    audit_record(
        actor=actor,
        verb=f"incident.{'follow_up' if follow_up else 'reply'}_prepare",
        obj=incident,
        before={"text": before},
        after={"text": text},
    )
    pk, actor_id = incident.pk, actor.pk
    transaction.on_commit(lambda: send_replies.delay(pk, actor_id, follow_up), robust=True)
    return incident


@dataclass
class SendOutcome:
    queued: list[int] = field(default_factory=list)
    held: dict[int, str] = field(default_factory=dict)
    skipped: list[int] = field(default_factory=list)
    # More conversations than one run takes: the task queues another run.
    more: bool = False

    def as_dict(self) -> dict:
        return {
            "queued": len(self.queued),
            "held": len(self.held),
            "skipped": len(self.skipped),
            "more": self.more,
        }


def _send_one(
    *, actor: User, member: IncidentConversation, text: str, links: dict, pace: Pace, follow_up: bool
) -> tuple[str, str]:
    conversation = Conversation.objects.select_related("customer", "account").get(pk=member.conversation_id)
    reason = "" if follow_up else hold_reason(conversation, member.incident)
    if reason:
        return "held", reason
    routes = reply_services.reply_routes(conversation=conversation)
    public, private = routes[Reply.Channel.PUBLIC], routes[Reply.Channel.PRIVATE]
    route = public if public.available else private
    if not route.available:
        private_thread = conversation.kind == Mention.Kind.DIRECT or conversation.thread_key.startswith(
            ("dm:", "m:", "ig:")
        )
        return "held", private.note if private_thread else public.note
    not_before = pace.slot(conversation.network)
    if route.window_ends is not None and not_before is not None and route.window_ends <= not_before:
        return "held", f"The private-message window closes before this reply's batch: {route.note}"
    body = fill(text, conversation=conversation, agent=actor, links=links)
    try:
        reply = reply_services.reply_submit(
            actor=actor, conversation=conversation, channel=route.channel, text=body, seen_version=None
        )
    except reply_services.ReplyBlocked as exc:
        return "held", str(exc)
    except (InboxError, StaleAction) as exc:
        return "held", str(exc)
    if not_before is not None:
        Reply.objects.filter(pk=reply.pk).update(not_before=not_before)
    field_name = "follow_up" if follow_up else "reply"
    IncidentConversation.objects.filter(pk=member.pk).update(**{field_name: reply})
    return "queued", str(reply.pk)


# Conversations one run answers; a task's run stays well within its time limit, the next run
# (queued by the task) takes the rest.
RUN_SIZE = 200


def _run(
    *, actor: User, incident: Incident, follow_up: bool, now: dt.datetime | None = None, limit: int = RUN_SIZE
) -> SendOutcome:
    now = now or timezone.now()
    incident.refresh_from_db()
    text = incident.follow_up_text if follow_up else incident.reply_text
    outcome = SendOutcome()
    if not text:
        return outcome
    links = status_links(incident)
    pace = Pace(incident, now)
    members = IncidentConversation.objects.filter(incident=incident, removed_at__isnull=True)
    if follow_up:
        members = members.filter(follow_up__isnull=True, reply__state=Reply.State.SENT)
    else:
        # Held ones are looked at again: a corrected label or a person's change may free them.
        members = members.filter(reply__isnull=True, conversation__first_response_at__isnull=True)
    ids = list(members.order_by("joined_at", "pk").values_list("pk", flat=True)[: limit + 1])
    outcome.more = len(ids) > limit
    for member_id in ids[:limit]:
        with transaction.atomic():
            # One conversation at a time, claimed under its row lock: two runs never answer it twice.
            member = (
                IncidentConversation.objects.select_for_update(skip_locked=True)
                .filter(pk=member_id, removed_at__isnull=True)
                .filter(Q(follow_up__isnull=True) if follow_up else Q(reply__isnull=True))
                .first()
            )
            if member is None:
                outcome.skipped.append(member_id)
                continue
            if follow_up and _wrote_since(member):
                outcome.skipped.append(member.conversation_id)
                continue
            member.incident = incident
            result, detail = _send_one(
                actor=actor, member=member, text=text, links=links, pace=pace, follow_up=follow_up
            )
            if result == "held":
                if not follow_up:
                    IncidentConversation.objects.filter(pk=member.pk).update(held_reason=detail[:300])
                outcome.held[member.conversation_id] = detail
            else:
                if member.held_reason:
                    IncidentConversation.objects.filter(pk=member.pk).update(held_reason="")
                outcome.queued.append(member.conversation_id)
            if follow_up and result == "queued":
                conversation = Conversation.objects.get(pk=member.conversation_id)
                if conversation.status in Conversation.ACTIVE:
                    conversation_set_status(
                        actor=actor, conversation=conversation, status=Status.RESOLVED, seen_version=None
                    )
    audit_record(
        actor=actor,
        verb=f"incident.{'follow_ups' if follow_up else 'replies'}_sent",
        obj=incident,
        after=outcome.as_dict(),
    )
    return outcome


def _wrote_since(member: IncidentConversation) -> bool:
    """The customer wrote after our incident reply went: they said something new, a person reads it."""
    sent_at = Reply.objects.filter(pk=member.reply_id).values_list("sent_at", flat=True).first()
    last = (
        Conversation.objects.filter(pk=member.conversation_id)
        .values_list("last_inbound_at", flat=True)
        .first()
    )
    return bool(sent_at and last and last > sent_at)


def incident_replies_send(
    *, actor: User, incident: Incident, now: dt.datetime | None = None, limit: int = RUN_SIZE
) -> SendOutcome:
    if not can_lead(actor):
        raise IncidentError("Only social leads send a reply to every conversation of an incident.")
    return _run(actor=actor, incident=incident, follow_up=False, now=now, limit=limit)


def incident_follow_ups_send(
    *, actor: User, incident: Incident, now: dt.datetime | None = None, limit: int = RUN_SIZE
) -> SendOutcome:
    if not can_lead(actor):
        raise IncidentError("Only social leads close an incident's loop.")
    return _run(actor=actor, incident=incident, follow_up=True, now=now, limit=limit)
