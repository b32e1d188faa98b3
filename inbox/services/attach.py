"""The attach pipeline: new mentions join their conversations, in chunks, under row locks."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import DatabaseError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from bankbuzz.audit.context import client_address
from bankbuzz.audit.models import AuditEvent
from inbox.models import Conversation, ConversationEvent
from inbox.services.search import insert_conversations, insert_rows, thread_texts, update_conversations
from listening.models import Mention

logger = logging.getLogger(__name__)
Kind = ConversationEvent.Kind
Status = Conversation.Status


PRIORITY_FROM_HINT = {
    "urgent": Conversation.Priority.URGENT,
    "high": Conversation.Priority.HIGH,
    "normal": Conversation.Priority.NORMAL,
    "low": Conversation.Priority.LOW,
}


# --- New messages from the networks ------------------------------------------------------------


def masked_preview(mention: Mention) -> str:
    return " ".join(mention.masked_text.split())[:280]


ATTACH_CHUNK = 200  # mentions per transaction: few commits, bounded lock time


# What attaching a message changes on a conversation (the rest is the team's, and left alone).
ATTACH_FIELDS = (
    "status",
    "priority",
    "preview",
    "has_pii",
    "sentiment_label",
    "sentiment_confidence",
    "last_inbound_at",
    "last_activity_at",
    "message_count",
    "version",
    "first_response_at",
    "resolved_at",
)


# What attaching reads of a mention (not its raw payload), with its author.
ATTACH_READS = (
    "network",
    "thread_key",
    "external_id",
    "account",
    "author",
    "direction",
    "kind",
    "text",
    "created_at",
    "lang",
    "sentiment_label",
    "sentiment_confidence",
    "pii_findings",
    "has_pii",
    "priority_hint",
    "is_spam",
)


def conversations_attach_mentions(*, mention_ids: list[int]) -> list[int]:
    """Attach new mentions to their conversations, creating or reopening them.

    Inbound messages from customers open a conversation; our own posts only
    update one that exists. Returns the ids of the conversations touched.

    Up to `ATTACH_CHUNK` mentions are attached in one transaction, in a constant
    number of statements whatever their number (see `_attach_page`). When that
    fails, the threads are attached again one by one, each under its own savepoint,
    so one bad thread does not keep the others out of the inbox. A thread that fails
    alone is logged and left for `conversations_attach_orphans` (beat, every minute):
    the mention is stored, so it is late, never lost.
    """
    mentions = list(
        # A listening query's search hits may be kept out of the inbox (Mention.for_inbox).
        Mention.objects.filter(pk__in=mention_ids, for_inbox=True)
        .select_related("author")
        .only(*ATTACH_READS)
        # The account's own id, to tell the bank's own posts (no SocialAccount object a mention).
        .annotate(account_external_id=F("account__external_id"))
        .order_by("created_at", "id")
    )
    threads: dict[tuple[str, str], list[Mention]] = {}
    for mention in mentions:
        threads.setdefault((mention.network, mention.thread_key), []).append(mention)
    touched: list[int] = []
    batch: list[list[Mention]] = []
    size = 0
    for thread in threads.values():
        batch.append(thread)
        size += len(thread)
        if size >= ATTACH_CHUNK:
            touched.extend(_attach_threads(batch))
            batch, size = [], 0
    if batch:
        touched.extend(_attach_threads(batch))
    return touched


# Inside a transaction already (the ingest's), the inner savepoints are enough.
@transaction.atomic(savepoint=False)
def _attach_threads(threads: list[list[Mention]]) -> list[int]:
    try:
        with transaction.atomic():
            return _attach_page(threads)
    except DatabaseError:
        if len(threads) == 1:
            _log_failed_thread(threads[0])
            return []
        logger.warning("could not attach %s threads at once; attaching them one by one", len(threads))
    touched = []
    for thread in threads:
        try:
            with transaction.atomic():
                touched.extend(_attach_page([thread]))
        except DatabaseError:
            _log_failed_thread(thread)
    return touched


def _log_failed_thread(thread: list[Mention]) -> None:
    logger.exception(
        "could not attach thread %s:%s; the orphan sweep will retry", thread[0].network, thread[0].thread_key
    )


def conversations_attach_orphans(*, window: dt.timedelta = dt.timedelta(days=2)) -> list[int]:
    """Attach customer messages that a failed or killed attach left behind.

    An orphan is an inbound message for the inbox, received within `window`,
    whose thread has no conversation, or whose conversation has not seen it
    (its last inbound time is older than the message).
    """
    since = timezone.now() - window
    conversations = Conversation.objects.filter(
        network=OuterRef("network"), thread_key=OuterRef("thread_key")
    )
    orphans = (
        Mention.objects.filter(received_at__gte=since, direction=Mention.Direction.IN, for_inbox=True)
        .exclude(account__isnull=False, author__external_id=F("account__external_id"))
        .filter(
            ~Exists(conversations) | Exists(conversations.filter(last_inbound_at__lt=OuterRef("created_at")))
        )
        .values_list("pk", flat=True)[:5000]
    )
    ids = list(orphans)
    return conversations_attach_mentions(mention_ids=ids) if ids else []


@dataclass
class _Attached:
    """What a thread's new messages did to its conversation, before it is written."""

    conversation: Conversation | None = None
    created: bool = False
    # (kind, text, data, version) for ConversationEvent; (verb, before, after) for the audit log.
    events: list[tuple[str, str, dict, int]] = field(default_factory=list)
    audits: list[tuple[str, dict | None, dict]] = field(default_factory=list)


def _is_ours(mention: Mention) -> bool:
    own_account = mention.account_id is not None and mention.author.external_id == mention.account_external_id
    return mention.direction == Mention.Direction.OUT or own_account


def _apply_thread(conversation: Conversation | None, thread: list[Mention]) -> _Attached:
    """Apply a thread's new messages, oldest first, to its conversation in memory.

    `conversation` is the locked row, or None when the thread has none: the first
    customer message creates it; the bank's own words never do.
    """
    out = _Attached(conversation=conversation)
    for mention in thread:
        conversation = out.conversation
        data = {"mention": mention.external_id}
        if _is_ours(mention):
            if conversation is None:
                continue
            conversation.last_activity_at = max(conversation.last_activity_at, mention.created_at)
            conversation.message_count += 1
            conversation.version += 1
            if conversation.first_response_at is None:
                conversation.first_response_at = mention.created_at
            out.events.append((Kind.REPLY, "the bank replied", data, conversation.version))
            continue
        priority = PRIORITY_FROM_HINT.get(mention.priority_hint, Conversation.Priority.NORMAL)
        if conversation is None:
            out.conversation = Conversation(
                network=mention.network,
                thread_key=mention.thread_key,
                account_id=mention.account_id,
                customer=mention.author,
                status=Status.SPAM if mention.is_spam else Status.NEW,
                priority=priority,
                preview=masked_preview(mention),
                has_pii=mention.has_pii,
                sentiment_label=mention.sentiment_label,
                sentiment_confidence=mention.sentiment_confidence,
                lang=mention.lang,
                kind=mention.kind,
                message_count=1,
                first_received_at=mention.created_at,
                last_inbound_at=mention.created_at,
                last_activity_at=mention.created_at,
            )
            out.created = True
            out.events.append((Kind.OPENED, f"{mention.author} wrote", data, out.conversation.version))
            out.audits.append(("conversation.open", None, {"status": out.conversation.status, **data}))
            continue
        before = {"status": conversation.status}
        if mention.created_at >= conversation.last_inbound_at:
            conversation.preview = masked_preview(mention)
            if mention.sentiment_label:
                conversation.sentiment_label = mention.sentiment_label
                conversation.sentiment_confidence = mention.sentiment_confidence
            conversation.last_inbound_at = mention.created_at
        conversation.last_activity_at = max(conversation.last_activity_at, mention.created_at)
        conversation.has_pii = conversation.has_pii or mention.has_pii
        conversation.priority = max(conversation.priority, priority)
        conversation.message_count += 1
        conversation.version += 1
        reopened = conversation.status == Status.RESOLVED
        if reopened:
            # A customer writing again after we resolved it needs us again.
            conversation.status = Status.OPEN
            conversation.resolved_at = None
        out.events.append((Kind.MESSAGE, f"{mention.author} wrote again", data, conversation.version))
        if reopened:
            text = f"it reopened because {mention.author} wrote again"
            out.events.append((Kind.REOPENED, text, data, conversation.version))
            out.audits.append(("conversation.reopen", before, {"status": conversation.status, **data}))
    return out


def _lock_conversations(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Conversation]:
    """The existing conversations of `keys`, locked in id order (two workers cannot deadlock)."""
    by_network: dict[str, list[str]] = {}
    for network, thread_key in keys:
        by_network.setdefault(network, []).append(thread_key)
    if not by_network:
        return {}
    where = Q()
    for network, thread_keys in by_network.items():
        where |= Q(network=network, thread_key__in=thread_keys)
    rows = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer")
        .defer("search_vector")  # rebuilt, never read
        .filter(where)
        .order_by("id")
    )
    return {(c.network, c.thread_key): c for c in rows}


def _attach_page(threads: list[list[Mention]]) -> list[int]:
    """Attach the threads' new messages in a constant number of statements.

    Lock the existing conversations (one SELECT ... FOR UPDATE), apply the messages in
    memory, read the threads' text for search (one SELECT), INSERT the new conversations
    (one statement), UPDATE the changed ones (one statement), and write the thread events
    and audit events (one INSERT each).
    """
    by_key = {(thread[0].network, thread[0].thread_key): thread for thread in threads}
    existing = _lock_conversations(by_key)
    attached = {key: _apply_thread(existing.get(key), thread) for key, thread in by_key.items()}
    touched = [a for a in attached.values() if a.conversation is not None]
    if not touched:
        return []
    texts = thread_texts((a.conversation.network, a.conversation.thread_key) for a in touched)
    new = [a.conversation for a in touched if a.created]
    if new:
        inserted = {(c.network, c.thread_key) for c in insert_conversations(new, texts)}
        raced = [key for key, a in attached.items() if a.created and key not in inserted]
        if raced:
            # Opened by another worker since we looked: its messages join that conversation.
            logger.info("%s threads were opened by another worker meanwhile; joining them", len(raced))
            existing.update(_lock_conversations(raced))
            for key in raced:
                attached[key] = _apply_thread(existing.get(key), by_key[key])
                if attached[key].created:
                    raise DatabaseError(f"conversation {key} neither inserted nor found")
            touched = [a for a in attached.values() if a.conversation is not None]
    changed = [a.conversation for a in touched if not a.created]
    if changed:
        update_conversations(changed, texts, fields=ATTACH_FIELDS)
    now = timezone.now()
    insert_rows(
        ConversationEvent,
        [
            {"conversation": a.conversation.pk, "kind": kind, "text": text, "data": data, "version": version}
            for a in touched
            for kind, text, data, version in a.events
        ],
        now=now,
    )
    # What `audit_record(actor=None, ...)` writes, for every conversation opened or reopened.
    insert_rows(
        AuditEvent,
        [
            {
                "actor_label": "system",
                "verb": verb,
                "object_type": a.conversation._meta.label_lower,
                "object_id": str(a.conversation.pk),
                "object_repr": str(a.conversation)[:200],
                "before": before,
                "after": after,
                "client_address": client_address.get(),
            }
            for a in touched
            for verb, before, after in a.audits
        ],
        now=now,
    )
    return [a.conversation.pk for a in touched]
