"""Every write of escalations: keyword-only, atomic, audited, each step an `EscalationEvent`.

The conversation side (its status, its thread) is changed only through `inbox.services`:
`conversation_follow_escalation` records the status change in the name of whoever took the
step (the specialist who answered, or the system for an automatic rule).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.api.webhooks import emit_escalation
from bankbuzz.audit.services import audit_record
from escalations import selectors
from escalations.models import Department, Escalation, EscalationEvent, Holiday, Kudos, RoutingRule, SlaPolicy
from escalations.permissions import can_answer
from escalations.sla import add_working, working_seconds_between
from inbox import services as inbox_services
from inbox.models import Conversation
from listening.models import Mention

logger = logging.getLogger(__name__)

State = Escalation.State
Kind = EscalationEvent.Kind
Status = Conversation.Status

WARN_AT = 0.75  # share of the SLA after which the first warning goes out
THANKS_INTENTS = ("thanks", "praise")
MAX_TEXT = 5000


class EscalationError(Exception):
    """A refusal with a message for the person who asked."""


class EscalationStale(EscalationError):
    """The `version` sent is not the escalation's: someone took a step since."""


# --- Helpers ----------------------------------------------------------------------------------


def _who(user: User | None) -> str:
    return user.display_name if user is not None else "BankBuzz"


def _url(escalation: Escalation) -> str:
    return reverse("escalations:detail", args=[escalation.pk])


def _conversation_url(escalation: Escalation) -> str:
    return reverse("inbox:detail", args=[escalation.conversation_id])


def _text(value: str, *, what: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise EscalationError(f"Write {what} first: it is empty.")
    if len(value) > MAX_TEXT:
        raise EscalationError(f"{what.capitalize()} is at most 5,000 characters.")
    return value


def _event(escalation: Escalation, *, actor: User | None, kind: str, text: str, data: dict | None = None):
    # Every step moves the version on (the row is locked or new here), so a caller acting on
    # what it read before this step is refused (_check_version).
    Escalation.objects.filter(pk=escalation.pk).update(version=F("version") + 1)
    escalation.version = Escalation.objects.values_list("version", flat=True).get(pk=escalation.pk)
    event = EscalationEvent.objects.create(
        escalation=escalation, actor=actor, kind=kind, text=text, data=data or {}
    )
    audit_record(
        actor=actor,
        verb=f"escalation.{kind}",
        obj=escalation,
        after={"state": escalation.state, "text": text[:300], **(data or {})},
    )
    return event


def _thread(escalation: Escalation, *, actor: User | None, text: str) -> None:
    """Put the step in the conversation's thread too, so the agent sees it in context."""
    inbox_services.conversation_event_record(
        conversation=escalation.conversation,
        actor=actor,
        kind="escalation",
        text=text,
        data={"escalation": escalation.pk},
    )


def _set_conversation_status(escalation: Escalation, *, status: str, actor: User | None) -> None:
    """Move the conversation through inbox.services, in the name of who took the step."""
    try:
        inbox_services.conversation_follow_escalation(
            actor=actor, conversation=escalation.conversation, status=status
        )
    except inbox_services.InboxError as exc:
        # The escalation step stands; the conversation keeps its status and the agent sees the event.
        logger.warning("escalation %s: conversation status not changed: %s", escalation.pk, exc)


def _locked(escalation: Escalation) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related(
            "department", "conversation", "conversation__customer", "requested_by", "assignee", "rule"
        )
        .get(pk=escalation.pk)
    )


def _check_version(escalation: Escalation, seen_version: int | None) -> None:
    """An API caller's `version`: a step someone took since it read the escalation refuses this one."""
    if seen_version is None or seen_version == escalation.version:
        return
    last = escalation.events.select_related("actor").order_by("-created_at", "-id").first()
    since = (
        f": the last step was {last.get_kind_display().lower()} by {_who(last.actor)}"
        if last is not None and seen_version < escalation.version
        else ""
    )
    raise EscalationStale(
        f"Not done: the escalation changed since you read it (version {escalation.version}, "
        f"you sent {seen_version}){since}. Read it again."
    )


def _require_expert(actor: User, escalation: Escalation) -> None:
    if not can_answer(actor, escalation):
        raise EscalationError("Only the specialists of this department answer its escalations.")


def _require_active(escalation: Escalation) -> None:
    if not escalation.is_active:
        raise EscalationError(f"This escalation is {escalation.get_state_display().lower()} already.")


# --- SLA clocks ---------------------------------------------------------------------------------

CLOCK_FIELDS = ("response_due_at", "response_warn_at", "resolution_due_at", "resolution_warn_at")


def _refresh_due(escalation: Escalation) -> None:
    if escalation.state != State.OPEN:
        escalation.due_at = None
        return
    dues = [escalation.resolution_due_at]
    if escalation.first_response_at is None:
        dues.append(escalation.response_due_at)
    dues = [d for d in dues if d is not None]
    escalation.due_at = min(dues) if dues else None


def _start_clocks(escalation: Escalation, *, now: dt.datetime) -> None:
    hours = selectors.working_hours(escalation.department)
    response, resolution = selectors.sla_minutes(escalation.department, escalation.priority)
    escalation.response_due_at = add_working(now, response * 60, hours)
    escalation.response_warn_at = add_working(now, response * 60 * WARN_AT, hours)
    escalation.resolution_due_at = add_working(now, resolution * 60, hours)
    escalation.resolution_warn_at = add_working(now, resolution * 60 * WARN_AT, hours)
    escalation.response_warned_at = escalation.response_breached_at = None
    escalation.resolution_warned_at = escalation.resolution_breached_at = None
    escalation.paused_at = None
    escalation.paused_remaining = {}
    _refresh_due(escalation)


def _pause_clocks(escalation: Escalation, *, now: dt.datetime) -> None:
    hours = selectors.working_hours(escalation.department)
    remaining = {}
    for name in CLOCK_FIELDS:
        value = getattr(escalation, name)
        if value is not None:
            remaining[name] = working_seconds_between(now, value, hours)
            setattr(escalation, name, None)
    escalation.paused_at = now
    escalation.paused_remaining = remaining
    escalation.due_at = None


def _resume_clocks(escalation: Escalation, *, now: dt.datetime) -> None:
    hours = selectors.working_hours(escalation.department)
    for name, seconds in (escalation.paused_remaining or {}).items():
        if name not in CLOCK_FIELDS:
            continue
        # Overdue before the pause: it stays overdue by as much (in plain time, it is past anyway).
        value = add_working(now, seconds, hours) if seconds > 0 else now + dt.timedelta(seconds=seconds)
        setattr(escalation, name, value)
    escalation.paused_at = None
    escalation.paused_remaining = {}
    _refresh_due(escalation)


# --- Departments (admins and social leads) -----------------------------------------------------

DEPARTMENT_FIELDS = (
    "name",
    "description",
    "time_zone",
    "work_days",
    "day_start",
    "day_end",
    "notification_email",
    "is_active",
)


def _require_department_manager(actor: User) -> None:
    if not roles.has_role(actor, roles.LEAD, roles.ADMIN):
        raise EscalationError("Only social leads and administrators manage departments.")


def _department_snapshot(department: Department) -> dict:
    data = {name: getattr(department, name) for name in DEPARTMENT_FIELDS}
    if department.pk:
        data["members"] = sorted(department.members.values_list("username", flat=True))
        data["leads"] = sorted(department.leads.values_list("username", flat=True))
    return data


@transaction.atomic
def department_save(
    *,
    actor: User | None,
    department: Department | None = None,
    fields: dict,
    members: list[User] | None = None,
    leads: list[User] | None = None,
) -> Department:
    """Create (department=None) or update a department; `actor=None` is the demo seed."""
    if actor is not None:
        _require_department_manager(actor)
    department = department or Department()
    before = _department_snapshot(department) if department.pk else None
    for name, value in fields.items():
        if name not in DEPARTMENT_FIELDS:
            raise ValueError(f"not a department field: {name}")
        setattr(department, name, value)
    department.full_clean(exclude=["members", "leads"])
    department.save()
    if members is not None:
        department.members.set(members)
    if leads is not None:
        department.leads.set(leads)
    audit_record(
        actor=actor,
        verb="department.create" if before is None else "department.update",
        obj=department,
        before=before,
        after=_department_snapshot(department),
    )
    return department


@transaction.atomic
def sla_policy_set(
    *,
    actor: User | None,
    department: Department,
    priority: int,
    first_response_minutes: int,
    resolution_minutes: int,
) -> SlaPolicy:
    if actor is not None:
        _require_department_manager(actor)
    if first_response_minutes <= 0 or resolution_minutes < first_response_minutes:
        raise EscalationError(
            "The resolution target must be at least the first-response target, both above 0."
        )
    policy, _ = SlaPolicy.objects.update_or_create(
        department=department,
        priority=priority,
        defaults={"first_response_minutes": first_response_minutes, "resolution_minutes": resolution_minutes},
    )
    audit_record(
        actor=actor,
        verb="department.sla",
        obj=department,
        after={
            "priority": priority,
            "first_response_minutes": first_response_minutes,
            "resolution_minutes": resolution_minutes,
        },
    )
    return policy


@transaction.atomic
def holiday_add(*, actor: User | None, department: Department, date: dt.date, name: str = "") -> Holiday:
    if actor is not None:
        _require_department_manager(actor)
    holiday, _ = Holiday.objects.update_or_create(
        department=department, date=date, defaults={"name": name[:80]}
    )
    audit_record(
        actor=actor, verb="department.holiday_add", obj=department, after={"date": date, "name": name}
    )
    return holiday


@transaction.atomic
def holiday_remove(*, actor: User, holiday: Holiday) -> None:
    _require_department_manager(actor)
    audit_record(
        actor=actor,
        verb="department.holiday_remove",
        obj=holiday.department,
        before={"date": holiday.date, "name": holiday.name},
    )
    holiday.delete()


# --- Routing rules (social leads) ---------------------------------------------------------------

RULE_FIELDS = (
    "name",
    "position",
    "is_active",
    "phrases",
    "intent",
    "priority_hint",
    "network",
    "language",
    "min_followers",
    "has_pii",
    "department",
    "priority",
    "auto_escalate",
)


def _rule_snapshot(rule: RoutingRule) -> dict:
    data = {name: getattr(rule, name) for name in RULE_FIELDS if name != "department"}
    data["department"] = rule.department.name if rule.department_id else None
    return data


@transaction.atomic
def routing_rule_save(*, actor: User | None, rule: RoutingRule | None = None, fields: dict) -> RoutingRule:
    if actor is not None:
        _require_department_manager(actor)
    creating = rule is None or rule.pk is None
    rule = rule or RoutingRule(created_by=actor)
    before = None if creating else _rule_snapshot(RoutingRule.objects.get(pk=rule.pk))
    for name, value in fields.items():
        if name not in RULE_FIELDS:
            raise ValueError(f"not a routing rule field: {name}")
        setattr(rule, name, value)
    rule.updated_at = timezone.now()
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        verb="routing_rule.create" if creating else "routing_rule.update",
        obj=rule,
        before=before,
        after=_rule_snapshot(rule),
    )
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    _require_department_manager(actor)
    audit_record(actor=actor, verb="routing_rule.delete", obj=rule, before=_rule_snapshot(rule))
    rule.delete()


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
    question = _text(question, what="the question to the expert")
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
    _start_clocks(escalation, now=now)
    try:
        with transaction.atomic():
            escalation.save()
    except IntegrityError:
        raise EscalationError(
            "This conversation is already with an expert: add to that escalation or wait for its answer."
        ) from None
    how = f"by the rule “{rule.name}”" if actor is None and rule else ""
    _event(
        escalation,
        actor=actor,
        kind=Kind.OPENED,
        text=f"escalated it to {department.name} {how}".strip(),
        data={"department": department.pk, "priority": priority, "rule": rule.pk if rule else None},
    )
    _thread(escalation, actor=actor, text=f"escalated it to {department.name} {how}".strip())
    _set_conversation_status(escalation, status=Status.WAITING_EXPERT, actor=actor)
    notify(
        recipients=_department_people(department),
        verb="escalation.open",
        text=f"{_who(actor)} asked {department.name} about {conversation.customer}",
        url=_url(escalation),
    )
    emit_escalation("escalation.opened", escalation)
    return escalation


@transaction.atomic
def escalation_claim(*, actor: User, escalation: Escalation, seen_version: int | None = None) -> Escalation:
    escalation = _locked(escalation)
    _check_version(escalation, seen_version)
    _require_expert(actor, escalation)
    _require_active(escalation)
    if escalation.assignee_id == actor.pk:
        return escalation
    before = escalation.assignee
    escalation.assignee = actor
    escalation.save(update_fields=["assignee"])
    text = "took it" if before is None else f"took it over from {before.display_name}"
    _event(escalation, actor=actor, kind=Kind.CLAIMED, text=text, data={"assignee": actor.pk})
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
    escalation = _locked(escalation)
    _check_version(escalation, seen_version)
    _require_expert(actor, escalation)
    if escalation.state != State.OPEN:
        raise EscalationError("You can ask for more information only while the escalation is with you.")
    question = _text(question, what="your question to the agent")
    now = now or timezone.now()
    escalation.state = State.WAITING_AGENT
    escalation.info_request = question
    escalation.first_response_at = escalation.first_response_at or now
    escalation.assignee = escalation.assignee or actor
    _pause_clocks(escalation, now=now)
    escalation.save()
    _event(escalation, actor=actor, kind=Kind.INFO_REQUESTED, text=question)
    _thread(escalation, actor=actor, text=f"({escalation.department.name}) asked for more information")
    _set_conversation_status(escalation, status=Status.OPEN, actor=actor)
    notify(
        recipients=[u for u in (escalation.requested_by, escalation.conversation.assignee) if u],
        verb="escalation.info_requested",
        text=f"{_who(actor)} ({escalation.department.name}) needs more information about "
        f"{escalation.conversation.customer}",
        url=_conversation_url(escalation),
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
    escalation = _locked(escalation)
    _check_version(escalation, seen_version)
    if escalation.state != State.WAITING_AGENT:
        raise EscalationError("The expert is not waiting for information on this escalation.")
    text = _text(text, what="the information")
    now = now or timezone.now()
    escalation.state = State.OPEN
    escalation.info_request = ""
    _resume_clocks(escalation, now=now)
    escalation.save()
    _event(escalation, actor=actor, kind=Kind.INFO_GIVEN, text=text)
    _thread(escalation, actor=actor, text=f"gave {escalation.department.name} more information")
    _set_conversation_status(escalation, status=Status.WAITING_EXPERT, actor=actor)
    notify(
        recipients=[escalation.assignee]
        if escalation.assignee
        else _department_people(escalation.department),
        verb="escalation.info_given",
        text=f"{_who(actor)} answered your question about {escalation.conversation.customer}",
        url=_url(escalation),
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
    escalation = _locked(escalation)
    _check_version(escalation, seen_version)
    _require_expert(actor, escalation)
    _require_active(escalation)
    answer = _text(answer, what="your answer")
    proposed_reply = _text(proposed_reply, what="the proposed reply", required=False)
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
    _refresh_due(escalation)
    escalation.save()
    _event(
        escalation,
        actor=actor,
        kind=Kind.ANSWERED,
        text=answer,
        data={"proposed_reply": bool(proposed_reply)},
    )
    _thread(escalation, actor=actor, text=f"answered for {escalation.department.name}")
    _set_conversation_status(escalation, status=Status.OPEN, actor=actor)
    notify(
        recipients=[u for u in (escalation.requested_by, escalation.conversation.assignee) if u],
        verb="escalation.answered",
        text=f"{_who(actor)} ({escalation.department.name}) answered about "
        f"{escalation.conversation.customer}" + (": a reply is proposed" if proposed_reply else ""),
        url=_conversation_url(escalation),
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
    escalation = _locked(escalation)
    _check_version(escalation, seen_version)
    _require_expert(actor, escalation)
    _require_active(escalation)
    reason = _text(reason, what="the reason for the transfer")
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
    _start_clocks(escalation, now=now)
    escalation.save()
    _event(
        escalation,
        actor=actor,
        kind=Kind.TRANSFERRED,
        text=f"transferred it from {old.name} to {department.name}: {reason}",
        data={"from": old.pk, "to": department.pk},
    )
    _thread(escalation, actor=actor, text=f"transferred the escalation from {old.name} to {department.name}")
    notify(
        recipients=_department_people(department),
        verb="escalation.transfer",
        text=f"{_who(actor)} ({old.name}) passed you a question about {escalation.conversation.customer}",
        url=_url(escalation),
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
    escalation = _locked(escalation)
    _check_version(escalation, seen_version)
    if not (can_answer(actor, escalation) or roles.can_work_inbox(actor)):
        raise EscalationError("Only the department's specialists or the social team close an escalation.")
    if escalation.state == State.CLOSED:
        raise EscalationError("This escalation is closed already.")
    reason = _text(reason, what="the reason", required=False)
    was_active = escalation.is_active
    escalation.state = State.CLOSED
    escalation.closed_at = now or timezone.now()
    escalation.paused_at = None
    escalation.paused_remaining = {}
    _refresh_due(escalation)
    escalation.save()
    _event(escalation, actor=actor, kind=Kind.CLOSED, text=reason or "closed it")
    _thread(escalation, actor=actor, text=f"closed the escalation to {escalation.department.name}")
    if was_active and escalation.conversation.status == Status.WAITING_EXPERT:
        _set_conversation_status(escalation, status=Status.OPEN, actor=actor)
    return escalation


# --- SLA beat ------------------------------------------------------------------------------------

# clock: (due field, warn field, warned-at field, breached-at field, only while)
CLOCKS = {
    "response": (
        "response_due_at",
        "response_warn_at",
        "response_warned_at",
        "response_breached_at",
        Q(first_response_at__isnull=True),
    ),
    "resolution": (
        "resolution_due_at",
        "resolution_warn_at",
        "resolution_warned_at",
        "resolution_breached_at",
        Q(),
    ),
}
CLOCK_LABEL = {"response": "first response", "resolution": "resolution"}


def _social_leads() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=roles.LEAD).distinct())


def _sla_recipients(escalation: Escalation) -> list[User]:
    people = [escalation.assignee, *escalation.department.leads.filter(is_active=True), *_social_leads()]
    return [u for u in people if u is not None]


def _mail_department(escalation: Escalation, text: str) -> None:
    address = escalation.department.notification_email
    if not address:
        return

    def send() -> None:
        try:
            send_mail(
                subject=f"BankBuzz: {text}"[:150],
                message=f"{text}\n\nOpen it in BankBuzz: {settings.SITE_URL}{_url(escalation)}",
                from_email=None,
                recipient_list=[address],
            )
        except Exception:
            logger.exception("could not e-mail %s about escalation %s", address, escalation.pk)

    transaction.on_commit(send)


@transaction.atomic
def _sla_signal(escalation_id: int, *, clock: str, level: str, now: dt.datetime) -> bool:
    """Send one warning or breach notice, exactly once (conditional update first)."""
    due_f, warn_f, warned_f, breached_f, only = CLOCKS[clock]
    mark = warned_f if level == "warning" else breached_f
    fields = {mark: now}
    if level == "breach":
        # A breach found late (beat was down) also counts as the 75% warning: no stale second notice.
        fields[warned_f] = now
        claimed = (
            Escalation.objects.filter(
                only, pk=escalation_id, state=State.OPEN, **{f"{breached_f}__isnull": True}
            )
            .filter(**{f"{due_f}__lte": now})
            .update(**fields)
        )
    else:
        claimed = (
            Escalation.objects.filter(
                only, pk=escalation_id, state=State.OPEN, **{f"{warned_f}__isnull": True}
            )
            .filter(**{f"{warn_f}__lte": now})
            .update(**fields)
        )
    if not claimed:
        return False
    escalation = Escalation.objects.select_related(
        "department", "assignee", "conversation", "conversation__customer"
    ).get(pk=escalation_id)
    label = CLOCK_LABEL[clock]
    handle = escalation.conversation.customer.handle
    if level == "breach":
        text = f"SLA breached ({label}): {escalation.department.name}, @{handle}"
        kind = Kind.SLA_BREACH
        if escalation.assignee_id is None:
            lead = escalation.department.leads.filter(is_active=True).order_by("pk").first()
            if lead is not None:
                escalation.assignee = lead
                escalation.save(update_fields=["assignee"])
                text += f"; assigned to {lead.display_name}"
    else:
        due = getattr(escalation, due_f)
        local = timezone.localtime(due) if due else None
        text = f"SLA due soon ({label}): {escalation.department.name}, @{handle}" + (
            f", due {local:%a %d %b %H:%M}" if local else ""
        )
        kind = Kind.SLA_WARNING
    _event(escalation, actor=None, kind=kind, text=text, data={"clock": clock})
    notify(
        recipients=_sla_recipients(escalation),
        verb=f"escalation.sla_{level}",
        text=text,
        url=_url(escalation),
    )
    _mail_department(escalation, text)
    emit_escalation(f"escalation.sla_{level}", escalation)
    return True


def escalations_check_slas(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The minute-by-minute beat: warn at 75% and at breach, each once per clock."""
    now = now or timezone.now()
    sent = {"warning": 0, "breach": 0}
    for clock, (due_f, warn_f, warned_f, breached_f, only) in CLOCKS.items():
        running = Escalation.objects.filter(only, state=State.OPEN)
        breaches = running.filter(**{f"{due_f}__lte": now, f"{breached_f}__isnull": True})
        for pk in breaches.values_list("pk", flat=True)[:500]:
            sent["breach"] += _sla_signal(pk, clock=clock, level="breach", now=now)
        warnings = running.filter(**{f"{warn_f}__lte": now, f"{warned_f}__isnull": True})
        for pk in warnings.values_list("pk", flat=True)[:500]:
            sent["warning"] += _sla_signal(pk, clock=clock, level="warning", now=now)
    return sent


# --- From new mentions: automatic escalations and kudos ---------------------------------------


def _threads_q(keys) -> Q:
    """Rows of the conversations (or mentions) of these (network, thread_key) pairs."""
    by_network: dict[str, set[str]] = {}
    for network, thread_key in keys:
        by_network.setdefault(network, set()).add(thread_key)
    where = Q(pk__in=[])
    for network, thread_keys in by_network.items():
        where |= Q(network=network, thread_key__in=thread_keys)
    return where


def _customer_messages(conversations: list[Conversation]) -> dict[int, list[Mention]]:
    """`selectors.customer_messages` of many conversations in one query, by conversation id."""
    if not conversations:
        return {}
    row = "(%s::bigint, %s::varchar, %s::varchar, %s::bigint)"
    values = ", ".join([row] * len(conversations))
    params = [value for c in conversations for value in (c.pk, c.network, c.thread_key, c.customer_id)]
    # The newest of each thread through the (network, thread_key, created_at) index; a long
    # OR of conditions would cost more to plan than to run.
    newest = Mention.objects.raw(
        f"""
        SELECT m.id, m.network, m.thread_key, m.author_id, m.direction, m.text, m.intent, m.intent_confidence,
               m.priority_hint, m.created_at, m.pii_findings, m.has_pii, t.conversation_id
        FROM (VALUES {values}) AS t (conversation_id, network, thread_key, author_id)
        CROSS JOIN LATERAL (
            SELECT * FROM {Mention._meta.db_table}
            WHERE network = t.network AND thread_key = t.thread_key
              AND direction = %s AND author_id = t.author_id
            ORDER BY created_at DESC, id DESC LIMIT %s
        ) AS m
        ORDER BY t.conversation_id, m.created_at, m.id
        """,  # noqa: S608 - table name from the model, values bound
        [*params, Mention.Direction.IN.value, selectors.ROUTING_MESSAGES],
    )
    messages: dict[int, list[Mention]] = {c.pk: [] for c in conversations}
    for mention in newest:
        messages[mention.conversation_id].append(mention)
    return messages


def escalations_auto_open(*, mention_ids: list[int]) -> list[int]:
    """Conversations touched by new customer messages, escalated by a rule that says so.

    Only a conversation that was never escalated: once people have handled one, a rule does not
    second-guess them. The rules are read once and matched in memory against the customer
    messages of all the page's conversations, read in one query.
    """
    rules = list(
        RoutingRule.objects.filter(is_active=True, department__is_active=True).select_related(
            "department", "created_by"
        )
    )
    if not any(rule.auto_escalate for rule in rules):
        return []
    keys = set(
        Mention.objects.filter(pk__in=mention_ids, direction=Mention.Direction.IN).values_list(
            "network", "thread_key"
        )
    )
    if not keys:
        return []
    opened = []
    candidates = list(
        Conversation.objects.filter(_threads_q(keys))
        .filter(status__in=(Status.NEW, Status.OPEN))
        .exclude(escalations__isnull=False)
        .select_related("customer")
        .order_by("id")
    )
    messages = _customer_messages(candidates)
    for conversation in candidates:
        suggestion = selectors.routing_suggest(conversation, rules=rules, messages=messages[conversation.pk])
        if suggestion is None or not suggestion.rule.auto_escalate:
            continue
        try:
            escalation = escalation_open(
                actor=None,
                conversation=conversation,
                department=suggestion.department,
                priority=suggestion.priority,
                question=selectors.question_prefill(conversation)
                + f"(escalated automatically by the rule “{suggestion.rule.name}”)",
                rule=suggestion.rule,
            )
        except EscalationError as exc:
            logger.info("auto-escalation of conversation %s skipped: %s", conversation.pk, exc)
            continue
        opened.append(escalation.pk)
    return opened


@transaction.atomic
def kudos_from_mentions(*, mention_ids: list[int]) -> list[Kudos]:
    """A customer who thanks us after an expert's answer earns the expert and the agent kudos.

    The answered escalations of all the thanking threads are read at once, not per mention.
    """
    thanks = list(
        Mention.objects.filter(pk__in=mention_ids, direction=Mention.Direction.IN, intent__in=THANKS_INTENTS)
        .defer("raw", "edit_history")
        .order_by("created_at")
    )
    if not thanks:
        return []
    # Which escalations could earn kudos first (a cheap query that usually finds none), then those.
    candidates = list(
        Escalation.objects.filter(
            conversation__in=Conversation.objects.filter(
                _threads_q((m.network, m.thread_key) for m in thanks)
            ).values("pk"),
            answered_at__lte=max(m.created_at for m in thanks),
            answered_by__isnull=False,
            kudos__isnull=True,
        ).values_list("pk", flat=True)
    )
    answered: dict[tuple[str, str], list[Escalation]] = {}
    for escalation in (
        Escalation.objects.filter(pk__in=candidates)
        .select_related("answered_by", "requested_by", "conversation", "conversation__customer", "department")
        .order_by("-answered_at")
        if candidates
        else []
    ):
        key = (escalation.conversation.network, escalation.conversation.thread_key)
        answered.setdefault(key, []).append(escalation)
    given = []
    for mention in thanks:
        escalation = next(
            (
                e
                for e in answered.get((mention.network, mention.thread_key), [])
                if e.answered_at <= mention.created_at
            ),
            None,
        )
        if escalation is None:
            continue
        # Kudos count once per escalation: a second thank-you in the same page gives none.
        answered[(mention.network, mention.thread_key)].remove(escalation)
        agent = escalation.requested_by or escalation.conversation.assignee
        try:
            with transaction.atomic():
                kudos = Kudos.objects.create(
                    escalation=escalation,
                    conversation=escalation.conversation,
                    mention=mention,
                    expert=escalation.answered_by,
                    agent=agent,
                )
        except IntegrityError:
            continue  # the same thanks, delivered twice
        handle = escalation.conversation.customer.handle
        _event(escalation, actor=None, kind=Kind.KUDOS, text=f"@{handle} thanked us after the answer")
        text = (
            f"Kudos! @{handle} thanked us after {escalation.answered_by.display_name}'s answer "
            f"({escalation.department.name})"
        )
        # The expert opens the conversation through the escalation (specialists have no inbox).
        notify(
            recipients=[escalation.answered_by],
            verb="escalation.kudos",
            text=text,
            url=_url(escalation),
            email=False,
        )
        if agent is not None and agent.pk != escalation.answered_by_id:
            notify(
                recipients=[agent],
                verb="escalation.kudos",
                text=text,
                url=_conversation_url(escalation),
                email=False,
            )
        given.append(kudos)
    return given
