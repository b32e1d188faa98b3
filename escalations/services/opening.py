"""Escalations that routing rules open by themselves: a page of them at once.

What `escalation_open(actor=None, rule=...)` writes for one conversation, for all the
conversations of a page of new mentions in a constant number of statements: the escalations
with their SLA clocks (the departments' holidays and policies read once), their events, the
audit log, the conversations' threads and status (through `inbox.services`), the
notifications of the departments' people and the webhooks, one multi-row statement each.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.utils import timezone

from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify_many
from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.services import audit_fields
from bankbuzz.cardmask import shorten
from escalations import selectors
from escalations.models import Department, Escalation, EscalationEvent, RoutingRule
from escalations.services.clocks import start_clocks
from escalations.services.steps import EscalationError, clean_text, escalation_url, who
from escalations.sla import WorkingHours
from escalations.webhooks import emit_escalations
from inbox import services as inbox_services
from inbox.models import Conversation

logger = logging.getLogger(__name__)
State = Escalation.State
Kind = EscalationEvent.Kind
Status = Conversation.Status


@dataclass(frozen=True)
class RuleEscalation:
    """A conversation a rule escalates: the conversation as read under its row lock."""

    conversation: Conversation
    rule: RoutingRule  # with its department
    priority: int
    question: str


def escalations_open_by_rules(*, wanted: list[RuleEscalation], now: dt.datetime | None = None) -> list[int]:
    """Open the escalations `wanted`, as the system; the ids of those opened.

    One refused by `escalation_open`'s checks (an inactive department, spam, a question too
    long), or whose conversation is with an expert already (another worker, a person, since it
    was read), is skipped and logged, as the rule's escalation of one conversation is.
    """
    now = now or timezone.now()
    ready = [item for item in wanted if _acceptable(item)]
    if not ready:
        return []
    escalations = _with_clocks(ready, now)
    inserted = dict(
        inbox_services.insert_rows(
            Escalation,
            [
                {f.attname: getattr(e, f.attname) for f in Escalation._meta.concrete_fields}
                for e in escalations
            ],
            now=now,
            skip_conflicts=True,
            returning=("conversation_id", "id"),
        )
    )
    opened = []
    for escalation in escalations:
        pk = inserted.get(escalation.conversation_id)
        if pk is None:
            logger.info(
                "auto-escalation of conversation %s skipped: it is with an expert already",
                escalation.conversation_id,
            )
            continue
        escalation.pk = pk
        escalation._state.adding = False
        opened.append(escalation)
    if opened:
        _record(opened, now)
    return [e.pk for e in opened]


def _acceptable(item: RuleEscalation) -> bool:
    """`escalation_open`'s checks for the system's escalation; a refusal is logged."""
    try:
        if not item.rule.department.is_active:
            raise EscalationError(f"{item.rule.department.name} does not take escalations at the moment.")
        if item.conversation.status == Status.SPAM:
            raise EscalationError("This conversation is marked as spam; there is nothing to ask an expert.")
        clean_text(item.question, what="the question to the expert")
        if item.priority not in Conversation.Priority.values:
            raise EscalationError("That is not a priority.")
    except EscalationError as exc:
        logger.info("auto-escalation of conversation %s skipped: %s", item.conversation.pk, exc)
        return False
    return True


def _with_clocks(ready: list[RuleEscalation], now: dt.datetime) -> list[Escalation]:
    """The escalations in memory, their clocks started (holidays and SLA policies read once)."""
    departments = {item.rule.department_id: item.rule.department for item in ready}
    holidays, minutes = selectors.departments_clocks(departments)
    hours = {
        pk: WorkingHours.of(
            d.time_zone, days=d.work_days, start=d.day_start, end=d.day_end, holidays=holidays[pk]
        )
        for pk, d in departments.items()
    }
    escalations = []
    for item in ready:
        department = item.rule.department
        escalation = Escalation(
            conversation=item.conversation,
            department=department,
            rule=item.rule,
            question=clean_text(item.question, what="the question to the expert"),
            priority=item.priority,
            requested_by=None,
            opened_at=now,
            # Opened and its first event recorded: what `record_event` leaves after `escalation_open`.
            version=2,
        )
        start_clocks(
            escalation,
            now=now,
            hours=hours[department.pk],
            minutes=minutes.get((department.pk, item.priority), selectors.DEFAULT_SLA_MINUTES),
        )
        escalations.append(escalation)
    return escalations


def _opened_text(escalation: Escalation) -> str:
    return f"escalated it to {escalation.department.name} by the rule “{escalation.rule.name}”"


def _record(opened: list[Escalation], now: dt.datetime) -> None:
    """Events, audit, the conversations' side, notifications and webhooks of the opened escalations."""
    events, audits = [], []
    for e in opened:
        text = _opened_text(e)
        data = {"department": e.department_id, "priority": e.priority, "rule": e.rule_id}
        events.append({"escalation": e.pk, "actor": None, "kind": Kind.OPENED, "text": text, "data": data})
        after = {"state": e.state, "text": shorten(text, 300), **data}
        audits.append(audit_fields(actor=None, verb=f"escalation.{Kind.OPENED}", obj=e, after=after))
    inbox_services.insert_rows(EscalationEvent, events, now=now)
    inbox_services.insert_rows(AuditEvent, audits, now=now)
    inbox_services.conversations_follow_escalations(
        steps=[
            inbox_services.EscalationStep(e.conversation, _opened_text(e), {"escalation": e.pk})
            for e in opened
        ],
        status=Status.WAITING_EXPERT,
    )
    people = _departments_people({e.department_id for e in opened})
    notify_many(
        (
            people[e.department_id],
            "escalation.open",
            f"{who(None)} asked {e.department.name} about {e.conversation.customer}",
            escalation_url(e),
        )
        for e in opened
    )
    emit_escalations("escalation.opened", opened)


def _departments_people(department_ids: set[int]) -> dict[int, list[User]]:
    """The active members and leads of each department (two queries), members first."""
    people: dict[int, dict[int, User]] = {pk: {} for pk in department_ids}
    for through in (Department.members.through, Department.leads.through):
        for link in through.objects.filter(
            department_id__in=department_ids, user__is_active=True
        ).select_related("user"):
            people[link.department_id].setdefault(link.user_id, link.user)
    return {pk: list(users.values()) for pk, users in people.items()}
