"""What every write on a complaint shares: refusals, the row lock, the version check, the
versioned save, the conversation's thread and the webhook payload.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts.models import User
from complaints.models import Complaint
from inbox import services as inbox_services
from inbox.models import Conversation, ConversationEvent


class ComplaintError(Exception):
    """A refusal with a message for the person who asked."""


class ComplaintStale(ComplaintError):
    """Someone changed the complaint since the person read it."""


def post_to_thread(conversation: Conversation | None, *, actor: User | None, text: str, data: dict) -> None:
    """Put a complaint step in the conversation's thread, so whoever opens it sees it in context."""
    if conversation is None:
        return
    inbox_services.conversation_event_record(
        conversation=conversation, actor=actor, kind=ConversationEvent.Kind.COMPLAINT, text=text, data=data
    )


def webhook_payload(complaint: Complaint) -> dict:
    return {
        "id": complaint.pk,
        "reference": complaint.reference,
        "status": complaint.status,
        "regime": complaint.regime.code,
        "conversation": complaint.conversation_id,
        "received_at": complaint.received_at.isoformat(),
        "final_due_at": complaint.final_due_at.isoformat(),
        "url": reverse("api:complaint-detail", args=[complaint.pk]),
    }


def check_version(complaint: Complaint, seen_version: int | None) -> None:
    if seen_version is not None and seen_version != complaint.version:
        raise ComplaintStale("Someone changed this complaint since you opened it: look again, then retry.")


def lock_complaint(complaint: Complaint) -> Complaint:
    return (
        Complaint.objects.select_for_update(of=("self",))
        .select_related("regime", "customer", "conversation")
        .get(pk=complaint.pk)
    )


def save_with_version(complaint: Complaint, fields: list[str]) -> None:
    complaint.version += 1
    complaint.updated_at = timezone.now()
    complaint.save(update_fields=[*fields, "version", "updated_at"])
