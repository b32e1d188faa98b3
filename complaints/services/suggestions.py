"""Messages the understanding layer suggests as complaints, and dismissing them ("not a complaint")."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef

from bankbuzz import cardmask
from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from complaints import permissions
from complaints.models import Complaint, Dismissal
from complaints.services.steps import ComplaintError, post_to_thread
from escalations.selectors import customer_mentions
from inbox.models import Conversation
from listening.pan_vault import mask_cards

# What the understanding layer (listening.enrichment) labels that a person should look at as a
# possible complaint: dissatisfaction, and reports of fraud (a notice of error, in Regulation E's terms).
SUGGESTING_INTENTS = ("complaint", "fraud")


def customer_messages(conversation: Conversation):
    return customer_mentions(conversation)


def suggested_messages(conversation: Conversation):
    """The customer's messages labelled complaint or fraud that no person has decided on yet.

    Each candidate is looked up in the dismissals and the complaints' messages by its id (an
    index probe each), not against every complaint's messages: the register grows for years.
    """
    recorded = Complaint.messages.through.objects.filter(mention_id=OuterRef("pk"))
    dismissed = Dismissal.objects.filter(conversation=conversation, mention_id=OuterRef("pk"))
    return (
        customer_messages(conversation)
        .filter(intent__in=SUGGESTING_INTENTS)
        .exclude(Exists(dismissed))
        .exclude(Exists(recorded))
        .order_by("created_at", "id")
    )


def suggestion_dismiss(*, actor: User, conversation: Conversation, reason: str) -> int:
    """ "Not a complaint": every message suggested now is dismissed, with the reason."""
    permissions.work_access(actor)
    reason = mask_cards((reason or "").strip())
    if not reason:
        raise ComplaintError("Say why this is not a complaint: the reason is kept for the regulator.")
    with transaction.atomic():
        mentions = list(suggested_messages(conversation).values_list("pk", flat=True))
        if not mentions:
            return 0
        Dismissal.objects.bulk_create(
            [
                Dismissal(conversation=conversation, mention_id=pk, reason=reason[:300], actor=actor)
                for pk in mentions
            ],
            ignore_conflicts=True,
        )
        audit_record(
            actor=actor,
            verb="complaint.dismiss",
            obj=conversation,
            after={"messages": mentions, "reason": cardmask.shorten(reason, 300)},
        )
        post_to_thread(
            conversation,
            actor=actor,
            text=f"dismissed the suggested complaint: {cardmask.shorten(reason, 200)}",
            data={"messages": mentions},
        )
    return len(mentions)
