"""What every step of an escalation shares: refusals, the row lock, the version check, the
event and the conversation's thread.
"""

from __future__ import annotations

import logging

from django.db.models import F
from django.urls import reverse

from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from escalations.models import Escalation, EscalationEvent
from escalations.permissions import can_answer
from inbox import services as inbox_services

logger = logging.getLogger(__name__)


MAX_TEXT = 5000


class EscalationError(Exception):
    """A refusal with a message for the person who asked."""


class EscalationStale(EscalationError):
    """The `version` sent is not the escalation's: someone took a step since."""


# --- Helpers ----------------------------------------------------------------------------------


def who(user: User | None) -> str:
    return user.display_name if user is not None else "BankBuzz"


def escalation_url(escalation: Escalation) -> str:
    return reverse("escalations:detail", args=[escalation.pk])


def conversation_url(escalation: Escalation) -> str:
    return reverse("inbox:detail", args=[escalation.conversation_id])


def clean_text(value: str, *, what: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise EscalationError(f"Write {what} first: it is empty.")
    if len(value) > MAX_TEXT:
        raise EscalationError(f"{what.capitalize()} is at most 5,000 characters.")
    return value


def record_event(
    escalation: Escalation, *, actor: User | None, kind: str, text: str, data: dict | None = None
):
    # Every step moves the version on (the row is locked or new here), so a caller acting on
    # what it read before this step is refused (check_version).
    Escalation.objects.filter(pk=escalation.pk).update(version=F("version") + 1)
    escalation.version = Escalation.objects.values_list("version", flat=True).get(pk=escalation.pk)
    event = EscalationEvent.objects.create(
        escalation=escalation, actor=actor, kind=kind, text=text, data=data or {}
    )
    audit_record(
        actor=actor,
        verb=f"escalation.{kind}",
        obj=escalation,
        # The event's text as stored (masked), so the cut cannot leave part of a card number.
        after={"state": escalation.state, "text": event.text[:300], **(data or {})},
    )
    return event


def post_to_thread(escalation: Escalation, *, actor: User | None, text: str) -> None:
    """Put the step in the conversation's thread too, so the agent sees it in context."""
    inbox_services.conversation_event_record(
        conversation=escalation.conversation,
        actor=actor,
        kind="escalation",
        text=text,
        data={"escalation": escalation.pk},
    )


def set_conversation_status(escalation: Escalation, *, status: str, actor: User | None) -> None:
    """Move the conversation through inbox.services, in the name of who took the step."""
    try:
        inbox_services.conversation_follow_escalation(
            actor=actor, conversation=escalation.conversation, status=status
        )
    except inbox_services.InboxError as exc:
        # The escalation step stands; the conversation keeps its status and the agent sees the event.
        logger.warning("escalation %s: conversation status not changed: %s", escalation.pk, exc)


def lock_escalation(escalation: Escalation) -> Escalation:
    return (
        Escalation.objects.select_for_update(of=("self",))
        .select_related(
            "department", "conversation", "conversation__customer", "requested_by", "assignee", "rule"
        )
        .get(pk=escalation.pk)
    )


def check_version(escalation: Escalation, seen_version: int | None) -> None:
    """An API caller's `version`: a step someone took since it read the escalation refuses this one."""
    if seen_version is None or seen_version == escalation.version:
        return
    last = escalation.events.select_related("actor").order_by("-created_at", "-id").first()
    since = (
        f": the last step was {last.get_kind_display().lower()} by {who(last.actor)}"
        if last is not None and seen_version < escalation.version
        else ""
    )
    raise EscalationStale(
        f"Not done: the escalation changed since you read it (version {escalation.version}, "
        f"you sent {seen_version}){since}. Read it again."
    )


def require_expert(actor: User, escalation: Escalation) -> None:
    if not can_answer(actor, escalation):
        raise EscalationError("Only the specialists of this department answer its escalations.")


def require_active(escalation: Escalation) -> None:
    if not escalation.is_active:
        raise EscalationError(f"This escalation is {escalation.get_state_display().lower()} already.")
