"""Versioned changes of a conversation: the stale-action check, the audited apply, the thread events."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.urls import reverse

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from bankbuzz.cardmask import shorten
from inbox.models import Conversation, ConversationEvent

Kind = ConversationEvent.Kind


# Which changes by someone else make an action stale. A note or a tag never does: they
# add to what the user saw without contradicting it. A new customer message makes a
# status change stale (you would resolve without having read it) but not a claim.
CONFLICTS: dict[str, frozenset[str]] = {
    "assign": frozenset({Kind.ASSIGNED, Kind.STATUS, Kind.REOPENED}),
    "status": frozenset({Kind.STATUS, Kind.ASSIGNED, Kind.REOPENED, Kind.MESSAGE, Kind.REPLY}),
    "priority": frozenset({Kind.PRIORITY}),
}


class InboxError(Exception):
    """A refusal with a message for the person who asked."""


class StaleAction(InboxError):
    """The conversation changed in a way that matters since the user saw it."""

    def __init__(self, message: str, *, events: list[ConversationEvent] | None = None):
        super().__init__(message)
        self.events = events or []


def _who(user: User | None) -> str:
    return user.display_name if user is not None else "BankBuzz"


def describe_changes(events: Iterable[ConversationEvent]) -> str:
    """For people: "Ben Okafor resolved it; @rosa wrote again"."""
    parts = []
    for event in events:
        # Events without an actor (a customer's message) carry their subject in their text.
        who = _who(event.actor) if event.actor_id else ""
        parts.append(f"{who} {event.text}".strip())
    return "; ".join(dict.fromkeys(parts))


# --- The version check ---------------------------------------------------------------------


def _check_fresh(conversation: Conversation, *, seen_version: int | None, action: str, actor: User) -> None:
    if seen_version is None or conversation.version == seen_version:
        return
    if seen_version > conversation.version:
        raise StaleAction("This page is ahead of the conversation; reload it and try again.")
    changes = list(
        ConversationEvent.objects.filter(conversation=conversation, version__gt=seen_version)
        .select_related("actor")
        .order_by("version", "id")
    )
    conflicting = [
        event
        for event in changes
        if event.kind in CONFLICTS[action] and (event.actor_id is None or event.actor_id != actor.pk)
    ]
    if conflicting:
        raise StaleAction(
            f"Not done: since you opened it, {describe_changes(conflicting)}. "
            "This is the conversation as it is now; try again if it still makes sense.",
            events=conflicting,
        )


@dataclass
class Change:
    fields: dict
    events: list[tuple[str, str, dict]] = field(default_factory=list)  # (kind, text, data)
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    verb: str = ""


def apply_change(
    *,
    actor: User,
    conversation: Conversation,
    seen_version: int | None,
    action: str,
    decide: Callable[[Conversation], Change | None],
) -> Conversation:
    """Check the version, then write with `UPDATE ... WHERE version = <the version checked>`.

    When the check passes on the version the user saw, the update is conditional on
    exactly that version. If only harmless things happened since (a colleague's note),
    the check passes on the current version instead. Either way, a change that slips in
    between the check and the write makes the update match no row, and the check runs
    again, so nothing is ever applied over a change the user was not told about.
    """
    for _attempt in range(5):
        current = Conversation.objects.select_related("assignee", "customer").get(pk=conversation.pk)
        _check_fresh(current, seen_version=seen_version, action=action, actor=actor)
        change = decide(current)
        if change is None:
            return current
        new_version = current.version + 1
        updated = Conversation.objects.filter(pk=current.pk, version=current.version).update(
            **change.fields, version=new_version
        )
        if not updated:
            continue
        for kind, text, data in change.events:
            ConversationEvent.objects.create(
                conversation=current, actor=actor, kind=kind, text=text, data=data, version=new_version
            )
        audit_record(actor=actor, verb=change.verb, obj=current, before=change.before, after=change.after)
        return Conversation.objects.select_related("assignee", "customer", "account").get(pk=current.pk)
    raise StaleAction("Colleagues are changing this conversation right now; try again in a moment.")


def require_writer(actor: User) -> None:
    if not roles.can_work_inbox(actor):
        raise InboxError("Your role may read conversations but not change them.")


def conversation_url(conversation: Conversation) -> str:
    return reverse("inbox:detail", args=[conversation.pk])


# --- Events that need no version check -------------------------------------------------------


def bump(conversation: Conversation, *, actor: User | None, kind: str, text: str, data: dict) -> int:
    """Append an event that contradicts nothing (a note, a tag); returns the new version."""
    Conversation.objects.filter(pk=conversation.pk).update(version=F("version") + 1)
    version = Conversation.objects.values_list("version", flat=True).get(pk=conversation.pk)
    ConversationEvent.objects.create(
        conversation=conversation, actor=actor, kind=kind, text=text, data=data, version=version
    )
    return version


@transaction.atomic
def conversation_event_record(
    *, conversation: Conversation, actor: User | None, kind: str, text: str, data: dict | None = None
) -> int:
    """Put an event of another part (an escalation opened or answered) in the thread."""
    if kind not in Kind.values:
        raise ValueError(f"unknown event kind {kind!r}")
    version = bump(conversation, actor=actor, kind=kind, text=shorten(text, 300), data=data or {})
    audit_record(actor=actor, verb=f"conversation.{kind}", obj=conversation, after={"text": text})
    return version
