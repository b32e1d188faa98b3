"""New conversations, told to the webhooks (the inbox itself knows nothing of the API)."""

from __future__ import annotations

import logging

from django.db.models import Q
from django.urls import reverse

logger = logging.getLogger(__name__)

EVENT = "conversation.created"


def on_mentions_received(sender, mention_ids: list[int], **kwargs) -> None:
    from bankbuzz.api.models import WebhookEndpoint
    from bankbuzz.api.webhooks import emit_many
    from inbox.models import Conversation, ConversationEvent
    from listening.models import Mention

    try:
        # Most installations have no endpoint for this event: one query, and nothing per mention.
        if not any(
            EVENT in (events or [])
            for events in WebhookEndpoint.objects.filter(is_active=True).values_list("events", flat=True)
        ):
            return
        mentions = Mention.objects.filter(pk__in=mention_ids).values_list(
            "network", "thread_key", "external_id"
        )
        threads: dict[str, set[str]] = {}
        external = set()
        for network, thread_key, external_id in mentions:
            threads.setdefault(network, set()).add(thread_key)
            external.add(external_id)
        if not threads:
            return
        where = Q()
        for network, thread_keys in threads.items():
            where |= Q(network=network, thread_key__in=thread_keys)
        # Through the page's conversations (unique on network and thread), not a scan of all events.
        opened = (
            ConversationEvent.objects.filter(
                kind=ConversationEvent.Kind.OPENED,
                conversation__in=Conversation.objects.filter(where).values("pk"),
                data__mention__in=external,
            )
            .select_related("conversation")
            .order_by("id")[:1000]
        )
        # The page's deliveries in one INSERT.
        emit_many(
            EVENT,
            [
                {
                    "id": event.conversation.pk,
                    "network": event.conversation.network,
                    "status": event.conversation.status,
                    "priority": event.conversation.priority,
                    "url": reverse("api:conversation-detail", args=[event.conversation.pk]),
                }
                for event in opened
            ],
        )
    except Exception:
        # Ingestion has committed already; a webhook problem must not hide anything.
        logger.exception("webhooks: new conversations of mentions %s", mention_ids[:20])
