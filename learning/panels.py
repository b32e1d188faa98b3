"""The suggestion panels learning registers with the inbox (see inbox/panels.py)."""

from __future__ import annotations

from django.urls import reverse

from bankbuzz.accounts import roles
from escalations.permissions import can_answer
from inbox.reply_services import fill_variables
from learning import experiments, suggest
from learning.models import LibraryProposal
from learning.proposals import can_propose


def _shown(suggestions, *, conversation, user) -> list[dict]:
    shown = []
    for rank, item in enumerate(suggestions, start=1):
        if item.kind == "saved_reply":
            text = fill_variables(item.text, conversation=conversation, agent=user)
        else:
            text = item.summary_text()
        shown.append({"rank": rank, "kind": item.kind, "id": item.id, "title": item.title, "text": text})
    return shown


def composer_suggestions(request, conversation) -> dict | None:
    """The reply composer's three suggestions, for the people who may answer the customer."""
    user = getattr(request, "user", None)
    if not roles.can_work_inbox(user):
        return None
    found = experiments.offer(suggest.for_conversation(conversation), conversation)
    return {
        "suggestions": _shown(found, conversation=conversation, user=user),
        "suggest_target": "reply-text",
        "suggest_use_url": reverse("learning:use_conversation", args=[conversation.pk]),
    }


def escalation_suggestions(request, escalation) -> dict | None:
    """The same for the specialist writing the proposed public reply of an escalation."""
    user = getattr(request, "user", None)
    if not escalation.is_active or not can_answer(user, escalation):
        return None
    conversation = escalation.conversation
    found = suggest.for_conversation(conversation, extra_text=escalation.question)
    return {
        "suggestions": _shown(found, conversation=conversation, user=user),
        "suggest_target": "id_proposed_reply",
        "suggest_use_url": reverse("learning:use_escalation", args=[escalation.pk]),
    }


def escalation_propose(request, escalation) -> dict | None:
    """ "Propose for the library" under an answered escalation's proposed reply."""
    user = getattr(request, "user", None)
    if not escalation.answered_at or not escalation.proposed_reply or not can_propose(user, escalation):
        return None
    proposal = (
        LibraryProposal.objects.filter(escalation=escalation)
        .order_by("-created_at")
        .select_related("saved_reply")
        .first()
    )
    return {"proposal": proposal, "escalation": escalation}
