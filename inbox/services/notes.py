"""Internal notes on a conversation, with @mentions of colleagues."""

from __future__ import annotations

import re

from django.db import transaction
from django.db.models.functions import Lower

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from inbox.models import Conversation, ConversationEvent, Note
from inbox.services.changes import InboxError, bump, conversation_url, require_writer
from listening.pan_vault import mask_cards

Kind = ConversationEvent.Kind


# --- Notes ---------------------------------------------------------------------------------------

MENTION_RE = re.compile(r"(?<![\w@.])@([\w.+-]{1,150})")


def mentioned_users(text: str, *, exclude: User | None = None) -> list[User]:
    """Colleagues named as @username who can read the inbox (others could not open the link)."""
    names = {match.rstrip(".").lower() for match in MENTION_RE.findall(text)}
    if not names:
        return []
    candidates = (
        User.objects.annotate(lower=Lower("username"))
        .filter(lower__in=names, is_active=True, groups__name__in=roles.INBOX_READERS)
        .distinct()
    )
    return [user for user in candidates if exclude is None or user.pk != exclude.pk]


@transaction.atomic
def note_add(*, actor: User, conversation: Conversation, text: str) -> Note:
    """An internal note; @username notifies that colleague in the app and by e-mail."""
    require_writer(actor)
    text = (text or "").strip()
    if not text:
        raise InboxError("Write something first: the note is empty.")
    if len(text) > 5000:
        raise InboxError("A note is at most 5,000 characters.")
    # A colleague may paste what the customer wrote: a card number is kept masked, as there.
    text = mask_cards(text)
    note = Note.objects.create(conversation=conversation, author=actor, text=text)
    people = mentioned_users(text, exclude=actor)
    if people:
        note.mentioned.set(people)
    bump(conversation, actor=actor, kind=Kind.NOTE, text="added a note", data={"note": note.pk})
    audit_record(
        actor=actor,
        verb="note.add",
        obj=conversation,
        after={"note": note.pk, "mentioned": [p.get_username() for p in people]},
    )
    if people:
        notify(
            recipients=people,
            verb="note.mention",
            text=f"{actor.display_name} mentioned you in a note on {conversation.customer}",
            url=f"{conversation_url(conversation)}#note-{note.pk}",
        )
    return note
