"""Assignment, status and priority of a conversation: each takes the version the user saw."""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from inbox.models import Conversation, ConversationEvent
from inbox.services.changes import Change, InboxError, apply_change, conversation_url, require_writer

Kind = ConversationEvent.Kind
Status = Conversation.Status


# --- Assignment ------------------------------------------------------------------------------


@transaction.atomic
def conversation_assign(
    *, actor: User, conversation: Conversation, assignee: User | None, seen_version: int | None
) -> Conversation:
    """Assign to a colleague, to oneself (claim) or to nobody (assignee=None)."""
    require_writer(actor)
    if assignee is not None and not (assignee.is_active and roles.can_work_inbox(assignee)):
        raise InboxError(f"{assignee.display_name} does not work the inbox, so cannot be assigned.")

    def decide(current: Conversation) -> Change | None:
        if current.assignee_id == (assignee.pk if assignee else None):
            return None
        fields: dict = {"assignee": assignee}
        if assignee is None:
            text = "unassigned it"
        elif assignee.pk == actor.pk:
            text = "took it"
        else:
            text = f"assigned it to {assignee.display_name}"
        events = [(Kind.ASSIGNED, text, {"assignee": assignee.pk if assignee else None})]
        after = {"assignee": assignee.get_username() if assignee else None}
        if assignee is not None and current.status == Status.NEW:
            # Someone has it now: it is no longer new.
            fields["status"] = Status.OPEN
            after["status"] = Status.OPEN
        return Change(
            fields=fields,
            events=events,
            verb="conversation.assign",
            before={
                "assignee": current.assignee.get_username() if current.assignee else None,
                "status": current.status,
            },
            after=after,
        )

    result = apply_change(
        actor=actor, conversation=conversation, seen_version=seen_version, action="assign", decide=decide
    )
    if assignee is not None and assignee.pk != actor.pk and result.assignee_id == assignee.pk:
        notify(
            recipients=[assignee],
            verb="conversation.assign",
            text=f"{actor.display_name} assigned you the conversation with {result.customer}",
            url=conversation_url(result),
            email=False,
        )
    return result


def conversation_claim(*, actor: User, conversation: Conversation, seen_version: int | None) -> Conversation:
    return conversation_assign(
        actor=actor, conversation=conversation, assignee=actor, seen_version=seen_version
    )


# --- Status and priority ------------------------------------------------------------------------

STATUS_TEXT = {
    Status.OPEN: "set it to open",
    Status.WAITING_CUSTOMER: "set it to waiting on the customer",
    Status.WAITING_EXPERT: "set it to waiting on an expert",
    Status.RESOLVED: "resolved it",
    Status.SPAM: "marked it as spam",
}


def _status_change(status: str) -> Callable[[Conversation], Change | None]:
    def decide(current: Conversation) -> Change | None:
        if current.status == status:
            return None
        fields: dict = {"status": status}
        now = timezone.now()
        if status == Status.RESOLVED:
            fields["resolved_at"] = now
        elif current.status == Status.RESOLVED:
            fields["resolved_at"] = None
        text = "reopened it" if current.is_closed and status == Status.OPEN else STATUS_TEXT[status]
        return Change(
            fields=fields,
            events=[(Kind.STATUS, text, {"from": current.status, "to": status})],
            verb="conversation.status",
            before={"status": current.status},
            after={"status": status},
        )

    return decide


@transaction.atomic
def conversation_set_status(
    *, actor: User, conversation: Conversation, status: str, seen_version: int | None
) -> Conversation:
    require_writer(actor)
    if status not in STATUS_TEXT:
        # "New" belongs to conversations nobody has looked at; people move them on, not back.
        raise InboxError("That is not a status you can set.")
    return apply_change(
        actor=actor,
        conversation=conversation,
        seen_version=seen_version,
        action="status",
        decide=_status_change(status),
    )


# The statuses an escalation step moves a conversation to.
ESCALATION_STATUSES = frozenset({Status.WAITING_EXPERT, Status.OPEN})


@transaction.atomic
def conversation_follow_escalation(
    *, actor: User | None, conversation: Conversation, status: str
) -> Conversation:
    """The status change an escalation step brings: waiting on expert, or back to open.

    Recorded in the name of whoever took the step (the specialist who answered, the agent who
    escalated) or of the system (a routing rule), so the thread and the audit log say who did it.
    The caller has already checked that the actor may take that step.
    """
    if status not in ESCALATION_STATUSES:
        raise InboxError("An escalation only moves a conversation to waiting on expert or back to open.")
    return apply_change(
        actor=actor,
        conversation=conversation,
        seen_version=None,
        action="status",
        decide=_status_change(status),
    )


def conversation_resolve(
    *, actor: User, conversation: Conversation, seen_version: int | None
) -> Conversation:
    return conversation_set_status(
        actor=actor, conversation=conversation, status=Status.RESOLVED, seen_version=seen_version
    )


def conversation_mark_spam(
    *, actor: User, conversation: Conversation, seen_version: int | None
) -> Conversation:
    return conversation_set_status(
        actor=actor, conversation=conversation, status=Status.SPAM, seen_version=seen_version
    )


@transaction.atomic
def conversation_set_priority(
    *, actor: User, conversation: Conversation, priority: int, seen_version: int | None
) -> Conversation:
    require_writer(actor)
    try:
        priority = Conversation.Priority(int(priority))
    except ValueError:
        raise InboxError("That is not a priority.") from None

    def decide(current: Conversation) -> Change | None:
        if current.priority == priority:
            return None
        return Change(
            fields={"priority": priority},
            events=[(Kind.PRIORITY, f"set the priority to {priority.label.lower()}", {"to": int(priority)})],
            verb="conversation.priority",
            before={"priority": current.priority},
            after={"priority": int(priority)},
        )

    return apply_change(
        actor=actor, conversation=conversation, seen_version=seen_version, action="priority", decide=decide
    )
