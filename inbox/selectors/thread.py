"""One conversation's thread: its pages, what changed, the public thread around it, moderation."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from itertools import chain

from django.db.models import Q, QuerySet

from inbox.models import Conversation, ConversationEvent, Note, Reply
from inbox.selectors.cursors import BadCursor, bigint, pack, unpack
from listening.models import Author, Mention, Network


def conversation_messages(*, conversation: Conversation) -> QuerySet[Mention]:
    return (
        Mention.objects.filter(network=conversation.network, thread_key=conversation.thread_key)
        .select_related("author")
        .order_by("created_at", "id")
    )


# Events shown in the thread. Messages and notes are shown themselves, not as events.
THREAD_EVENT_KINDS = [
    ConversationEvent.Kind.REOPENED,
    ConversationEvent.Kind.STATUS,
    ConversationEvent.Kind.ASSIGNED,
    ConversationEvent.Kind.PRIORITY,
    ConversationEvent.Kind.TAGGED,
    ConversationEvent.Kind.UNTAGGED,
    ConversationEvent.Kind.OUTBOX,
    ConversationEvent.Kind.HIDDEN,
    ConversationEvent.Kind.UNHIDDEN,
    ConversationEvent.Kind.DELETED,
    ConversationEvent.Kind.ESCALATION,
    ConversationEvent.Kind.SPLIT,
    ConversationEvent.Kind.COMPLAINT,
]


# What the pane prints of a message (templates/jinja2/inbox/_thread_items.html, inbox/labels.py),
# read as rows: model instances of the message and its author cost more than the rest of the read.
_MESSAGE_FIELDS = (
    "id", "network", "kind", "direction", "text", "url", "network_thread", "created_at",
    "has_pii", "pii_findings", "priority_hint", "lang", "lang_confidence", "sentiment_label",
    "sentiment_confidence", "intent", "intent_confidence", "needs_reply", "needs_reply_confidence",
    "author_id",
)  # fmt: skip
_AUTHOR_FIELDS = ("network", "external_id", "handle", "name")
_KIND_LABELS = {value: str(label) for value, label in Mention.Kind.choices}
_NETWORK_LABELS = {value: str(label) for value, label in Network.choices}


class ThreadAuthor:
    """A message's author as the thread shows them (`display_name`, the model's own rule)."""

    __slots__ = _AUTHOR_FIELDS
    at_handle = Author.at_handle
    display_name = Author.display_name

    def __init__(self, network: str, external_id: str, handle: str, name: str) -> None:
        self.network, self.external_id, self.handle, self.name = network, external_id, handle, name


class ThreadMessage:
    """A customer message or ours in the thread: a row of `Mention`, with the model's masking."""

    __slots__ = (*_MESSAGE_FIELDS, "author", "moderation", "is_hidden")
    masked_text = Mention.masked_text

    def __init__(self, row: tuple) -> None:
        for name, value in zip(_MESSAGE_FIELDS, row, strict=False):
            setattr(self, name, value)
        self.author = ThreadAuthor(*row[len(_MESSAGE_FIELDS) :])
        self.moderation = ""
        self.is_hidden = False

    @property
    def pk(self) -> int:
        return self.id

    def get_kind_display(self) -> str:
        return _KIND_LABELS.get(self.kind, self.kind)

    def get_network_display(self) -> str:
        return _NETWORK_LABELS.get(self.network, self.network)


def _thread_messages(conversation: Conversation, cursor: tuple | None, take: int) -> list[ThreadMessage]:
    """The latest `take` messages before the cursor, newest first (mention_thread_idx)."""
    rows = (
        Mention.objects.filter(network=conversation.network, thread_key=conversation.thread_key)
        .filter(_thread_before(0, cursor))
        .order_by("-created_at", "-id")
        .values_list(*_MESSAGE_FIELDS, *(f"author__{name}" for name in _AUTHOR_FIELDS))[:take]
    )
    return [ThreadMessage(row) for row in rows]


@dataclass
class ThreadItem:
    kind: str  # "message", "note" or "event"
    at: dt.datetime
    obj: object


THREAD_PAGE = 50
# Ties on the timestamp: messages, then notes, events and replies, each by id (the pane's order).
_THREAD_RANK = {"message": 0, "note": 1, "event": 2, "reply": 3}


class ThreadPage(list):
    """The latest items of a thread, oldest first; `earlier` is the cursor of the page before, or None."""

    earlier: str | None = None


def _thread_before(rank: int, cursor: tuple | None) -> Q:
    """Items of kind `rank` strictly before the cursor (at, rank, id) in the pane's order."""
    if cursor is None:
        return Q()
    at, c_rank, c_id = cursor
    if rank < c_rank:
        return Q(created_at__lte=at)
    if rank == c_rank:
        return Q(created_at__lt=at) | Q(created_at=at, id__lt=c_id)
    return Q(created_at__lt=at)


def encode_thread_cursor(item: ThreadItem) -> str:
    return pack([item.at.isoformat(), _THREAD_RANK[item.kind], item.obj.pk])


def decode_thread_cursor(token: str) -> tuple:
    try:
        at, rank, pk = unpack(token)
        return dt.datetime.fromisoformat(at), bigint(rank), bigint(pk)
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadCursor(
            "This link to earlier messages (before) is no longer valid; open the conversation again."
        ) from exc


def conversation_thread(
    *, conversation: Conversation, before: str | None = None, limit: int = THREAD_PAGE
) -> ThreadPage:
    """The latest `limit` customer messages, replies, notes and events (before the cursor), in time order.

    Each source is read newest first with a LIMIT (mention_thread_idx, note_thread_idx,
    conv_event_version_idx), keyset-paginated on (created_at, kind, id): a 500-message thread
    renders 50 items and an "Earlier messages" link, not all 500 (docs/benchmarks.md).
    """
    cursor = decode_thread_cursor(before) if before else None
    take = limit + 1
    # The pane never shows the network's payload or edit history: not read, not decoded.
    messages = [ThreadItem("message", m.created_at, m) for m in _thread_messages(conversation, cursor, take)]
    notes = [
        ThreadItem("note", n.created_at, n)
        for n in Note.objects.filter(Q(conversation=conversation) & _thread_before(1, cursor))
        .select_related("author")
        .order_by("-created_at", "-id")[:take]
    ]
    events = [
        ThreadItem("event", e.created_at, e)
        for e in ConversationEvent.objects.filter(
            Q(conversation=conversation, kind__in=THREAD_EVENT_KINDS) & _thread_before(2, cursor)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:take]
    ]
    # The outbox: our replies not sent yet (a sent one is the outbound message in the thread).
    replies = [
        ThreadItem("reply", r.created_at, r)
        for r in Reply.objects.filter(Q(conversation=conversation) & _thread_before(3, cursor))
        .exclude(state__in=[Reply.State.SENT, Reply.State.CANCELLED, Reply.State.DRAFT])
        .select_related("author", "decided_by")
        .order_by("-created_at", "-id")[:take]
    ]
    newest_first = sorted(
        chain(messages, notes, events, replies),
        key=lambda item: (item.at, _THREAD_RANK[item.kind], item.obj.pk),
        reverse=True,
    )
    shown = newest_first[:limit]
    # What a lead did on the network (hid a comment, deleted the bank's reply) is marked on the
    # message itself; threads with no moderation event cost one small query.
    shown_messages = [item.obj for item in shown if item.kind == "message"]
    state = moderation_state(conversation) if shown_messages else {}
    for message in shown_messages:
        message.moderation = state.get(message.pk, "")
        message.is_hidden = message.moderation == "hidden"
    page = ThreadPage(reversed(shown))
    page.earlier = encode_thread_cursor(shown[-1]) if len(newest_first) > limit else None
    return page


def changes_since(*, conversation: Conversation, version: int, user) -> list[ConversationEvent]:
    """What other people (and customers) did after `version`; for the "changed" banner."""
    return list(
        ConversationEvent.objects.filter(conversation=conversation, version__gt=version)
        .exclude(actor=user)
        .exclude(kind=ConversationEvent.Kind.NOTE)
        .select_related("actor")
        .order_by("version", "id")
    )


@dataclass
class ThreadContext:
    """Other people's messages in the customer's public thread: context, never the conversation's."""

    messages: list[Mention]
    people: int
    more: bool


CONTEXT_MESSAGES = 20
CONTEXT_PEOPLE_CAP = 1000


def thread_context(*, conversation: Conversation, network_thread: str) -> ThreadContext | None:
    """The latest messages of other people in the network's thread (a viral thread is read bounded)."""
    if not network_thread:
        return None
    others = (
        Mention.objects.filter(network=conversation.network, network_thread=network_thread)
        .exclude(thread_key=conversation.thread_key)
        .exclude(author_id=conversation.customer_id)
    )
    latest = list(
        others.select_related("author")
        .defer("raw", "edit_history")
        .order_by("-created_at", "-id")[: CONTEXT_MESSAGES + 1]
    )
    if not latest:
        return None
    people = (
        Mention.objects.filter(pk__in=others.values("pk")[:CONTEXT_PEOPLE_CAP])
        .values("author_id")
        .distinct()
        .count()
    )
    return ThreadContext(
        messages=latest[:CONTEXT_MESSAGES][::-1], people=people, more=len(latest) > CONTEXT_MESSAGES
    )


_MODERATION_KINDS = (
    ConversationEvent.Kind.HIDDEN,
    ConversationEvent.Kind.UNHIDDEN,
    ConversationEvent.Kind.DELETED,
)


def moderation_state(conversation) -> dict[int, str]:
    """Mention pk -> "hidden" or "deleted", from the thread's events (the latest action wins)."""
    state: dict[int, str] = {}
    events = (
        ConversationEvent.objects.filter(conversation=conversation, kind__in=_MODERATION_KINDS)
        .order_by("version", "id")
        .values_list("kind", "data")
    )
    for kind, data in events:
        mention = data.get("mention") if isinstance(data, dict) else None
        if not isinstance(mention, int):
            continue
        if kind == ConversationEvent.Kind.UNHIDDEN:
            state.pop(mention, None)
        else:
            state[mention] = "hidden" if kind == ConversationEvent.Kind.HIDDEN else "deleted"
    return state
