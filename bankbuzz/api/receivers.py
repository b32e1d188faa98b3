"""New conversations, told to the webhooks (the inbox itself knows nothing of the API)."""

from __future__ import annotations

import logging

from django.urls import reverse

logger = logging.getLogger(__name__)


def on_mentions_received(sender, mention_ids: list[int], **kwargs) -> None:
    from bankbuzz.api.webhooks import emit
    from inbox.models import ConversationEvent
    from listening.models import Mention

    try:
        external = list(Mention.objects.filter(pk__in=mention_ids).values_list("external_id", flat=True))
        opened = (
            ConversationEvent.objects.filter(kind=ConversationEvent.Kind.OPENED, data__mention__in=external)
            .select_related("conversation")
            .order_by("id")[:1000]
        )
        for event in opened:
            conversation = event.conversation
            emit(
                "conversation.created",
                {
                    "id": conversation.pk,
                    "network": conversation.network,
                    "status": conversation.status,
                    "priority": conversation.priority,
                    "url": reverse("api:conversation-detail", args=[conversation.pk]),
                },
            )
    except Exception:
        # Ingestion has committed already; a webhook problem must not hide anything.
        logger.exception("webhooks: new conversations of mentions %s", mention_ids[:20])
