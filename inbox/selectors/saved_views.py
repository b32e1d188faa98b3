"""The inbox's saved views (the left rail): which conversations each one shows."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from inbox.models import Conversation

Status = Conversation.Status


@dataclass(frozen=True)
class SavedView:
    key: str
    label: str
    hint: str

    def q(self, user) -> Q:
        active = Q(status__in=Conversation.ACTIVE)
        return {
            "unassigned": active & Q(assignee__isnull=True),
            "mine": active & Q(assignee=user),
            "urgent": active & Q(priority=Conversation.Priority.URGENT),
            "waiting_expert": Q(status=Status.WAITING_EXPERT),
            "open": active,
            "resolved": Q(status=Status.RESOLVED),
            "spam": Q(status=Status.SPAM),
        }[self.key]


SAVED_VIEWS = {
    view.key: view
    for view in (
        SavedView("unassigned", "Unassigned", "Nobody has these yet"),
        SavedView("mine", "Mine", "Assigned to you and not resolved"),
        SavedView("urgent", "Urgent", "Urgent and not resolved"),
        SavedView("waiting_expert", "Waiting on expert", "Escalated to a department"),
        SavedView("open", "All open", "Everything not resolved or spam"),
        SavedView("resolved", "Resolved", "Done; reopens when the customer writes again"),
        SavedView("spam", "Spam", "Marked as spam"),
    )
}
DEFAULT_VIEW = "open"
