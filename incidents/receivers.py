"""Incidents listen to the inbox's `conversations_touched` (see inbox/events.py): by then the
new messages are attached, so the conversations they belong to exist."""

from incidents.services import incidents_match_mentions


def on_conversations_touched(sender, touched, **kwargs) -> None:
    # Idempotent: a conversation already in an incident (or taken out of it) is not joined again.
    incidents_match_mentions(mention_ids=touched.mention_ids)
