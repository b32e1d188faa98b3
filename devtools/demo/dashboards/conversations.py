"""One customer's conversation of the demo history, from their first message: answered, asked of
the experts (or left with them), thanked, resolved; and the outage morning's conversations."""

from __future__ import annotations

import datetime as dt

from bankbuzz.accounts.models import User
from devtools.demo.dashboards.steps import Seed, Thread, happened_at, reply, resolve, response_delay, start
from devtools.demo.dashboards.story import (
    IN_PROGRESS,
    OUTAGE_FIXED,
    OUTAGE_HOLDING,
    OUTAGE_MESSAGES,
    THANKS,
    TOPIC_TAGS,
    TOPICS,
    answer,
    question,
)
from escalations import services as escalation_services
from escalations.models import Department, Escalation, Kudos
from inbox import services as inbox_services
from inbox.models import Conversation

S = Conversation.Status


def conversation(
    ctx: Seed,
    n: int,
    network: str,
    topic: str,
    t0: dt.datetime,
    *,
    open_escalation: dt.datetime | None = None,
    taken: bool = False,
) -> None:
    """One customer's conversation from their first message; `open_escalation` is when it is asked
    of the experts and left with them (taken by one when `taken`)."""
    rng = ctx.rng
    messages, holding, _final, department_name, _priority = TOPICS[topic]
    at = t0 + response_delay(rng, t0)
    if open_escalation:
        at = t0 + (open_escalation - t0) * rng.uniform(0.3, 0.8)
    thread = start(ctx, n, network, rng.choice(messages), t0, tag=TOPIC_TAGS[topic], reply_at=at)
    late = ctx.now - dt.timedelta(minutes=5)
    recent = ctx.now - t0 < IN_PROGRESS
    if at > late or (recent and not open_escalation and rng.random() < 0.25):
        return  # not answered yet: the backlog has a few, all from the last hours
    with happened_at(thread.key, at):
        reply(ctx, network, thread.key, f"{thread.thread_key}-out1", holding, at)

    department = ctx.departments.get(department_name or "")
    expert = ctx.experts.get(department_name or "")
    escalation = None
    if (
        department is not None
        and expert is not None
        and (open_escalation or (not recent and rng.random() < 0.6))
    ):
        asked = _escalate(
            ctx, thread, topic, department, expert, at, open_escalation=open_escalation, taken=taken
        )
        if asked is None:
            return  # with the expert now, or answered too late to pass on yet
        escalation, at = asked
    _close(ctx, thread, escalation, at, recent=recent)


def _escalate(
    ctx: Seed,
    thread: Thread,
    topic: str,
    department: Department,
    expert: User,
    at: dt.datetime,
    *,
    open_escalation: dt.datetime | None,
    taken: bool,
) -> tuple[Escalation, dt.datetime] | None:
    """Ask the experts; they answer and the agent passes the answer on: (the escalation, when the
    answer was sent). None when it is still with them, or answered too recently to be sent."""
    rng = ctx.rng
    _messages, _holding, final, _department_name, priority = TOPICS[topic]
    late = ctx.now - dt.timedelta(minutes=5)
    thread.conversation.refresh_from_db()
    opened = open_escalation or at + dt.timedelta(minutes=rng.randint(2, 10))
    with happened_at(thread.key, opened):
        escalation = escalation_services.escalation_open(
            actor=thread.agent,
            conversation=thread.conversation,
            department=department,
            question=question(topic, thread.customer),
            priority=priority,
            now=opened,
        )
    if open_escalation:
        if taken:
            _take(ctx, thread, escalation, expert, opened, fraud=department.name == "Fraud")
        return None
    due = escalation.response_due_at
    if rng.random() < 0.85:  # met: answered within the response target
        answered = opened + (due - opened) * rng.uniform(0.15, 0.85)
    else:  # breached: a busy day
        answered = due + dt.timedelta(minutes=rng.randint(20, 300))
    if answered > late - dt.timedelta(hours=2):
        # A deadline after the weekend: answered on the Friday evening or the weekend's shift.
        answered = opened + (late - dt.timedelta(hours=2) - opened) * rng.uniform(0.3, 0.9)
    with happened_at(thread.key, answered):
        escalation = escalation_services.escalation_answer(
            actor=expert, escalation=escalation, answer=answer(topic), proposed_reply=final, now=answered
        )
    at = answered + dt.timedelta(minutes=rng.randint(5, 60))
    if at > late:
        return None
    with happened_at(thread.key, at):
        reply(ctx, thread.network, thread.key, f"{thread.thread_key}-out2", final, at)
    return escalation, at


def _take(
    ctx: Seed, thread: Thread, escalation: Escalation, expert: User, opened: dt.datetime, *, fraud: bool
) -> None:
    """The expert takes an open escalation; Fraud's clock is minutes, so its expert at once asks
    the agent for the payments."""
    claimed = opened + min((ctx.now - opened) / 3, dt.timedelta(minutes=ctx.rng.randint(3, 30)))
    with happened_at(thread.key, claimed):
        escalation = escalation_services.escalation_claim(actor=expert, escalation=escalation)
    if not fraud:
        return
    asked = claimed + dt.timedelta(minutes=2)
    with happened_at(thread.key, asked):
        escalation_services.escalation_request_info(
            actor=expert,
            escalation=escalation,
            question="Did the customer share any codes or card details, and which payments "
            "do they not recognise? Ask them in a private message.",
            now=asked,
        )


def _close(
    ctx: Seed, thread: Thread, escalation: Escalation | None, at: dt.datetime, *, recent: bool
) -> None:
    """After the last answer: waiting for the customer (recent ones), or thanked now and then, and
    resolved."""
    rng = ctx.rng
    late = ctx.now - dt.timedelta(minutes=5)
    if recent and rng.random() < 0.5:
        # Answered, and the customer has not come back yet.
        if at + dt.timedelta(minutes=10) < late:
            with happened_at(thread.key, at + dt.timedelta(minutes=2)):
                inbox_services.conversation_set_status(
                    actor=thread.agent,
                    conversation=thread.conversation,
                    status=S.WAITING_CUSTOMER,
                    seen_version=None,
                )
        return
    if rng.random() < 0.35:
        at = at + dt.timedelta(minutes=rng.randint(10, 180))
        if at > late:
            return
        with happened_at(thread.key, at):
            thanks = thread.inbound("thanks", rng.choice(THANKS), at)
            if escalation is not None:
                given = escalation_services.kudos_from_mentions(mention_ids=[thanks.pk])
                Kudos.objects.filter(pk__in=[k.pk for k in given]).update(created_at=at)
    resolved = at + dt.timedelta(minutes=rng.randint(5, 90))
    if resolved > late:
        return
    resolve(thread.key, thread.conversation, thread.agent, resolved)


def outage_conversation(ctx: Seed, n: int, network: str, t0: dt.datetime, fixed: dt.datetime) -> None:
    """A customer locked out on the outage morning: told it is being fixed, then that it is."""
    rng = ctx.rng
    at = t0 + dt.timedelta(minutes=rng.randint(3, 30))
    thread = start(ctx, n, network, rng.choice(OUTAGE_MESSAGES), t0, tag="app", reply_at=at)
    with happened_at(thread.key, at):
        reply(ctx, network, thread.key, f"{thread.thread_key}-out1", OUTAGE_HOLDING, at)
    at = fixed + dt.timedelta(minutes=rng.randint(1, 25))
    with happened_at(thread.key, at):
        reply(ctx, network, thread.key, f"{thread.thread_key}-out2", OUTAGE_FIXED, at)
    if rng.random() < 0.3:
        at += dt.timedelta(minutes=rng.randint(5, 60))
        with happened_at(thread.key, at):
            thread.inbound("thanks", rng.choice(THANKS), at)
    resolve(thread.key, thread.conversation, thread.agent, at + dt.timedelta(minutes=rng.randint(5, 40)))
