"""New conversations, told to the webhooks (the inbox itself knows nothing of the API).

Connected to the inbox's `conversations_touched` (see `inbox.events`): it runs after the
attach, in its transaction, under its own savepoint; a failure is logged and called again by
the inbox's sweep, so it does not catch errors itself.
"""

from __future__ import annotations

from django.urls import reverse

EVENT = "conversation.created"


def on_conversations_touched(sender, touched, **kwargs) -> None:
    from bankbuzz.api.models import WebhookEndpoint
    from bankbuzz.api.webhooks import emit_many
    from inbox.models import Conversation

    opened = touched.ids_where("opened")
    if not opened:
        return
    # Most installations have no endpoint for this event: one query, and nothing per conversation.
    if not any(
        EVENT in (events or [])
        for events in WebhookEndpoint.objects.filter(is_active=True).values_list("events", flat=True)
    ):
        return
    conversations = Conversation.objects.filter(pk__in=opened[:1000]).order_by("id")
    # The page's deliveries in one INSERT.
    emit_many(
        EVENT,
        [
            {
                "id": conversation.pk,
                "network": conversation.network,
                "status": conversation.status,
                "priority": conversation.priority,
                "url": reverse("api:conversation-detail", args=[conversation.pk]),
            }
            for conversation in conversations.only("id", "network", "status", "priority")
        ],
    )
