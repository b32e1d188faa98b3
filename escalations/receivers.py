"""Escalations' receivers of `inbox.events.conversations_touched`: routing rules, and kudos.

Two receivers, so one failing does not hold the other back. Both are idempotent (a conversation
escalated once is not again; kudos count once per escalation): the sweep may call one again
after a failure (`inbox.events`).
"""

from escalations.services import escalations_auto_open, kudos_from_mentions


def on_touched_route(sender, touched, **kwargs) -> None:
    """Rules that escalate by themselves, for conversations with new customer messages."""
    if touched.ids_where("opened", "message"):
        escalations_auto_open(mention_ids=touched.mention_ids)


def on_touched_kudos(sender, touched, **kwargs) -> None:
    """Kudos for a customer's thanks after an expert's answer."""
    if touched.ids_where("message"):
        kudos_from_mentions(mention_ids=touched.mention_ids)
