"""Every write of the shared inbox."""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import F

from bankbuzz.audit.services import audit_record
from inbox.models import Conversation
from listening.models import Mention

logger = logging.getLogger(__name__)

PRIORITY_FROM_HINT = {
    "urgent": Conversation.Priority.URGENT,
    "high": Conversation.Priority.HIGH,
    "normal": Conversation.Priority.NORMAL,
    "low": Conversation.Priority.LOW,
}


def _masked_preview(mention: Mention) -> str:
    return " ".join(mention.masked_text.split())[:280]


def conversations_attach_mentions(*, mention_ids: list[int]) -> list[int]:
    """Attach new mentions to their conversations, creating or reopening them.

    Inbound messages from customers open a conversation; our own posts only
    update one that exists. Returns the ids of the conversations touched.
    """
    mentions = (
        Mention.objects.filter(pk__in=mention_ids)
        .select_related("author", "account")
        .order_by("created_at", "id")
    )
    touched: list[int] = []
    for mention in mentions:
        conversation_id = _attach_one(mention)
        if conversation_id is not None:
            touched.append(conversation_id)
    return touched


@transaction.atomic
def _attach_one(mention: Mention) -> int | None:
    own_account = mention.account is not None and mention.author.external_id == mention.account.external_id
    if mention.direction == Mention.Direction.OUT or own_account:
        # The bank's own words never open a conversation.
        conversation = (
            Conversation.objects.select_for_update()
            .filter(network=mention.network, thread_key=mention.thread_key)
            .first()
        )
        if conversation is None:
            return None
        conversation.last_activity_at = max(conversation.last_activity_at, mention.created_at)
        conversation.message_count = F("message_count") + 1
        conversation.version = F("version") + 1
        conversation.save(update_fields=["last_activity_at", "message_count", "version"])
        return conversation.pk

    priority = PRIORITY_FROM_HINT.get(mention.priority_hint, Conversation.Priority.NORMAL)
    conversation, created = Conversation.objects.select_for_update().get_or_create(
        network=mention.network,
        thread_key=mention.thread_key,
        defaults={
            "account": mention.account,
            "customer": mention.author,
            "status": Conversation.Status.SPAM if mention.is_spam else Conversation.Status.NEW,
            "priority": priority,
            "preview": _masked_preview(mention),
            "has_pii": mention.has_pii,
            "sentiment_label": mention.sentiment_label,
            "lang": mention.lang,
            "kind": mention.kind,
            "message_count": 1,
            "first_received_at": mention.created_at,
            "last_inbound_at": mention.created_at,
            "last_activity_at": mention.created_at,
        },
    )
    if created:
        audit_record(
            actor=None,
            verb="conversation.open",
            obj=conversation,
            after={"status": conversation.status, "mention": mention.external_id},
        )
        return conversation.pk

    before = {"status": conversation.status}
    if mention.created_at >= conversation.last_inbound_at:
        conversation.preview = _masked_preview(mention)
        conversation.sentiment_label = mention.sentiment_label or conversation.sentiment_label
        conversation.last_inbound_at = mention.created_at
    conversation.last_activity_at = max(conversation.last_activity_at, mention.created_at)
    conversation.has_pii = conversation.has_pii or mention.has_pii
    conversation.priority = max(conversation.priority, priority)
    conversation.message_count += 1
    conversation.version += 1
    reopened = conversation.status == Conversation.Status.RESOLVED
    if reopened:
        # A customer writing again after we resolved it needs us again.
        conversation.status = Conversation.Status.OPEN
        conversation.resolved_at = None
    conversation.save()
    if reopened:
        audit_record(
            actor=None,
            verb="conversation.reopen",
            obj=conversation,
            before=before,
            after={"status": conversation.status, "mention": mention.external_id},
        )
    return conversation.pk
