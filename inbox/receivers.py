"""The inbox's receivers, connected in `InboxConfig.ready()`.

- `on_mentions_received` (listening's `mentions_received`, inside the transaction that stored the
  mentions, under its own savepoint): attach, then tell (`inbox.events`). When it fails, the
  mentions stay stored and the orphan sweep (`inbox.attach_orphans`) attaches them.
- `on_conversations_touched` (the inbox's own `conversations_touched`): the webhooks'
  `conversation.created`, with the payload built here from the inbox's models and handed to the
  core's webhooks (`bankbuzz.api.webhooks`), which know no app. It runs after the attach, in its
  transaction, under its own savepoint; a failure is logged and called again by the inbox's
  sweep (`inbox.events`), so it does not catch errors itself.
"""

from django.urls import reverse

from bankbuzz.api import webhooks
from inbox import events
from inbox.models import Conversation
from inbox.services import conversations_attach_mentions

CONVERSATION_CREATED = "conversation.created"
# Conversations announced per INSERT of deliveries (a page of mentions is usually far fewer).
ANNOUNCE_BATCH = 1000


def on_mentions_received(sender, mention_ids: list[int], **kwargs) -> None:
    events.attach_and_tell(mention_ids=mention_ids, attach=conversations_attach_mentions)


def on_conversations_touched(sender, touched: events.Touched, **kwargs) -> None:
    opened = touched.ids_where(events.OPENED)
    if not opened:
        return
    # Most installations have no endpoint for this event: one query, and nothing per conversation.
    # The endpoints read here are the ones written to: no second read per page.
    endpoints = webhooks.subscribers(CONVERSATION_CREATED)
    if not endpoints:
        return
    for start in range(0, len(opened), ANNOUNCE_BATCH):
        batch = opened[start : start + ANNOUNCE_BATCH]
        rows = (
            Conversation.objects.filter(pk__in=batch)
            .order_by("id")
            .values_list("id", "network", "status", "priority")
        )
        webhooks.emit_many(
            CONVERSATION_CREATED,
            [
                {
                    "id": pk,
                    "network": network,
                    "status": status,
                    "priority": priority,
                    "url": reverse("api:conversation-detail", args=[pk]),
                }
                for pk, network, status, priority in rows
            ],
            endpoints=endpoints,
        )
