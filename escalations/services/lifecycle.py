"""The life of an escalation: open, claim, ask and give information, answer, transfer, close."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from escalations.models import Department, Escalation, EscalationEvent, RoutingRule
from escalations.permissions import can_answer
from escalations.services.clocks import pause_clocks, refresh_due, resume_clocks, start_clocks
from escalations.services.steps import (
    EscalationError,
    check_version,
    clean_text,
    conversation_url,
    escalation_url,
    lock_escalation,
    post_to_thread,
    record_event,
    require_active,
    require_expert,
    set_conversation_status,
    who,
)
from escalations.webhooks import emit_escalation
from inbox.models import Conversation

State = Escalation.State
Kind = EscalationEvent.Kind
Status = Conversation.Status


# --- Escalating --------------------------------------------------------------------------------


def _department_people(department: Department) -> list[User]:
    people = {u.pk: u for u in department.members.filter(is_active=True)}
    people.update({u.pk: u for u in department.leads.filter(is_active=True)})
    return list(people.values())


@transaction.atomic
def escalation_open(
    *,
    actor: User | None,
    conversation: Conversation,
    department: Department,
    question: str,
    priority: int | None = None,
    rule: RoutingRule | None = None,
    now: dt.datetime | None = None,
) -> Escalation:
    """Ask a department's experts; the conversation becomes "waiting on expert".

    `actor=None` is an automatic escalation by `rule`.
    """
    if actor is not None and not roles.can_work_inbox(actor):
        raise EscalationError("Only the social team escalates conversations.")
    if not department.is_active:
        raise EscalationError(f"{department.name} does not take escalations at the moment.")
    if conversation.status == Status.SPAM:
        raise EscalationError("This conversation is marked as spam; there is nothing to ask an expert.")
    question = clean_text(question, what="the question to the expert")
    priority = conversation.priority if priority is None else priority
    if priority not in Conversation.Priority.values:
        raise EscalationError("That is not a priority.")
    now = now or timezone.now()
    escalation = Escalation(
        conversation=conversation,
        department=department,
        rule=rule,
        question=question,
        priority=priority,
        requested_by=actor,
        opened_at=now,
    )
    start_clocks(escalation, now=now)
    try:
        with transaction.atomic():
            escalation.save()
    except IntegrityError:
        raise EscalationError(
            "This conversation is already with an expert: add to that escalation or wait for its answer."
        ) from None
    how = f"by the rule “{rule.name}”" if actor is None and rule else ""
    record_event(
        escalation,
        actor=actor,
        kind=Kind.OPENED,
        text=f"escalated it to {department.name} {how}".strip(),
        data={"department": department.pk, "priority": priority, "rule": rule.pk if rule else None},
    )
    post_to_thread(escalation, actor=actor, text=f"escalated it to {department.name} {how}".strip())
    set_conversation_status(escalation, status=Status.WAITING_EXPERT, actor=actor)
    notify(
        recipients=_department_people(department),
        verb="escalation.open",
        text=f"{who(actor)} asked {department.name} about {conversation.customer}",
        url=escalation_url(escalation),
    )
    emit_escalation("escalation.opened", escalation)
    return escalation


@transaction.atomic
def escalation_claim(*, actor: User, escalation: Escalation, seen_version: int | None = None) -> Escalation:
    escalation = lock_escalation(escalation)
    check_version(escalation, seen_version)
    require_expert(actor, escalation)
    require_active(escalation)
    if escalation.assignee_id == actor.pk:
        return escalation
    before = escalation.assignee
    escalation.assignee = actor
    escalation.save(update_fields=["assignee"])
    text = "took it" if before is None else f"took it over from {before.display_name}"
    record_event(escalation, actor=actor, kind=Kind.CLAIMED, text=text, data={"assignee": actor.pk})
    return escalation


@transaction.atomic
def escalation_request_info(
    *,
    actor: User,
    escalation: Escalation,
    question: str,
    now: dt.datetime | None = None,
    seen_version: int | None = None,
) -> Escalation:
    """The expert needs more from the agent: the escalation goes back to them, its clock pauses."""
    escalation = lock_escalation(escalation)
    check_version(escalation, seen_version)
    require_expert(actor, escalation)
    if escalation.state != State.OPEN:
        raise EscalationError("You can ask for more information only while the escalation is with you.")
    question = clean_text(question, what="your question to the agent")
    now = now or timezone.now()
    escalation.state = State.WAITING_AGENT
    escalation.info_request = question
    escalation.first_response_at = escalation.first_response_at or now
    escalation.assignee = escalation.assignee or actor
    pause_clocks(escalation, now=now)
    escalation.save()
    record_event(escalation, actor=actor, kind=Kind.INFO_REQUESTED, text=question)
    post_to_thread(escalation, actor=actor, text=f"({escalation.department.name}) asked for more information")
    set_conversation_status(escalation, status=Status.OPEN, actor=actor)
    notify(
        recipients=[u for u in (escalation.requested_by, escalation.conversation.assignee) if u],
        verb="escalation.info_requested",
        text=f"{who(actor)} ({escalation.department.name}) needs more information about "
        f"{escalation.conversation.customer}",
        url=conversation_url(escalation),
    )
    return escalation


@transaction.atomic
def escalation_give_info(
    *,
    actor: User,
    escalation: Escalation,
    text: str,
    now: dt.datetime | None = None,
    seen_version: int | None = None,
) -> Escalation:
    """The agent answers the expert's question: back to the expert, the clock runs again."""
    if not roles.can_work_inbox(actor):
        raise EscalationError("Only the social team answers an expert's question.")
    escalation = lock_escalation(escalation)
    check_version(escalation, seen_version)
    if escalation.state != State.WAITING_AGENT:
        raise EscalationError("The expert is not waiting for information on this escalation.")
    text = clean_text(text, what="the information")
    now = now or timezone.now()
    escalation.state = State.OPEN
    escalation.info_request = ""
    resume_clocks(escalation, now=now)
    escalation.save()
    record_event(escalation, actor=actor, kind=Kind.INFO_GIVEN, text=text)
    post_to_thread(escalation, actor=actor, text=f"gave {escalation.department.name} more information")
    set_conversation_status(escalation, status=Status.WAITING_EXPERT, actor=actor)
    notify(
        recipients=[escalation.assignee]
        if escalation.assignee
        else _department_people(escalation.department),
        verb="escalation.info_given",
        text=f"{who(actor)} answered your question about {escalation.conversation.customer}",
        url=escalation_url(escalation),
    )
    return escalation


@transaction.atomic
def escalation_answer(
    *,
    actor: User,
    escalation: Escalation,
    answer: str,
    proposed_reply: str = "",
    now: dt.datetime | None = None,
    seen_version: int | None = None,
) -> Escalation:
    """The expert's answer: internal text and, optionally, a public reply the agent may send.

    The reply is only proposed: the agent sends it from the conversation, where the personal-data
    guard and the approval rules apply as to any reply.
    """
    escalation = lock_escalation(escalation)
    check_version(escalation, seen_version)
    require_expert(actor, escalation)
    require_active(escalation)
    answer = clean_text(answer, what="your answer")
    proposed_reply = clean_text(proposed_reply, what="the proposed reply", required=False)
    now = now or timezone.now()
    escalation.state = State.ANSWERED
    escalation.answer = answer
    escalation.proposed_reply = proposed_reply
    escalation.answered_by = actor
    escalation.answered_at = now
    escalation.first_response_at = escalation.first_response_at or now
    escalation.assignee = escalation.assignee or actor
    escalation.info_request = ""
    escalation.paused_at = None
    escalation.paused_remaining = {}
    refresh_due(escalation)
    escalation.save()
    record_event(
        escalation,
        actor=actor,
        kind=Kind.ANSWERED,
        text=answer,
        data={"proposed_reply": bool(proposed_reply)},
    )
    post_to_thread(escalation, actor=actor, text=f"answered for {escalation.department.name}")
    set_conversation_status(escalation, status=Status.OPEN, actor=actor)
    notify(
        recipients=[u for u in (escalation.requested_by, escalation.conversation.assignee) if u],
        verb="escalation.answered",
        text=f"{who(actor)} ({escalation.department.name}) answered about "
        f"{escalation.conversation.customer}" + (": a reply is proposed" if proposed_reply else ""),
        url=conversation_url(escalation),
    )
    emit_escalation("escalation.answered", escalation)
    return escalation


@transaction.atomic
def escalation_transfer(
    *,
    actor: User,
    escalation: Escalation,
    department: Department,
    reason: str,
    now: dt.datetime | None = None,
    seen_version: int | None = None,
) -> Escalation:
    """Hand it to another department; its clocks start again under that department's SLA."""
    escalation = lock_escalation(escalation)
    check_version(escalation, seen_version)
    require_expert(actor, escalation)
    require_active(escalation)
    reason = clean_text(reason, what="the reason for the transfer")
    if department.pk == escalation.department_id:
        raise EscalationError("It is with that department already.")
    if not department.is_active:
        raise EscalationError(f"{department.name} does not take escalations at the moment.")
    now = now or timezone.now()
    old = escalation.department
    escalation.department = department
    escalation.assignee = None
    escalation.state = State.OPEN
    escalation.info_request = ""
    escalation.first_response_at = None
    start_clocks(escalation, now=now)
    escalation.save()
    record_event(
        escalation,
        actor=actor,
        kind=Kind.TRANSFERRED,
        text=f"transferred it from {old.name} to {department.name}: {reason}",
        data={"from": old.pk, "to": department.pk},
    )
    post_to_thread(
        escalation, actor=actor, text=f"transferred the escalation from {old.name} to {department.name}"
    )
    notify(
        recipients=_department_people(department),
        verb="escalation.transfer",
        text=f"{who(actor)} ({old.name}) passed you a question about {escalation.conversation.customer}",
        url=escalation_url(escalation),
    )
    return escalation


@transaction.atomic
def escalation_close(
    *,
    actor: User,
    escalation: Escalation,
    reason: str = "",
    now: dt.datetime | None = None,
    seen_version: int | None = None,
) -> Escalation:
    """Close it: the department's experts, or the social team once they have what they need."""
    escalation = lock_escalation(escalation)
    check_version(escalation, seen_version)
    if not (can_answer(actor, escalation) or roles.can_work_inbox(actor)):
        raise EscalationError("Only the department's specialists or the social team close an escalation.")
    if escalation.state == State.CLOSED:
        raise EscalationError("This escalation is closed already.")
    reason = clean_text(reason, what="the reason", required=False)
    was_active = escalation.is_active
    escalation.state = State.CLOSED
    escalation.closed_at = now or timezone.now()
    escalation.paused_at = None
    escalation.paused_remaining = {}
    refresh_due(escalation)
    escalation.save()
    record_event(escalation, actor=actor, kind=Kind.CLOSED, text=reason or "closed it")
    post_to_thread(escalation, actor=actor, text=f"closed the escalation to {escalation.department.name}")
    if was_active and escalation.conversation.status == Status.WAITING_EXPERT:
        set_conversation_status(escalation, status=Status.OPEN, actor=actor)
    return escalation
