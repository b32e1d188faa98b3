"""Reads of the shared inbox that span relations."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from inbox.models import Conversation
from inbox.permissions import conversations_visible_to
from listening.models import Mention


class BadCursor(ValueError):
    pass


def encode_cursor(conversation: Conversation) -> str:
    raw = f"{conversation.last_activity_at.isoformat()}|{conversation.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[dt.datetime, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        stamp, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        return dt.datetime.fromisoformat(stamp), int(pk)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCursor("This page link is no longer valid; start again from the newest.") from exc


@dataclass
class ConversationPage:
    conversations: list[Conversation]
    next_cursor: str | None


def conversation_list(*, user, cursor: str | None = None, page_size: int = 50) -> ConversationPage:
    """Newest activity first, keyset-paginated on (last_activity_at, id): no OFFSET, no COUNT."""
    qs: QuerySet[Conversation] = conversations_visible_to(user).select_related(
        "customer", "account", "assignee"
    )
    if cursor:
        stamp, pk = decode_cursor(cursor)
        qs = qs.filter(Q(last_activity_at__lt=stamp) | Q(last_activity_at=stamp, id__lt=pk))
    rows = list(qs.order_by("-last_activity_at", "-id")[: page_size + 1])
    next_cursor = encode_cursor(rows[page_size - 1]) if len(rows) > page_size else None
    return ConversationPage(conversations=rows[:page_size], next_cursor=next_cursor)


def conversation_messages(*, conversation: Conversation) -> QuerySet[Mention]:
    return (
        Mention.objects.filter(network=conversation.network, thread_key=conversation.thread_key)
        .select_related("author")
        .order_by("created_at", "id")
    )
