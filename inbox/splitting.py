"""Give every customer their own conversation, where earlier versions merged a public thread.

Until conversations were keyed by customer, everyone who wrote in one public thread (replies
under a tweet, comments on a Facebook or LinkedIn post) landed in the first writer's
conversation. This moves each other person's messages to a conversation of their own:

1. every stored message keeps the network's thread in `network_thread` and takes its
   author's conversation key (`listening.threads.customer_thread_key`); the bank's own posts
   take the key of the message they answered, else the original customer's;
2. each conversation takes its customer's key; status, assignee, tags, notes, escalations
   and events stay with it;
3. the other people's messages open conversations of their own through the ordinary attach
   path (new, unassigned, audited), each with an event saying why;
4. the counts, times, preview and search text of every conversation involved are worked out
   again from its own messages, and our sent replies follow the message they answered.

It runs in batches (one transaction each) and may be run again: a message whose
`network_thread` is set is done, and a conversation whose key names its customer is done.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F

from inbox import services
from inbox.models import Conversation, ConversationEvent, Reply
from listening.models import Mention
from listening.threads import THREAD_KEY_LENGTH

logger = logging.getLogger(__name__)

BATCH = 5_000

_MENTION = Mention._meta.db_table
_CONVERSATION = Conversation._meta.db_table
_AUTHOR = Mention._meta.get_field("author").related_model._meta.db_table
_PRIVATE = "({thread} LIKE 'dm:%%' OR {thread} LIKE 'm:%%')"


def _key_sql(thread: str, author: str) -> str:
    """SQL for `customer_thread_key(thread, author)` (listening.threads), character for character."""
    digest = f"left(encode(sha256(convert_to({thread}, 'UTF8')), 'hex'), 16)"
    room = f"({THREAD_KEY_LENGTH} - 16 - length({author}) - 2)"
    return f"""(CASE
        WHEN {_PRIVATE.format(thread=thread)} THEN left({thread}, {THREAD_KEY_LENGTH})
        WHEN length({thread}) + 1 + length({author}) <= {THREAD_KEY_LENGTH} THEN {thread} || '|' || {author}
        ELSE left({thread}, {room}) || '#' || {digest} || '|' || {author}
    END)"""


@dataclass
class SplitReport:
    messages_rekeyed: int = 0
    conversations_rekeyed: int = 0
    conversations_opened: list[int] = field(default_factory=list)
    conversations_recounted: int = 0


def split_merged_conversations(*, batch: int = BATCH) -> SplitReport:
    report = SplitReport()
    bounds = Mention.objects.filter(network_thread="").order_by("id").values_list("id", flat=True)
    first = bounds.first()
    last = bounds.last()
    if first is not None:
        for start in range(first, last + 1, batch):
            with transaction.atomic():
                report.messages_rekeyed += _rekey_messages(start, start + batch - 1)
    merged = _merged_conversations()
    for start in range(0, len(merged), batch):
        with transaction.atomic():
            report.conversations_rekeyed += _rekey_conversations(merged[start : start + batch])
    for start in range(0, len(merged), 200):
        with transaction.atomic():
            opened = _open_for_others(merged[start : start + 200])
            report.conversations_opened.extend(opened)
            _move_replies(merged[start : start + 200] + opened)
            report.conversations_recounted += _recount(merged[start : start + 200] + opened)
    if report.messages_rekeyed or report.conversations_opened:
        logger.info(
            "%s messages rekeyed, %s conversations rekeyed, %s opened for the other people in them",
            report.messages_rekeyed,
            report.conversations_rekeyed,
            len(report.conversations_opened),
        )
    return report


def _rekey_messages(low: int, high: int) -> int:
    """Customers' messages take their own key; the bank's take the key of what they answered."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_MENTION} AS m
            SET network_thread = m.thread_key, thread_key = {_key_sql("m.thread_key", "a.external_id")}
            FROM {_AUTHOR} AS a
            WHERE a.id = m.author_id AND m.id BETWEEN %s AND %s AND m.network_thread = ''
              AND m.direction = 'in'
            """,  # noqa: S608 - table names from the models, values bound
            [low, high],
        )
        count = cursor.rowcount
        # Our own posts: the conversation of the message they answer, else the thread's first
        # customer (whose conversation it was), else the network's thread.
        cursor.execute(
            f"""
            UPDATE {_MENTION} AS m
            SET network_thread = m.thread_key,
                thread_key = CASE WHEN {_PRIVATE.format(thread="m.thread_key")} THEN m.thread_key
                ELSE COALESCE(
                    (SELECT t.thread_key FROM {_MENTION} AS t
                     WHERE t.network = m.network AND t.external_id = m.in_reply_to
                       AND t.direction = 'in' AND t.network_thread <> ''),
                    (SELECT {_key_sql("c.thread_key", "a.external_id")}
                     FROM {_CONVERSATION} AS c JOIN {_AUTHOR} AS a ON a.id = c.customer_id
                     WHERE c.network = m.network AND c.thread_key = m.thread_key),
                    m.thread_key) END
            WHERE m.id BETWEEN %s AND %s AND m.network_thread = '' AND m.direction = 'out'
            """,  # noqa: S608 - table names from the models, values bound
            [low, high],
        )
        return count + cursor.rowcount


def _merged_conversations() -> list[int]:
    """Conversations still keyed by the network's thread alone (public threads)."""
    return list(
        Conversation.objects.exclude(thread_key__contains="|")
        .exclude(thread_key__startswith="dm:")
        .exclude(thread_key__startswith="m:")
        .order_by("id")
        .values_list("id", flat=True)
    )


def _rekey_conversations(ids: list[int]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {_CONVERSATION} AS c SET thread_key = {_key_sql("c.thread_key", "a.external_id")}
            FROM {_AUTHOR} AS a
            WHERE a.id = c.customer_id AND c.id = ANY(%s)
              AND NOT EXISTS (
                  SELECT 1 FROM {_CONVERSATION} AS o
                  WHERE o.network = c.network AND o.thread_key = {_key_sql("c.thread_key", "a.external_id")}
              )
            """,  # noqa: S608 - table names from the models, values bound
            [ids],
        )
        return cursor.rowcount


def _open_for_others(ids: list[int]) -> list[int]:
    """Open a conversation for each other person who wrote in these conversations' threads."""
    conversations = {
        (c.network, c.thread_key): c
        for c in Conversation.objects.filter(pk__in=ids).only("network", "thread_key", "version")
    }
    # The network's thread of each conversation: that of its customer's messages.
    by_thread = {}
    for network, key, thread in (
        Mention.objects.filter(thread_key__in=[key for _network, key in conversations])
        .exclude(network_thread="")
        .values_list("network", "thread_key", "network_thread")
        .distinct()
    ):
        if (network, key) in conversations:
            by_thread[(network, thread)] = conversations[(network, key)]
    if not by_thread:
        return []
    others = [
        row
        for row in Mention.objects.filter(direction=Mention.Direction.IN, for_inbox=True)
        .filter(network_thread__in=[thread for _network, thread in by_thread])
        .exclude(account__isnull=False, author__external_id=F("account__external_id"))
        .values_list("pk", "network", "network_thread", "thread_key")
        if (row[1], row[2]) in by_thread and (row[1], row[3]) not in conversations
    ]
    existing = set(
        Conversation.objects.filter(thread_key__in={row[3] for row in others}).values_list(
            "network", "thread_key"
        )
    )
    fresh = [row for row in others if (row[1], row[3]) not in existing]
    if not fresh:
        return []
    opened = services.conversations_attach_mentions(mention_ids=[row[0] for row in fresh])
    new = {(c.network, c.thread_key): c for c in Conversation.objects.filter(pk__in=opened)}
    events = {}
    for _pk, network, thread, key in fresh:
        conversation = new.get((network, key))
        if conversation is None or conversation.pk in events:
            continue
        original = by_thread[(network, thread)]
        events[conversation.pk] = ConversationEvent(
            conversation=conversation,
            kind=ConversationEvent.Kind.SPLIT,
            text=(
                f"moved out of conversation #{original.pk}, which is another customer's: "
                "every customer has a conversation of their own"
            ),
            data={"from": original.pk},
            version=conversation.version,
        )
    moved: dict[int, int] = {}
    for event in events.values():
        moved[event.data["from"]] = moved.get(event.data["from"], 0) + 1
    originals = {c.pk: c for c in by_thread.values()}
    for pk, count in moved.items():
        people = "person's messages" if count == 1 else "people's messages"
        events[-pk] = ConversationEvent(
            conversation=originals[pk],
            kind=ConversationEvent.Kind.SPLIT,
            text=f"{count} other {people} moved to conversations of their own",
            data={"moved": count},
            version=originals[pk].version,
        )
    ConversationEvent.objects.bulk_create(events.values())
    return sorted(pk for pk in events if pk > 0)


def _move_replies(ids: list[int]) -> None:
    """A sent reply belongs to the conversation of the message it answered."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {Reply._meta.db_table} AS r SET conversation_id = c.id
            FROM {_MENTION} AS m, {_CONVERSATION} AS c
            WHERE r.mention_id = m.id AND c.network = m.network AND c.thread_key = m.thread_key
              AND r.conversation_id <> c.id AND (r.conversation_id = ANY(%s) OR c.id = ANY(%s))
            """,  # noqa: S608 - table names from the models, values bound
            [ids, ids],
        )


def _recount(ids: list[int]) -> int:
    """Counts, times, preview and search text of each conversation, from its own messages."""
    if not ids:
        return 0
    conversations = list(Conversation.objects.filter(pk__in=ids).select_related("customer"))
    services.conversations_recount(conversations)
    return len(conversations)
