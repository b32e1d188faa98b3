"""A page of conversations escalated by routing rules: their thread events and status, at once.

What `conversation_event_record` and `conversation_follow_escalation` write for one escalation
by the system (`actor=None`), for many in a constant number of statements: one conditional
UPDATE of the conversations, one INSERT of their thread events, one of their audit events.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.services import audit_fields
from bankbuzz.cardmask import shorten
from inbox.models import Conversation, ConversationEvent
from inbox.services.changes import conversation_event_record
from inbox.services.conversations import (
    ESCALATION_STATUSES,
    STATUS_TEXT,
    conversation_follow_escalation,
)
from inbox.services.search import insert_rows

Kind = ConversationEvent.Kind
Status = Conversation.Status


@dataclass(frozen=True)
class EscalationStep:
    """A step of an escalation to put in its conversation's thread: "escalated it to Fraud ..."."""

    conversation: Conversation  # as read under its row lock, with its customer
    text: str
    data: dict


def conversations_follow_escalations(*, steps: list[EscalationStep], status: str) -> None:
    """Record each step in its conversation's thread and move the conversation to `status`.

    In the name of the system (a routing rule). The UPDATE is conditional on the version each
    conversation was read at; one that changed since (another worker, a person) takes the one
    by one path instead, which reads it again.
    """
    if status not in ESCALATION_STATUSES:
        raise ValueError("An escalation only moves a conversation to waiting on expert or back to open.")
    if not steps:
        return
    moved = _update(steps, status)
    events, audits = [], []
    for step in steps:
        conversation = step.conversation
        if conversation.pk not in moved:
            conversation_event_record(
                conversation=conversation, actor=None, kind=Kind.ESCALATION, text=step.text, data=step.data
            )
            conversation_follow_escalation(actor=None, conversation=conversation, status=status)
            continue
        before = conversation.status
        events.append(_event(conversation, Kind.ESCALATION, shorten(step.text, 300), step.data, 1))
        audits.append(_audit(conversation, "conversation.escalation", None, {"text": step.text}))
        if before != status:
            text = "reopened it" if conversation.is_closed and status == Status.OPEN else STATUS_TEXT[status]
            events.append(_event(conversation, Kind.STATUS, text, {"from": before, "to": status}, 2))
            audits.append(_audit(conversation, "conversation.status", {"status": before}, {"status": status}))
        _follow(conversation, status, moved[conversation.pk])
    now = timezone.now()
    insert_rows(ConversationEvent, events, now=now)
    insert_rows(AuditEvent, audits, now=now)


def _update(steps: list[EscalationStep], status: str) -> dict[int, int]:
    """One UPDATE of the conversations still at the version read; their new versions, by id."""
    rows = []
    for step in steps:
        c = step.conversation
        changes = c.status != status
        rows.append((c.pk, c.version, c.version + (2 if changes else 1), status if changes else c.status))
    values = ", ".join(["(%s::bigint, %s::integer, %s::integer, %s::varchar)"] * len(rows))
    table = Conversation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {table} AS c
            SET version = v.new_version, status = v.status,
                resolved_at = CASE WHEN c.status = %s AND v.status <> %s THEN NULL ELSE c.resolved_at END
            FROM (VALUES {values}) AS v (id, old_version, new_version, status)
            WHERE c.id = v.id AND c.version = v.old_version
            RETURNING c.id, c.version
            """,  # noqa: S608 - table name from the model, values bound
            [Status.RESOLVED, Status.RESOLVED, *(value for row in rows for value in row)],
        )
        return dict(cursor.fetchall())


def _follow(conversation: Conversation, status: str, version: int) -> None:
    """The conversation in memory as the UPDATE left it."""
    if conversation.status == Status.RESOLVED and status != Status.RESOLVED:
        conversation.resolved_at = None
    conversation.status = status
    conversation.version = version


def _event(conversation: Conversation, kind: str, text: str, data: dict, step: int) -> dict:
    return {
        "conversation": conversation.pk,
        "actor": None,
        "kind": kind,
        "text": text,
        "data": data,
        "version": conversation.version + step,
    }


def _audit(conversation: Conversation, verb: str, before: dict | None, after: dict) -> dict:
    return audit_fields(actor=None, verb=verb, obj=conversation, before=before, after=after)
