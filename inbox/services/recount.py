"""Working out a conversation's counts and summary again from its own messages."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.postgres.aggregates import BoolOr
from django.db import transaction
from django.db.models import Count, Max, Min, Q

from inbox.models import Conversation
from inbox.services.attach import masked_preview
from inbox.services.search import thread_texts, update_conversations
from listening.models import Mention

# What `conversations_recount` works out again from a conversation's own messages.
RECOUNT_FIELDS = (
    "preview",
    "has_pii",
    "sentiment_label",
    "sentiment_confidence",
    "lang",
    "message_count",
    "first_received_at",
    "first_response_at",
    "last_inbound_at",
    "last_activity_at",
    "version",
)


def _keys_q(keys: Iterable[tuple[str, str]]) -> Q:
    by_network: dict[str, list[str]] = {}
    for network, thread_key in keys:
        by_network.setdefault(network, []).append(thread_key)
    where = Q(pk__in=[])
    for network, thread_keys in by_network.items():
        where |= Q(network=network, thread_key__in=thread_keys)
    return where


def conversation_sentiment_follow(*, conversation: Conversation, mention: Mention) -> None:
    """After an agent corrected the sentiment of a customer message: when it is the conversation's
    latest, the list row shows the corrected one.

    The version is left alone: a label is not the team's work on the conversation, and must not
    turn a colleague's next action stale. The correction itself is audited by its service.
    """
    if mention.direction != Mention.Direction.IN or mention.created_at < conversation.last_inbound_at:
        return
    Conversation.objects.filter(pk=conversation.pk).update(
        sentiment_label=mention.sentiment_label, sentiment_confidence=mention.sentiment_confidence
    )


def conversations_recount(conversations: list[Conversation]) -> None:
    """Work out each conversation's counts, times, preview and search text from its own messages.

    For conversations whose messages moved (inbox.splitting); the team's own fields (status,
    assignee, priority, tags) are left as they are.
    """
    keys = [(c.network, c.thread_key) for c in conversations]
    if not keys:
        return
    inbound = Q(direction=Mention.Direction.IN)
    stats = {
        (row["network"], row["thread_key"]): row
        for row in Mention.objects.filter(_keys_q(keys))
        .values("network", "thread_key")
        .annotate(
            count=Count("id"),
            first_in=Min("created_at", filter=inbound),
            last_in=Max("created_at", filter=inbound),
            last=Max("created_at"),
            first_out=Min("created_at", filter=~inbound),
            pii=BoolOr("has_pii", filter=inbound),
        )
    }
    latest = {
        (m.network, m.thread_key): m
        for m in Mention.objects.filter(_keys_q(keys) & inbound)
        .order_by("network", "thread_key", "-created_at", "-id")
        .distinct("network", "thread_key")
        .only(
            "network",
            "thread_key",
            "text",
            "pii_findings",
            "has_pii",
            "sentiment_label",
            "sentiment_confidence",
            "lang",
        )
    }
    for conversation in conversations:
        key = (conversation.network, conversation.thread_key)
        row = stats.get(key)
        if row is None:
            continue
        conversation.message_count = row["count"]
        conversation.first_received_at = row["first_in"] or conversation.first_received_at
        conversation.last_inbound_at = row["last_in"] or conversation.last_inbound_at
        conversation.last_activity_at = row["last"]
        conversation.first_response_at = row["first_out"]
        conversation.has_pii = bool(row["pii"])
        conversation.version += 1
        if key in latest:
            mention = latest[key]
            conversation.preview = masked_preview(mention)
            conversation.sentiment_label = mention.sentiment_label
            conversation.sentiment_confidence = mention.sentiment_confidence
            conversation.lang = mention.lang
    with transaction.atomic():
        list(
            Conversation.objects.select_for_update()
            .filter(pk__in=[c.pk for c in conversations])
            .order_by("id")
            .values_list("id", flat=True)
        )
        update_conversations(conversations, thread_texts(keys), fields=RECOUNT_FIELDS)
