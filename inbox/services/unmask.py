"""Showing a message's original text to those allowed to, audited."""

from __future__ import annotations

from django.db import transaction

from bankbuzz.accounts.models import User
from bankbuzz.audit.services import audit_record
from inbox.models import Conversation
from inbox.permissions import can_unmask
from inbox.services.changes import InboxError
from listening.models import Mention, MentionOriginal
from listening.pan_vault import VaultUnreadable, unseal

# --- Personal data ---------------------------------------------------------------------------


@transaction.atomic
def mention_unmask(*, actor: User, conversation: Conversation, mention: Mention) -> str:
    """The unmasked text of one message, for roles allowed to see it; the reading is audited."""
    if not can_unmask(actor):
        raise InboxError("Your role may not reveal personal data.")
    if (mention.network, mention.thread_key) != (conversation.network, conversation.thread_key):
        raise InboxError("That message is not part of this conversation.")
    text, card_original = _original_text(mention)
    audit_record(
        actor=actor,
        verb="mention.unmask",
        obj=mention,
        after={
            "conversation": conversation.pk,
            "kinds": sorted({f.get("kind", "") for f in mention.pii_findings}),
            "card_original": card_original,
        },
    )
    return text


def _original_text(mention: Mention) -> tuple[str, str]:
    """The text as the customer wrote it, and what became of a card number's sealed original.

    ("opened": the original was unsealed; "unreadable": no key in PAN_VAULT_KEYS opens it;
    "none": nothing was sealed, or retention purged it, and the stored text is all there is.)
    """
    sealed = MentionOriginal.objects.filter(mention=mention).values_list("sealed", flat=True).first()
    if sealed is None:
        return mention.text, "none"
    try:
        return unseal(sealed), "opened"
    except VaultUnreadable:
        return mention.text, "unreadable"
