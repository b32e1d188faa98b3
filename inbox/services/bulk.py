"""One action on many conversations at once, each under its own checks."""

from __future__ import annotations

from dataclasses import dataclass, field

from bankbuzz.accounts.models import User
from inbox.models import Conversation
from inbox.services.changes import InboxError, require_writer
from inbox.services.conversations import (
    conversation_assign,
    conversation_claim,
    conversation_mark_spam,
    conversation_set_status,
)
from inbox.services.tags import conversation_tag_add

# --- Bulk actions -------------------------------------------------------------------------------


@dataclass
class BulkResult:
    done: int = 0
    skipped: list[str] = field(default_factory=list)


BULK_ACTIONS = ("assign", "unassign", "claim", "tag", "status", "spam")


def conversations_bulk_apply(
    *, actor: User, items: list[tuple[int, int]], action: str, value: str = "", assignee: User | None = None
) -> BulkResult:
    """Apply one action to each selected (id, version); each row on its own, stale rows skipped."""
    require_writer(actor)
    if action not in BULK_ACTIONS:
        raise InboxError("Choose an action for the selected conversations.")
    result = BulkResult()
    conversations = Conversation.objects.select_related("customer").in_bulk([pk for pk, _ in items])
    for pk, version in items:
        conversation = conversations.get(pk)
        if conversation is None:
            continue
        try:
            if action == "assign":
                conversation_assign(
                    actor=actor, conversation=conversation, assignee=assignee, seen_version=version
                )
            elif action == "unassign":
                conversation_assign(
                    actor=actor, conversation=conversation, assignee=None, seen_version=version
                )
            elif action == "claim":
                conversation_claim(actor=actor, conversation=conversation, seen_version=version)
            elif action == "tag":
                conversation_tag_add(actor=actor, conversation=conversation, name=value)
            elif action == "status":
                conversation_set_status(
                    actor=actor, conversation=conversation, status=value, seen_version=version
                )
            elif action == "spam":
                conversation_mark_spam(actor=actor, conversation=conversation, seen_version=version)
            result.done += 1
        except InboxError as exc:
            result.skipped.append(f"{conversation.customer}: {exc}")
    return result
