"""Every write of the shared inbox.

Services are keyword-only, atomic and audited. The ones that change what the
team relies on (assignment, status, priority) take the version of the
conversation the user saw and refuse, before applying, when a colleague or the
customer changed something that matters since (see `StaleAction`).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.contrib.postgres.aggregates import BoolOr
from django.db import DatabaseError, connection, transaction
from django.db.models import NOT_PROVIDED, Count, Exists, F, Max, Min, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.context import client_address
from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.services import audit_record
from inbox.models import Conversation, ConversationEvent, Note, Tag
from inbox.permissions import can_unmask
from listening.enrichment.stored import masked_text
from listening.models import Mention, MentionOriginal
from listening.pan_vault import VaultUnreadable, mask_cards, unseal

logger = logging.getLogger(__name__)

Kind = ConversationEvent.Kind
Status = Conversation.Status

PRIORITY_FROM_HINT = {
    "urgent": Conversation.Priority.URGENT,
    "high": Conversation.Priority.HIGH,
    "normal": Conversation.Priority.NORMAL,
    "low": Conversation.Priority.LOW,
}

# Which changes by someone else make an action stale. A note or a tag never does: they
# add to what the user saw without contradicting it. A new customer message makes a
# status change stale (you would resolve without having read it) but not a claim.
CONFLICTS: dict[str, frozenset[str]] = {
    "assign": frozenset({Kind.ASSIGNED, Kind.STATUS, Kind.REOPENED}),
    "status": frozenset({Kind.STATUS, Kind.ASSIGNED, Kind.REOPENED, Kind.MESSAGE, Kind.REPLY}),
    "priority": frozenset({Kind.PRIORITY}),
}

# How many messages of a thread feed its search vector (the newest), and how much of each.
SEARCH_MESSAGES = 200
SEARCH_CHARS_PER_MESSAGE = 2000


class InboxError(Exception):
    """A refusal with a message for the person who asked."""


class StaleAction(InboxError):
    """The conversation changed in a way that matters since the user saw it."""

    def __init__(self, message: str, *, events: list[ConversationEvent] | None = None):
        super().__init__(message)
        self.events = events or []


def _who(user: User | None) -> str:
    return user.display_name if user is not None else "BankBuzz"


def describe_changes(events: Iterable[ConversationEvent]) -> str:
    """For people: "Ben Okafor resolved it; @rosa wrote again"."""
    parts = []
    for event in events:
        # Events without an actor (a customer's message) carry their subject in their text.
        who = _who(event.actor) if event.actor_id else ""
        parts.append(f"{who} {event.text}".strip())
    return "; ".join(dict.fromkeys(parts))


# --- The version check ---------------------------------------------------------------------


def _check_fresh(conversation: Conversation, *, seen_version: int | None, action: str, actor: User) -> None:
    if seen_version is None or conversation.version == seen_version:
        return
    if seen_version > conversation.version:
        raise StaleAction("This page is ahead of the conversation; reload it and try again.")
    changes = list(
        ConversationEvent.objects.filter(conversation=conversation, version__gt=seen_version)
        .select_related("actor")
        .order_by("version", "id")
    )
    conflicting = [
        event
        for event in changes
        if event.kind in CONFLICTS[action] and (event.actor_id is None or event.actor_id != actor.pk)
    ]
    if conflicting:
        raise StaleAction(
            f"Not done: since you opened it, {describe_changes(conflicting)}. "
            "This is the conversation as it is now; try again if it still makes sense.",
            events=conflicting,
        )


@dataclass
class Change:
    fields: dict
    events: list[tuple[str, str, dict]] = field(default_factory=list)  # (kind, text, data)
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    verb: str = ""


def _apply(
    *,
    actor: User,
    conversation: Conversation,
    seen_version: int | None,
    action: str,
    decide: Callable[[Conversation], Change | None],
) -> Conversation:
    """Check the version, then write with `UPDATE ... WHERE version = <the version checked>`.

    When the check passes on the version the user saw, the update is conditional on
    exactly that version. If only harmless things happened since (a colleague's note),
    the check passes on the current version instead. Either way, a change that slips in
    between the check and the write makes the update match no row, and the check runs
    again, so nothing is ever applied over a change the user was not told about.
    """
    for _attempt in range(5):
        current = Conversation.objects.select_related("assignee", "customer").get(pk=conversation.pk)
        _check_fresh(current, seen_version=seen_version, action=action, actor=actor)
        change = decide(current)
        if change is None:
            return current
        new_version = current.version + 1
        updated = Conversation.objects.filter(pk=current.pk, version=current.version).update(
            **change.fields, version=new_version
        )
        if not updated:
            continue
        for kind, text, data in change.events:
            ConversationEvent.objects.create(
                conversation=current, actor=actor, kind=kind, text=text, data=data, version=new_version
            )
        audit_record(actor=actor, verb=change.verb, obj=current, before=change.before, after=change.after)
        return Conversation.objects.select_related("assignee", "customer", "account").get(pk=current.pk)
    raise StaleAction("Colleagues are changing this conversation right now; try again in a moment.")


def _require_writer(actor: User) -> None:
    if not roles.can_work_inbox(actor):
        raise InboxError("Your role may read conversations but not change them.")


def _conversation_url(conversation: Conversation) -> str:
    return reverse("inbox:detail", args=[conversation.pk])


# --- Assignment ------------------------------------------------------------------------------


@transaction.atomic
def conversation_assign(
    *, actor: User, conversation: Conversation, assignee: User | None, seen_version: int | None
) -> Conversation:
    """Assign to a colleague, to oneself (claim) or to nobody (assignee=None)."""
    _require_writer(actor)
    if assignee is not None and not (assignee.is_active and roles.can_work_inbox(assignee)):
        raise InboxError(f"{assignee.display_name} does not work the inbox, so cannot be assigned.")

    def decide(current: Conversation) -> Change | None:
        if current.assignee_id == (assignee.pk if assignee else None):
            return None
        fields: dict = {"assignee": assignee}
        if assignee is None:
            text = "unassigned it"
        elif assignee.pk == actor.pk:
            text = "took it"
        else:
            text = f"assigned it to {assignee.display_name}"
        events = [(Kind.ASSIGNED, text, {"assignee": assignee.pk if assignee else None})]
        after = {"assignee": assignee.get_username() if assignee else None}
        if assignee is not None and current.status == Status.NEW:
            # Someone has it now: it is no longer new.
            fields["status"] = Status.OPEN
            after["status"] = Status.OPEN
        return Change(
            fields=fields,
            events=events,
            verb="conversation.assign",
            before={
                "assignee": current.assignee.get_username() if current.assignee else None,
                "status": current.status,
            },
            after=after,
        )

    result = _apply(
        actor=actor, conversation=conversation, seen_version=seen_version, action="assign", decide=decide
    )
    if assignee is not None and assignee.pk != actor.pk and result.assignee_id == assignee.pk:
        notify(
            recipients=[assignee],
            verb="conversation.assign",
            text=f"{actor.display_name} assigned you the conversation with {result.customer}",
            url=_conversation_url(result),
            email=False,
        )
    return result


def conversation_claim(*, actor: User, conversation: Conversation, seen_version: int | None) -> Conversation:
    return conversation_assign(
        actor=actor, conversation=conversation, assignee=actor, seen_version=seen_version
    )


# --- Status and priority ------------------------------------------------------------------------

STATUS_TEXT = {
    Status.OPEN: "set it to open",
    Status.WAITING_CUSTOMER: "set it to waiting on the customer",
    Status.WAITING_EXPERT: "set it to waiting on an expert",
    Status.RESOLVED: "resolved it",
    Status.SPAM: "marked it as spam",
}


def _status_change(status: str) -> Callable[[Conversation], Change | None]:
    def decide(current: Conversation) -> Change | None:
        if current.status == status:
            return None
        fields: dict = {"status": status}
        now = timezone.now()
        if status == Status.RESOLVED:
            fields["resolved_at"] = now
        elif current.status == Status.RESOLVED:
            fields["resolved_at"] = None
        text = "reopened it" if current.is_closed and status == Status.OPEN else STATUS_TEXT[status]
        return Change(
            fields=fields,
            events=[(Kind.STATUS, text, {"from": current.status, "to": status})],
            verb="conversation.status",
            before={"status": current.status},
            after={"status": status},
        )

    return decide


@transaction.atomic
def conversation_set_status(
    *, actor: User, conversation: Conversation, status: str, seen_version: int | None
) -> Conversation:
    _require_writer(actor)
    if status not in STATUS_TEXT:
        # "New" belongs to conversations nobody has looked at; people move them on, not back.
        raise InboxError("That is not a status you can set.")
    return _apply(
        actor=actor,
        conversation=conversation,
        seen_version=seen_version,
        action="status",
        decide=_status_change(status),
    )


# The statuses an escalation step moves a conversation to.
ESCALATION_STATUSES = frozenset({Status.WAITING_EXPERT, Status.OPEN})


@transaction.atomic
def conversation_follow_escalation(
    *, actor: User | None, conversation: Conversation, status: str
) -> Conversation:
    """The status change an escalation step brings: waiting on expert, or back to open.

    Recorded in the name of whoever took the step (the specialist who answered, the agent who
    escalated) or of the system (a routing rule), so the thread and the audit log say who did it.
    The caller has already checked that the actor may take that step.
    """
    if status not in ESCALATION_STATUSES:
        raise InboxError("An escalation only moves a conversation to waiting on expert or back to open.")
    return _apply(
        actor=actor,
        conversation=conversation,
        seen_version=None,
        action="status",
        decide=_status_change(status),
    )


def conversation_resolve(
    *, actor: User, conversation: Conversation, seen_version: int | None
) -> Conversation:
    return conversation_set_status(
        actor=actor, conversation=conversation, status=Status.RESOLVED, seen_version=seen_version
    )


def conversation_mark_spam(
    *, actor: User, conversation: Conversation, seen_version: int | None
) -> Conversation:
    return conversation_set_status(
        actor=actor, conversation=conversation, status=Status.SPAM, seen_version=seen_version
    )


@transaction.atomic
def conversation_set_priority(
    *, actor: User, conversation: Conversation, priority: int, seen_version: int | None
) -> Conversation:
    _require_writer(actor)
    try:
        priority = Conversation.Priority(int(priority))
    except ValueError:
        raise InboxError("That is not a priority.") from None

    def decide(current: Conversation) -> Change | None:
        if current.priority == priority:
            return None
        return Change(
            fields={"priority": priority},
            events=[(Kind.PRIORITY, f"set the priority to {priority.label.lower()}", {"to": int(priority)})],
            verb="conversation.priority",
            before={"priority": current.priority},
            after={"priority": int(priority)},
        )

    return _apply(
        actor=actor, conversation=conversation, seen_version=seen_version, action="priority", decide=decide
    )


# --- Events that need no version check -------------------------------------------------------


def _bump(conversation: Conversation, *, actor: User | None, kind: str, text: str, data: dict) -> int:
    """Append an event that contradicts nothing (a note, a tag); returns the new version."""
    Conversation.objects.filter(pk=conversation.pk).update(version=F("version") + 1)
    version = Conversation.objects.values_list("version", flat=True).get(pk=conversation.pk)
    ConversationEvent.objects.create(
        conversation=conversation, actor=actor, kind=kind, text=text, data=data, version=version
    )
    return version


@transaction.atomic
def conversation_event_record(
    *, conversation: Conversation, actor: User | None, kind: str, text: str, data: dict | None = None
) -> int:
    """Put an event of another part (an escalation opened or answered) in the thread."""
    if kind not in Kind.values:
        raise ValueError(f"unknown event kind {kind!r}")
    version = _bump(conversation, actor=actor, kind=kind, text=text[:300], data=data or {})
    audit_record(actor=actor, verb=f"conversation.{kind}", obj=conversation, after={"text": text})
    return version


# --- Tags ------------------------------------------------------------------------------------------

TAG_NAME = re.compile(r"^[\w][\w &'./+-]{0,39}$")


def _clean_tag_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not TAG_NAME.match(name):
        raise InboxError("A tag is 1 to 40 letters, digits, spaces or - _ & ' . / +, starting with a letter.")
    return name


@transaction.atomic
def tag_get_or_create(*, actor: User, name: str) -> Tag:
    """Tags are created inline by whoever works the inbox; "Fraud" and "fraud" are one tag."""
    _require_writer(actor)
    name = _clean_tag_name(name)
    tag = Tag.objects.annotate(lower=Lower("name")).filter(lower=name.lower()).first()
    if tag is None:
        tag = Tag.objects.create(name=name, created_by=actor)
        audit_record(actor=actor, verb="tag.create", obj=tag, after={"name": name})
    return tag


@transaction.atomic
def conversation_tag_add(*, actor: User, conversation: Conversation, name: str) -> Tag:
    tag = tag_get_or_create(actor=actor, name=name)
    if not conversation.tags.filter(pk=tag.pk).exists():
        conversation.tags.add(tag)
        _bump(conversation, actor=actor, kind=Kind.TAGGED, text=f"tagged it {tag.name}", data={"tag": tag.pk})
        audit_record(actor=actor, verb="conversation.tag_add", obj=conversation, after={"tag": tag.name})
    return tag


@transaction.atomic
def conversation_tag_remove(*, actor: User, conversation: Conversation, tag: Tag) -> None:
    _require_writer(actor)
    if conversation.tags.filter(pk=tag.pk).exists():
        conversation.tags.remove(tag)
        _bump(
            conversation,
            actor=actor,
            kind=Kind.UNTAGGED,
            text=f"removed the tag {tag.name}",
            data={"tag": tag.pk},
        )
        audit_record(actor=actor, verb="conversation.tag_remove", obj=conversation, before={"tag": tag.name})


@transaction.atomic
def tag_rename(*, actor: User, tag: Tag, name: str) -> Tag:
    if not roles.has_role(actor, roles.LEAD):
        raise InboxError("Only social leads manage tags.")
    name = _clean_tag_name(name)
    clash = Tag.objects.annotate(lower=Lower("name")).filter(lower=name.lower()).exclude(pk=tag.pk)
    if clash.exists():
        raise InboxError(f"There is already a tag called {name}.")
    before = tag.name
    tag.name = name
    tag.save(update_fields=["name"])
    audit_record(actor=actor, verb="tag.rename", obj=tag, before={"name": before}, after={"name": name})
    return tag


@transaction.atomic
def tag_delete(*, actor: User, tag: Tag) -> None:
    if not roles.has_role(actor, roles.LEAD):
        raise InboxError("Only social leads manage tags.")
    audit_record(
        actor=actor,
        verb="tag.delete",
        obj=tag,
        before={"name": tag.name, "conversations": tag.conversations.count()},
    )
    tag.delete()


# --- Notes ---------------------------------------------------------------------------------------

MENTION_RE = re.compile(r"(?<![\w@.])@([\w.+-]{1,150})")


def mentioned_users(text: str, *, exclude: User | None = None) -> list[User]:
    """Colleagues named as @username who can read the inbox (others could not open the link)."""
    names = {match.rstrip(".").lower() for match in MENTION_RE.findall(text)}
    if not names:
        return []
    candidates = (
        User.objects.annotate(lower=Lower("username"))
        .filter(lower__in=names, is_active=True, groups__name__in=roles.INBOX_READERS)
        .distinct()
    )
    return [user for user in candidates if exclude is None or user.pk != exclude.pk]


@transaction.atomic
def note_add(*, actor: User, conversation: Conversation, text: str) -> Note:
    """An internal note; @username notifies that colleague in the app and by e-mail."""
    _require_writer(actor)
    text = (text or "").strip()
    if not text:
        raise InboxError("Write something first: the note is empty.")
    if len(text) > 5000:
        raise InboxError("A note is at most 5,000 characters.")
    # A colleague may paste what the customer wrote: a card number is kept masked, as there.
    text = mask_cards(text)
    note = Note.objects.create(conversation=conversation, author=actor, text=text)
    people = mentioned_users(text, exclude=actor)
    if people:
        note.mentioned.set(people)
    _bump(conversation, actor=actor, kind=Kind.NOTE, text="added a note", data={"note": note.pk})
    audit_record(
        actor=actor,
        verb="note.add",
        obj=conversation,
        after={"note": note.pk, "mentioned": [p.get_username() for p in people]},
    )
    if people:
        notify(
            recipients=people,
            verb="note.mention",
            text=f"{actor.display_name} mentioned you in a note on {conversation.customer}",
            url=f"{_conversation_url(conversation)}#note-{note.pk}",
        )
    return note


# --- Personal data ---------------------------------------------------------------------------


@transaction.atomic
def mention_unmask(*, actor: User, conversation: Conversation, mention: Mention) -> str:
    """The unmasked text of one message, for roles allowed to see it; the reading is audited."""
    if not can_unmask(actor):
        raise InboxError("Your role may not reveal personal data.")
    if (mention.network, mention.thread_key) != (conversation.network, conversation.thread_key):
        raise InboxError("That message is not part of this conversation.")
    text, card_original = _original_text(mention)
    audit_record(
        actor=actor,
        verb="mention.unmask",
        obj=mention,
        after={
            "conversation": conversation.pk,
            "kinds": sorted({f.get("kind", "") for f in mention.pii_findings}),
            "card_original": card_original,
        },
    )
    return text


def _original_text(mention: Mention) -> tuple[str, str]:
    """The text as the customer wrote it, and what became of a card number's sealed original.

    ("opened": the original was unsealed; "unreadable": no key in PAN_VAULT_KEYS opens it;
    "none": nothing was sealed, or retention purged it, and the stored text is all there is.)
    """
    sealed = MentionOriginal.objects.filter(mention=mention).values_list("sealed", flat=True).first()
    if sealed is None:
        return mention.text, "none"
    try:
        return unseal(sealed), "opened"
    except VaultUnreadable:
        return mention.text, "unreadable"


# --- Bulk actions -------------------------------------------------------------------------------


@dataclass
class BulkResult:
    done: int = 0
    skipped: list[str] = field(default_factory=list)


BULK_ACTIONS = ("assign", "unassign", "claim", "tag", "status", "spam")


def conversations_bulk_apply(
    *, actor: User, items: list[tuple[int, int]], action: str, value: str = "", assignee: User | None = None
) -> BulkResult:
    """Apply one action to each selected (id, version); each row on its own, stale rows skipped."""
    _require_writer(actor)
    if action not in BULK_ACTIONS:
        raise InboxError("Choose an action for the selected conversations.")
    result = BulkResult()
    conversations = Conversation.objects.select_related("customer").in_bulk([pk for pk, _ in items])
    for pk, version in items:
        conversation = conversations.get(pk)
        if conversation is None:
            continue
        try:
            if action == "assign":
                conversation_assign(
                    actor=actor, conversation=conversation, assignee=assignee, seen_version=version
                )
            elif action == "unassign":
                conversation_assign(
                    actor=actor, conversation=conversation, assignee=None, seen_version=version
                )
            elif action == "claim":
                conversation_claim(actor=actor, conversation=conversation, seen_version=version)
            elif action == "tag":
                conversation_tag_add(actor=actor, conversation=conversation, name=value)
            elif action == "status":
                conversation_set_status(
                    actor=actor, conversation=conversation, status=value, seen_version=version
                )
            elif action == "spam":
                conversation_mark_spam(actor=actor, conversation=conversation, seen_version=version)
            result.done += 1
        except InboxError as exc:
            result.skipped.append(f"{conversation.customer}: {exc}")
    return result


# --- New messages from the networks ------------------------------------------------------------


def _masked_preview(mention: Mention) -> str:
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


@transaction.atomic
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
                preview=_masked_preview(mention),
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
            conversation.preview = _masked_preview(mention)
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


def _values(rows: list[tuple], casts: list[str]) -> tuple[str, list]:
    """A `VALUES` list of `rows` with one placeholder a value, and its flat parameters."""
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    return ", ".join([row] * len(rows)), [value for values in rows for value in values]


_PLAIN = frozenset({str, int, float, bool, type(None), dt.datetime})


def _db_value(field, value):
    """What the ORM would send for `value` (the plain types psycopg2 adapts as they are)."""
    return value if type(value) in _PLAIN else field.get_db_prep_save(value, connection)


# The search vector of a VALUES row `v` with the customer (`who`) and the thread (`body`): see
# `conversation_reindex`.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('simple'::regconfig, v.who), 'A')"
    " || setweight(to_tsvector('english'::regconfig, v.body), 'B')"
    " || setweight(to_tsvector('simple'::regconfig, v.body), 'C')"
)


def _search_row(conversation: Conversation, texts: dict[tuple[str, str], str]) -> tuple[str, str, str]:
    """(search_handle, who, body) of a conversation: its customer and its thread's masked text."""
    customer = conversation.customer
    who = f"{customer.handle} {customer.handle.replace('_', ' ')} {customer.name}"
    return customer.handle.lower()[:100], who, texts.get((conversation.network, conversation.thread_key), "")


def _thread_texts(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The masked text of each thread's newest `SEARCH_MESSAGES` messages, newest first (one query)."""
    keys = list(keys)
    if not keys:
        return {}
    values, params = _values(keys, ["varchar", "varchar"])
    texts: dict[tuple[str, str], list[str]] = {key: [] for key in keys}
    with connection.cursor() as cursor:
        # Through the (network, thread_key, created_at) index, however long the thread.
        cursor.execute(
            f"""
            SELECT t.network, t.thread_key, m.text, m.pii_findings, m.has_pii
            FROM (VALUES {values}) AS t (network, thread_key)
            CROSS JOIN LATERAL (
                SELECT id, text, pii_findings, has_pii, created_at FROM {Mention._meta.db_table}
                WHERE network = t.network AND thread_key = t.thread_key
                ORDER BY created_at DESC, id DESC LIMIT %s
            ) AS m
            ORDER BY t.network, t.thread_key, m.created_at DESC, m.id DESC
            """,  # noqa: S608 - table name from the model, values bound
            [*params, SEARCH_MESSAGES],
        )
        for network, thread_key, text, findings, has_pii in cursor.fetchall():
            if has_pii:
                text = masked_text(text, json.loads(findings) if isinstance(findings, str) else findings)
            texts[(network, thread_key)].append(text[:SEARCH_CHARS_PER_MESSAGE])
    return {key: "\n".join(parts) for key, parts in texts.items()}


def _insert_new(conversations: list[Conversation], texts: dict[tuple[str, str], str]) -> list[Conversation]:
    """INSERT the new conversations, search vectors included, in one statement (a few for huge threads).

    Returns those that were inserted. A thread another worker opened meanwhile is left
    out (ON CONFLICT DO NOTHING waits for that worker's commit); the caller applies its
    messages to that conversation. Rows go in sorted by thread, so two workers inserting
    the same threads wait on each other in the same order and cannot deadlock.
    """
    conversations = sorted(conversations, key=lambda c: (c.network, c.thread_key))
    search = ("search_handle", "search_vector")
    fields = [f for f in _inserted_fields(Conversation) if f.name not in search]
    rows = [
        (*(_db_value(f, f.pre_save(c, True)) for f in fields), *_search_row(c, texts)) for c in conversations
    ]
    casts = [*(f.cast_db_type(connection) for f in fields), "varchar", "text", "text"]
    columns = ", ".join(f.column for f in fields)
    ids = {}
    with connection.cursor() as cursor:
        for batch in _text_batches(rows):
            values, params = _values(batch, casts)
            cursor.execute(
                f"""
                INSERT INTO {Conversation._meta.db_table} ({columns}, search_handle, search_vector)
                SELECT {", ".join(f"v.{f.column}" for f in fields)}, v.handle, {SEARCH_VECTOR_SQL}
                FROM (VALUES {values}) AS v ({columns}, handle, who, body)
                ON CONFLICT (network, thread_key) DO NOTHING
                RETURNING id, network, thread_key
                """,  # noqa: S608 - table and column names from the model, values bound
                params,
            )
            ids.update({(network, thread_key): pk for pk, network, thread_key in cursor.fetchall()})
    inserted = []
    for conversation in conversations:
        pk = ids.get((conversation.network, conversation.thread_key))
        if pk is not None:
            conversation.pk = pk
            conversation._state.adding = False
            inserted.append(conversation)
    return inserted


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
    texts = _thread_texts((a.conversation.network, a.conversation.thread_key) for a in touched)
    new = [a.conversation for a in touched if a.created]
    if new:
        inserted = {(c.network, c.thread_key) for c in _insert_new(new, texts)}
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
        _update(changed, texts, fields=ATTACH_FIELDS)
    now = timezone.now()
    _insert_rows(
        ConversationEvent,
        [
            {"conversation": a.conversation.pk, "kind": kind, "text": text, "data": data, "version": version}
            for a in touched
            for kind, text, data, version in a.events
        ],
        now=now,
    )
    # What `audit_record(actor=None, ...)` writes, for every conversation opened or reopened.
    _insert_rows(
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


def _insert_rows(model, rows: list[dict], *, now: dt.datetime) -> None:
    """One INSERT of `rows` (field name -> value); other fields get their defaults, as with the ORM."""
    if not rows:
        return
    fields = _inserted_fields(model)
    values = []
    for row in rows:
        values.append(
            tuple(
                _db_value(
                    f,
                    row[f.attname]
                    if f.attname in row
                    else row[f.name]
                    if f.name in row
                    else _default(f, now),
                )
                for f in fields
            )
        )
    sql, params = _values(values, [f.cast_db_type(connection) for f in fields])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) VALUES {sql}",  # noqa: S608
            params,
        )


def _inserted_fields(model) -> list:
    """The columns an INSERT names: not the id, nor a column the database fills (`db_default`)."""
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and getattr(f, "db_default", NOT_PROVIDED) is NOT_PROVIDED
    ]


def _default(field, now: dt.datetime):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def conversation_reindex(*, conversation: Conversation) -> None:
    """Rebuild the conversation's search vector from its thread and its customer.

    Only *masked* text is indexed: the search box must not become a way to find
    who posted a given card number, nor a second copy of it.
    The text goes in twice, English-stemmed ("declined" finds "decline") and as is
    (names, handles, other languages); the search query is matched against both.
    """
    _update([conversation], _thread_texts([(conversation.network, conversation.thread_key)]))


def _update(
    conversations: list[Conversation], texts: dict[tuple[str, str], str], *, fields: Iterable[str] = ()
) -> None:
    """One UPDATE of the conversations' search vectors and of their `fields` as they are in memory.

    The caller holds the row locks of the conversations whose `fields` it writes.
    """
    columns = [Conversation._meta.get_field(name) for name in fields]
    rows = [
        (c.pk, *_search_row(c, texts), *(_db_value(f, getattr(c, f.attname)) for f in columns))
        for c in conversations
    ]
    casts = ["bigint", "varchar", "text", "text", *(f.cast_db_type(connection) for f in columns)]
    names = "".join(f", {f.column}" for f in columns)
    assign = "".join(f", {f.column} = v.{f.column}" for f in columns)
    with connection.cursor() as cursor:
        for batch in _text_batches(rows, body=3):
            values, params = _values(batch, casts)
            cursor.execute(
                f"""
                UPDATE {Conversation._meta.db_table} AS c
                SET search_handle = v.handle, search_vector = {SEARCH_VECTOR_SQL}{assign}
                FROM (VALUES {values}) AS v (id, handle, who, body{names})
                WHERE c.id = v.id
                """,  # noqa: S608 - table and column names from the model, values bound
                params,
            )


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
            conversation.preview = _masked_preview(mention)
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
        _update(conversations, _thread_texts(keys), fields=RECOUNT_FIELDS)


STATEMENT_TEXT = 4_000_000  # characters of thread text one statement carries, at most


def _text_batches(rows: list[tuple], *, body: int = -1) -> Iterable[list[tuple]]:
    """`rows` in batches whose thread texts (`row[body]`) stay within `STATEMENT_TEXT` together.

    A page of short threads is one batch; a page of long ones (a backlog of long Facebook
    threads) is a few statements, not one statement of hundreds of megabytes.
    """
    batch: list[tuple] = []
    size = 0
    for row in rows:
        if batch and size + len(row[body]) > STATEMENT_TEXT:
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += len(row[body])
    if batch:
        yield batch
