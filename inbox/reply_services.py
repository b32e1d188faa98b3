"""Replying to customers: saved replies, the personal-data guard, approvals and the outbox.

Every write here is keyword-only, atomic where it can be, and audited. The outbox is a
state machine whose transitions are conditional UPDATEs on the state they leave:

    draft -> awaiting_approval -> approved -> queued -> sending -> sent | failed
                     \\-> rejected                         \\-> queued (rate limit, transient error)

The Reply row is the outbox: the source of truth for what must go out. Nothing hands a task
to the broker inside the transaction that queues a reply; after the commit the relay
(`replies_dispatch`, tried at once and then by beat every few seconds) takes queued rows that
no task carries yet (FOR UPDATE SKIP LOCKED), publishes `inbox.send_reply` and stamps
`dispatched_at`. A broker that is down leaves the stamp empty and the next relay run, seconds
later, hands the reply over when it is back. A withdrawn reply is no longer "queued", so a task
already in the broker for it claims nothing.

A reply is never posted twice. Only the worker whose UPDATE moved it from "queued" to
"sending" posts it. That worker holds a lease longer than the send task's hard time
limit, so a reply still "sending" after its lease can only belong to a worker that
died. Whoever takes it over then, and every attempt after the first, asks the network
(`Connector.find_sent`) whether the reply is already there before posting it.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.audit.services import audit_record
from inbox import guard
from inbox.models import Conversation, ConversationEvent, Reply, SavedReply
from inbox.services import InboxError, StaleAction, _bump, conversation_reindex, describe_changes
from listening.connectors import base
from listening.models import Mention
from listening.pan_vault import mask_cards

logger = logging.getLogger(__name__)

Kind = ConversationEvent.Kind
State = Reply.State
Channel = Reply.Channel

# The send task's hard time limit is 90 s; a lease past it can only be held by a dead worker.
SEND_LEASE = dt.timedelta(seconds=120)
# A queued reply handed to the broker this long ago and still queued lost its task message
# (a broker restarted without its data): hand it over again. Longer than the send task's
# longest retry backoff (reply_tasks.MAX_BACKOFF), so a retry still waiting is not doubled.
REDISPATCH_AFTER = dt.timedelta(minutes=6)
# At most this many replies per relay run; the next run, seconds later, takes the rest.
DISPATCH_BATCH = 200
# kombu's connection options for the relay: give up after one failed connection attempt.
PUBLISH_ONCE = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
MESSENGER_WINDOW = dt.timedelta(hours=24)
INSTAGRAM_WINDOW = dt.timedelta(hours=24)
INSTAGRAM_HUMAN_AGENT_WINDOW = dt.timedelta(days=7)

# Changes by others that make a reply stale: a colleague replied, or one is on its way.
REPLY_CONFLICTS = frozenset({Kind.REPLY, Kind.REPLY_QUEUED})

NETWORK_NAMES = {"x": "X", "facebook": "Facebook", "linkedin": "LinkedIn", "instagram": "Instagram"}


class ReplyError(InboxError):
    """A reply refused, with what to do instead."""


class ReplyBlocked(ReplyError):
    """The personal-data guard refused the text; the composer highlights where and why."""

    def __init__(self, result: guard.GuardResult, *, text: str, channel: str, can_override: bool):
        super().__init__(result.message(channel))
        self.result = result
        self.text = text
        self.channel = channel
        self.can_override = can_override


class RetryLater(Exception):
    """The network asked us to wait (a rate limit): try again in `countdown` seconds."""

    def __init__(self, countdown: int, message: str):
        super().__init__(message)
        self.countdown = countdown


class TransientSendError(Exception):
    """The send failed in a way a retry may fix; the reply is queued again."""


# --- Permissions that services enforce too -------------------------------------------------------


def can_override(user: User) -> bool:
    return roles.has_role(user, *guard.override_roles())


def can_approve(user: User, reply: Reply | None = None) -> bool:
    """Leads approve replies; compliance officers may approve guard overrides."""
    if roles.has_role(user, roles.LEAD):
        return True
    return roles.has_role(user, roles.COMPLIANCE) and (reply is None or bool(reply.override_findings))


def can_manage_saved_replies(user: User) -> bool:
    return roles.has_role(user, roles.LEAD)


def approvers() -> list[User]:
    return list(User.objects.filter(groups__name=roles.LEAD, is_active=True).distinct())


# --- Where a reply goes -----------------------------------------------------------------------------


@dataclass
class Route:
    """Whether a channel is open for a conversation, why not, and the ids to send with."""

    channel: str
    available: bool
    note: str = ""
    in_reply_to: str = ""
    recipient_id: str = ""
    private_thread: str = ""
    window_ends: dt.datetime | None = None


def _is_private_thread(conversation: Conversation) -> bool:
    return conversation.kind == Mention.Kind.DIRECT or conversation.thread_key.startswith(
        ("dm:", "m:", "ig:")
    )


def _public_route(conversation: Conversation) -> Route:
    if conversation.account_id is None:
        return Route(Channel.PUBLIC, False, "No connected account of the bank received this conversation.")
    if _is_private_thread(conversation):
        return Route(Channel.PUBLIC, False, "This conversation is private: answer with a private message.")
    # The customer's own latest public message: a conversation is one customer's, and a public
    # reply answers them, never someone else in the same thread.
    target = (
        Mention.objects.filter(
            network=conversation.network, thread_key=conversation.thread_key, direction=Mention.Direction.IN
        )
        .exclude(kind=Mention.Kind.DIRECT)
        .filter(author=conversation.customer)
        .order_by("-created_at", "-id")
        .values("external_id", "kind", "created_at")
        .first()
    )
    if target is None:
        return Route(Channel.PUBLIC, False, "There is no public message of the customer to answer.")
    noun = "comment" if target["kind"] == Mention.Kind.COMMENT else "post"
    when = timezone.localtime(target["created_at"])
    at = f"{when:%H:%M}" if when.date() == timezone.localdate() else f"{when:%d %b %H:%M}"
    note = f"Replying to {conversation.customer.label}'s {noun} of {at}"
    return Route(Channel.PUBLIC, True, note, in_reply_to=target["external_id"])


def _private_route(conversation: Conversation, *, now: dt.datetime | None = None) -> Route:
    now = now or timezone.now()
    account = conversation.account
    customer = conversation.customer
    if account is None:
        return Route(Channel.PRIVATE, False, "No connected account of the bank received this conversation.")
    if conversation.network == "linkedin":
        return Route(
            Channel.PRIVATE,
            False,
            "LinkedIn has no private messages in BankBuzz: answer in public without personal data, "
            "or invite the customer to call or message us on another network.",
        )
    if conversation.network == "x":
        if conversation.thread_key.startswith("dm:"):
            return Route(Channel.PRIVATE, True, "X direct message", private_thread=conversation.thread_key)
        ids = sorted([account.external_id, customer.external_id], key=lambda v: (len(v), v))
        return Route(
            Channel.PRIVATE,
            True,
            f"X direct message to {customer}",
            recipient_id=customer.external_id,
            private_thread=f"dm:{ids[0]}-{ids[1]}",
        )
    if conversation.network == "instagram":
        return _instagram_private_route(conversation, now=now)
    # Facebook: Messenger lets a page answer only within 24 hours of the person's last message.
    last = (
        Mention.objects.filter(
            network="facebook", author=customer, kind=Mention.Kind.DIRECT, direction=Mention.Direction.IN
        )
        .order_by("-created_at")
        .values("created_at", "thread_key")
        .first()
    )
    if last is None:
        return Route(
            Channel.PRIVATE,
            False,
            f"Messenger: {customer.name or customer.handle} has not written to the page on Messenger, and a "
            "page may only answer there within 24 hours of the person's last message. Ask them in public "
            "to send us a message.",
        )
    ends = last["created_at"] + MESSENGER_WINDOW
    if ends <= now:
        return Route(
            Channel.PRIVATE,
            False,
            f"Messenger's 24-hour window closed at {timezone.localtime(ends):%d %b %H:%M}: a page may only "
            "answer within 24 hours of the person's last message. Ask them in public to message us again.",
            window_ends=ends,
        )
    left = ends - now
    hours, minutes = divmod(int(left.total_seconds()) // 60, 60)
    return Route(
        Channel.PRIVATE,
        True,
        f"Messenger: window open for {hours} h {minutes:02d} min more "
        f"(until {timezone.localtime(ends):%d %b %H:%M})",
        private_thread=last["thread_key"],
        window_ends=ends,
    )


def _instagram_private_route(conversation: Conversation, *, now: dt.datetime) -> Route:
    """Instagram: 24 hours from the person's last message, 7 days for a person (HUMAN_AGENT tag).

    Every reply here is written by a person, so the connector tags one sent after 24 hours.
    """
    customer = conversation.customer
    last = (
        Mention.objects.filter(
            network="instagram", author=customer, kind=Mention.Kind.DIRECT, direction=Mention.Direction.IN
        )
        .order_by("-created_at")
        .values("created_at", "thread_key")
        .first()
    )
    if last is None:
        return Route(
            Channel.PRIVATE,
            False,
            f"Instagram: {customer.name or customer.handle} has not sent the bank a direct message, and an "
            "account may only answer within 7 days of the person's last message. Ask them in public to "
            "message us.",
        )
    standard, human = last["created_at"] + INSTAGRAM_WINDOW, last["created_at"] + INSTAGRAM_HUMAN_AGENT_WINDOW
    if human <= now:
        return Route(
            Channel.PRIVATE,
            False,
            f"Instagram's window closed at {timezone.localtime(human):%d %b %H:%M}: an account may only "
            "answer within 7 days of the person's last message. Ask them in public to message us again.",
            window_ends=human,
        )
    ends = standard if standard > now else human
    hours, minutes = divmod(int((ends - now).total_seconds()) // 60, 60)
    kind = "window open" if standard > now else "24-hour window closed; a person may answer (HUMAN_AGENT tag)"
    return Route(
        Channel.PRIVATE,
        True,
        f"Instagram: {kind} for {hours} h {minutes:02d} min more "
        f"(until {timezone.localtime(ends):%d %b %H:%M})",
        private_thread=last["thread_key"],
        window_ends=ends,
    )


def reply_routes(*, conversation: Conversation) -> dict[str, Route]:
    return {Channel.PUBLIC: _public_route(conversation), Channel.PRIVATE: _private_route(conversation)}


def customer_contacts(conversation: Conversation) -> tuple[list[str], list[str]]:
    """The customer's own e-mail addresses and phone numbers, as they wrote them in the thread."""
    emails: list[str] = []
    phones: list[str] = []
    rows = Mention.objects.filter(
        network=conversation.network,
        thread_key=conversation.thread_key,
        direction=Mention.Direction.IN,
        has_pii=True,
    ).values_list("text", "pii_findings")
    for text, findings in rows:
        for finding in findings or []:
            kind = finding.get("kind")
            start, end = finding.get("start"), finding.get("end")
            if kind in ("email", "phone") and isinstance(start, int) and isinstance(end, int):
                (emails if kind == "email" else phones).append(text[start:end])
    return emails, phones


# --- Saved replies ---------------------------------------------------------------------------------

VARIABLES = ("customer_name", "handle", "agent_first_name", "bank_name")
VARIABLE_RE = re.compile(r"\{([a-z_]+)\}")
SHORTCUT_RE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")


def fill_variables(body: str, *, conversation: Conversation, agent: User) -> str:
    customer = conversation.customer
    values = {
        "customer_name": (customer.name or customer.handle).split(" ")[0]
        if customer.name
        else customer.handle,
        "handle": f"{customer}",
        "agent_first_name": agent.first_name or agent.get_username(),
        "bank_name": settings.BANK_NAME,
    }
    return VARIABLE_RE.sub(lambda m: values.get(m.group(1), m.group(0)), body)


def _clean_saved_reply(*, title: str, body: str, shortcut: str, tags, networks) -> dict:
    title = " ".join((title or "").split())
    body = (body or "").strip()
    shortcut = (shortcut or "").strip().lstrip(";")
    if not title or len(title) > 100:
        raise InboxError("Give the saved reply a title of at most 100 characters.")
    if not body or len(body) > 2000:
        raise InboxError("Write the saved reply's text (at most 2,000 characters).")
    unknown = sorted({v for v in VARIABLE_RE.findall(body) if v not in VARIABLES})
    if unknown:
        raise InboxError(
            "Unknown variable "
            + ", ".join("{" + v + "}" for v in unknown)
            + "; use "
            + ", ".join("{" + v + "}" for v in VARIABLES)
            + "."
        )
    if shortcut and not SHORTCUT_RE.match(shortcut):
        raise InboxError("A shortcut is letters, digits, - and _ (at most 30).")
    if shortcut:
        taken = SavedReply.objects.filter(shortcut__iexact=shortcut)
        return {
            "title": title,
            "body": body,
            "shortcut": shortcut,
            "_taken": taken,
            "tags": _tags(tags),
            "networks": _networks(networks),
        }
    return {
        "title": title,
        "body": body,
        "shortcut": "",
        "_taken": None,
        "tags": _tags(tags),
        "networks": _networks(networks),
    }


def _tags(tags) -> list[str]:
    if isinstance(tags, str):
        tags = tags.split(",")
    return sorted({" ".join(t.split())[:40] for t in tags or [] if t and t.strip()})


def _networks(networks) -> list[str]:
    return sorted({n for n in networks or [] if n in NETWORK_NAMES})


@transaction.atomic
def saved_reply_create(
    *, actor: User, title: str, body: str, shortcut: str = "", tags=(), networks=()
) -> SavedReply:
    if not can_manage_saved_replies(actor):
        raise InboxError("Only social leads manage saved replies.")
    data = _clean_saved_reply(title=title, body=body, shortcut=shortcut, tags=tags, networks=networks)
    taken = data.pop("_taken")
    if taken is not None and taken.exists():
        raise InboxError(f"The shortcut ;{data['shortcut']} is taken.")
    saved = SavedReply.objects.create(**data, created_by=actor, updated_by=actor)
    audit_record(actor=actor, verb="saved_reply.create", obj=saved, after={"title": saved.title})
    return saved


@transaction.atomic
def saved_reply_update(
    *,
    actor: User,
    saved: SavedReply,
    title: str,
    body: str,
    shortcut: str = "",
    tags=(),
    networks=(),
    is_active: bool = True,
) -> SavedReply:
    if not can_manage_saved_replies(actor):
        raise InboxError("Only social leads manage saved replies.")
    data = _clean_saved_reply(title=title, body=body, shortcut=shortcut, tags=tags, networks=networks)
    taken = data.pop("_taken")
    if taken is not None and taken.exclude(pk=saved.pk).exists():
        raise InboxError(f"The shortcut ;{data['shortcut']} is taken.")
    before = {
        "title": saved.title,
        "body": saved.body,
        "shortcut": saved.shortcut,
        "is_active": saved.is_active,
    }
    for name, value in data.items():
        setattr(saved, name, value)
    saved.is_active = is_active
    saved.updated_by = actor
    saved.updated_at = timezone.now()
    saved.save()
    audit_record(
        actor=actor,
        verb="saved_reply.update",
        obj=saved,
        before=before,
        after={"title": saved.title, "body": saved.body, "shortcut": saved.shortcut, "is_active": is_active},
    )
    return saved


@transaction.atomic
def saved_reply_delete(*, actor: User, saved: SavedReply) -> None:
    if not can_manage_saved_replies(actor):
        raise InboxError("Only social leads manage saved replies.")
    audit_record(
        actor=actor,
        verb="saved_reply.delete",
        obj=saved,
        before={"title": saved.title, "uses": saved.usage_count},
    )
    saved.delete()


def saved_replies_for(*, conversation: Conversation, agent: User) -> list[tuple[SavedReply, str]]:
    """The active saved replies for this network, with their variables filled in."""
    saved = list(SavedReply.objects.filter(is_active=True).order_by("-usage_count", "title"))
    return [
        (s, fill_variables(s.body, conversation=conversation, agent=agent))
        for s in saved
        if s.for_network(conversation.network)
    ]


# --- Writing a reply ---------------------------------------------------------------------------------


def _check_fresh(conversation: Conversation, *, seen_version: int | None, actor: User) -> None:
    """A colleague's reply since you opened the conversation is reported before yours goes."""
    if seen_version is None or conversation.version == seen_version:
        return
    if seen_version > conversation.version:
        raise StaleAction("This page is ahead of the conversation; reload it and try again.")
    conflicting = [
        event
        for event in ConversationEvent.objects.filter(
            conversation=conversation, version__gt=seen_version, kind__in=REPLY_CONFLICTS
        )
        .select_related("actor")
        .order_by("version", "id")
        if event.actor_id is None or event.actor_id != actor.pk
    ]
    if conflicting:
        raise StaleAction(
            f"Not sent: since you opened it, {describe_changes(conflicting)}. "
            "Read the conversation as it is now; your text is still in the composer.",
            events=conflicting,
        )


def _transition(reply_id: int, from_states, to_state: str, **fields) -> bool:
    """Move a reply on, only from the states given; False when another actor moved it first."""
    if isinstance(from_states, str):
        from_states = (from_states,)
    return bool(
        Reply.objects.filter(pk=reply_id, state__in=from_states).update(
            state=to_state, updated_at=timezone.now(), **fields
        )
    )


def _enqueue(reply_id: int) -> None:
    """After the commit, try to hand the reply to the broker at once; the relay retries if not."""
    transaction.on_commit(lambda: replies_dispatch(ids=[reply_id]), robust=True)


def replies_dispatch(*, ids: list[int] | None = None, now: dt.datetime | None = None) -> list[int]:
    """The outbox relay: publish `inbox.send_reply` for queued replies no live task carries.

    Rows are claimed with FOR UPDATE SKIP LOCKED, so two relays (beat's and a request's) never
    publish the same reply at once; each published reply is stamped `dispatched_at`. When the
    broker refuses, the relay stops and leaves the rest unstamped for its next run.
    """
    from inbox.reply_tasks import send_reply

    now = now or timezone.now()
    due = Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=now - REDISPATCH_AFTER)
    ready = Q(not_before__isnull=True) | Q(not_before__lte=now)
    handed: list[int] = []
    with transaction.atomic():
        rows = Reply.objects.select_for_update(skip_locked=True).filter(due & ready, state=State.QUEUED)
        if ids is not None:
            rows = rows.filter(pk__in=ids)
        pending = list(rows.order_by("queued_at", "pk").values_list("pk", flat=True)[:DISPATCH_BATCH])
        if not pending:
            return handed
        # One quick attempt to reach the broker, not the client's retries over several seconds:
        # the relay runs again in seconds anyway, and a person may be waiting on this request.
        with send_reply.app.connection_for_write(transport_options=PUBLISH_ONCE) as broker:
            for reply_id in pending:
                try:
                    send_reply.apply_async(args=[reply_id], retry=False, connection=broker)
                except Exception as exc:  # the broker's client raises several kinds; all mean "not now"
                    logger.warning(
                        "outbox: the broker refused reply %s, the relay tries again: %s", reply_id, exc
                    )
                    break
                handed.append(reply_id)
        if handed:
            Reply.objects.filter(pk__in=handed).update(dispatched_at=now)
    return handed


def _reply_url(reply: Reply) -> str:
    return reverse("inbox:detail", args=[reply.conversation_id]) + f"#reply-{reply.pk}"


def _channel_words(reply: Reply, network: str) -> str:
    name = NETWORK_NAMES.get(network, network)
    return f"a public reply on {name}" if reply.channel == Channel.PUBLIC else f"a private message on {name}"


def _same_reply_lately(conversation: Conversation, *, actor: User, channel: str, text: str) -> Reply | None:
    """The same text by the same person to the same conversation within REPLY_DUPLICATE_WINDOW.

    A double click, a resubmitted form or a client's retry is that reply, not a second one; a
    reply that failed, was withdrawn or sent back does not count (sending it again is meant).
    """
    since = timezone.now() - dt.timedelta(seconds=settings.REPLY_DUPLICATE_WINDOW)
    return (
        Reply.objects.filter(
            conversation=conversation, author=actor, channel=channel, text=text, created_at__gte=since
        )
        .exclude(state__in=(State.FAILED, State.CANCELLED, State.REJECTED))
        .order_by("-created_at", "-pk")
        .first()
    )


@transaction.atomic
def reply_submit(
    *,
    actor: User,
    conversation: Conversation,
    channel: str,
    text: str,
    seen_version: int | None,
    saved_reply: SavedReply | None = None,
    override_reason: str = "",
    confirm_private: bool = False,
) -> Reply:
    """Check a reply (guard, length, approval rules) and put it in the outbox.

    `confirm_private`: the agent confirmed that the customer asked for their IBAN or account
    number in this private conversation (the guard asks for it; see `inbox.guard`).

    Raises ReplyBlocked when the guard refuses it (nothing is stored), ReplyError when it
    cannot go out on this channel, StaleAction when a colleague replied since. The same text
    again within the duplicate window returns the first reply, with `resubmitted` set.
    """
    if not roles.can_work_inbox(actor):
        raise ReplyError("Your role may read conversations but not answer customers.")
    if channel not in Channel.values:
        raise ReplyError("Choose a public reply or a private message.")
    text = (text or "").strip()
    if not text:
        raise ReplyError("Write the reply first: it is empty.")
    current = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer", "account")
        .get(pk=conversation.pk)
    )
    if current.status == Conversation.Status.SPAM:
        raise ReplyError("This conversation is marked as spam: set it to open before answering.")
    # Under the conversation's lock, so a double submit sees the first one's row.
    again = _same_reply_lately(current, actor=actor, channel=channel, text=text)
    if again is not None:
        again.resubmitted = True
        return again
    _check_fresh(current, seen_version=seen_version, actor=actor)
    route = reply_routes(conversation=current)[channel]
    if not route.available:
        raise ReplyError(f"Not sent: {route.note}")
    limit = guard.length_limit(current.network, channel)
    length = guard.reply_length(current.network, text)
    if limit is not None and length > limit:
        raise ReplyError(
            f"Not sent: {length:,} characters, {NETWORK_NAMES[current.network]} allows {limit:,} here. "
            "Shorten it."
        )

    emails, phones = customer_contacts(current)
    result = guard.check(
        text, channel=channel, customer_emails=emails, customer_phones=phones, confirmed=confirm_private
    )
    # A reason is free text: whatever else it says, it never stores a card number in clear.
    override_reason = mask_cards((override_reason or "").strip())
    overridden = False
    if result.blocked:
        allowed = can_override(actor) and result.overridable
        if not override_reason or not allowed:
            if override_reason and not allowed:
                raise ReplyBlocked(result, text=text, channel=channel, can_override=False)
            raise ReplyBlocked(result, text=text, channel=channel, can_override=allowed)
        if len(override_reason) < 10:
            raise ReplyError(
                "Write why this must go out as it is (at least a sentence) to override the guard."
            )
        overridden = True

    reasons = guard.approval_reasons(
        text=text,
        author_is_trainee=actor.is_trainee,
        author_is_lead=roles.has_role(actor, roles.LEAD),
        followers=current.customer.followers,
        overridden=overridden,
    )
    reply = Reply.objects.create(
        conversation=current,
        author=actor,
        channel=channel,
        text=text,
        in_reply_to=route.in_reply_to,
        recipient_id=route.recipient_id,
        private_thread=route.private_thread,
        saved_reply=saved_reply,
        approval_reasons=reasons,
        override_findings=[hit.as_record() for hit in result.hits] if overridden else [],
        override_reason=override_reason if overridden else "",
    )
    confirmed = guard.check(text, channel=channel).confirm_kinds if channel == Channel.PRIVATE else []
    audit_record(
        actor=actor,
        verb="reply.create",
        obj=reply,
        after={
            "conversation": current.pk,
            "channel": channel,
            "approval": reasons,
            "length": length,
            **({"confirmed_in_private": confirmed} if confirmed else {}),
        },
    )
    if overridden:
        audit_record(
            actor=actor,
            verb="reply.guard_override",
            obj=reply,
            after={"findings": reply.override_findings, "reason": override_reason},
        )
    if saved_reply is not None:
        SavedReply.objects.filter(pk=saved_reply.pk).update(
            usage_count=F("usage_count") + 1, last_used_at=timezone.now()
        )
    words = _channel_words(reply, current.network)
    if reasons:
        _transition(reply.pk, State.DRAFT, State.AWAITING_APPROVAL)
        _bump(
            current,
            actor=actor,
            kind=Kind.REPLY_QUEUED,
            text=f"wrote {words}, waiting for approval",
            data={"reply": reply.pk},
        )
        people = [u for u in approvers() if u.pk != actor.pk]
        notify(
            recipients=people,
            verb="reply.approval",
            text=f"{actor.display_name}'s reply to {current.customer} waits for approval: "
            + "; ".join(reasons),
            url=reverse("inbox:approvals"),
            email=False,
        )
    else:
        _transition(reply.pk, State.DRAFT, State.QUEUED, queued_at=timezone.now())
        _bump(
            current, actor=actor, kind=Kind.REPLY_QUEUED, text=f"is sending {words}", data={"reply": reply.pk}
        )
        _enqueue(reply.pk)
    reply.refresh_from_db()
    return reply


@transaction.atomic
def reply_approve(*, actor: User, reply: Reply, comment: str = "") -> Reply:
    if not can_approve(actor, reply):
        raise ReplyError("Only social leads approve replies (compliance officers approve guard overrides).")
    if reply.author_id == actor.pk:
        raise ReplyError("You wrote this reply: another lead approves it (four eyes).")
    now = timezone.now()
    if not _transition(
        reply.pk,
        State.AWAITING_APPROVAL,
        State.APPROVED,
        decided_by=actor,
        decided_at=now,
        decision_comment=mask_cards((comment or "").strip())[:1000],
    ):
        current = Reply.objects.select_related("decided_by").get(pk=reply.pk)
        who = f" by {current.decided_by.display_name}" if current.decided_by else ""
        raise ReplyError(f"Not done: this reply is already {current.get_state_display().lower()}{who}.")
    _transition(reply.pk, State.APPROVED, State.QUEUED, queued_at=now)
    audit_record(actor=actor, verb="reply.approve", obj=reply, after={"comment": comment})
    conversation = reply.conversation
    _bump(
        conversation,
        actor=actor,
        kind=Kind.OUTBOX,
        text=f"approved {reply.author.display_name}'s reply",
        data={"reply": reply.pk},
    )
    notify(
        recipients=[reply.author],
        verb="reply.approved",
        text=f"{actor.display_name} approved your reply to {conversation.customer}; it is on its way",
        url=_reply_url(reply),
        email=False,
    )
    _enqueue(reply.pk)
    reply.refresh_from_db()
    return reply


@transaction.atomic
def reply_reject(*, actor: User, reply: Reply, comment: str) -> Reply:
    if not can_approve(actor, reply):
        raise ReplyError("Only social leads approve or reject replies.")
    comment = (comment or "").strip()
    if not comment:
        raise ReplyError("Say why, so the agent can fix the reply: the comment is empty.")
    if not _transition(
        reply.pk,
        State.AWAITING_APPROVAL,
        State.REJECTED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_comment=mask_cards(comment)[:1000],
    ):
        current = Reply.objects.get(pk=reply.pk)
        raise ReplyError(f"Not done: this reply is already {current.get_state_display().lower()}.")
    audit_record(actor=actor, verb="reply.reject", obj=reply, after={"comment": comment})
    conversation = reply.conversation
    _bump(
        conversation,
        actor=actor,
        kind=Kind.OUTBOX,
        text=f"sent {reply.author.display_name}'s reply back",
        data={"reply": reply.pk},
    )
    notify(
        recipients=[reply.author],
        verb="reply.rejected",
        text=f"{actor.display_name} sent back your reply to {conversation.customer}: {comment[:150]}",
        url=_reply_url(reply),
        email=False,
    )
    reply.refresh_from_db()
    return reply


# Before it leaves: a reply a worker has claimed ("sending") may be on the network already.
WITHDRAWABLE = (State.AWAITING_APPROVAL, State.APPROVED, State.QUEUED, State.FAILED, State.REJECTED)


@transaction.atomic
def reply_withdraw(*, actor: User, reply: Reply) -> Reply:
    """Withdraw a reply that has not started sending (its author or a lead); audited.

    A conditional UPDATE from the states before "sending": it and a worker's claim never both
    win, and a task for it still in the broker then finds nothing queued and sends nothing.
    """
    if reply.author_id != actor.pk and not roles.has_role(actor, roles.LEAD):
        raise ReplyError("Only its author or a lead may withdraw a reply.")
    before = Reply.objects.filter(pk=reply.pk).values_list("state", flat=True).first()
    if not _transition(reply.pk, WITHDRAWABLE, State.CANCELLED, lease_until=None, not_before=None):
        current = Reply.objects.get(pk=reply.pk)
        raise ReplyError(f"Too late to withdraw: it is {current.get_state_display().lower()}.")
    audit_record(actor=actor, verb="reply.withdraw", obj=reply, before={"state": before})
    _bump(
        reply.conversation, actor=actor, kind=Kind.OUTBOX, text="withdrew a reply", data={"reply": reply.pk}
    )
    reply.refresh_from_db()
    return reply


@transaction.atomic
def reply_retry(*, actor: User, reply: Reply) -> Reply:
    """Queue a failed reply again; the send checks the network first if it may have gone out."""
    if not roles.can_work_inbox(actor):
        raise ReplyError("Your role may not send replies.")
    if not _transition(
        reply.pk, State.FAILED, State.QUEUED, queued_at=timezone.now(), not_before=None, dispatched_at=None
    ):
        current = Reply.objects.get(pk=reply.pk)
        raise ReplyError(f"Not done: the reply is {current.get_state_display().lower()}, not failed.")
    audit_record(actor=actor, verb="reply.retry", obj=reply, before={"error": reply.error})
    _bump(
        reply.conversation,
        actor=actor,
        kind=Kind.OUTBOX,
        text="tried the failed reply again",
        data={"reply": reply.pk},
    )
    _enqueue(reply.pk)
    reply.refresh_from_db()
    return reply


# --- Sending (the worker) ------------------------------------------------------------------------------


def _claim(reply_id: int, now: dt.datetime) -> bool:
    lease = now + SEND_LEASE
    taken = (
        Reply.objects.filter(pk=reply_id, state=State.QUEUED)
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .update(state=State.SENDING, attempts=F("attempts") + 1, lease_until=lease, updated_at=now)
    )
    if taken:
        return True
    # A reply still "sending" after its lease belongs to a worker that died mid-send.
    return bool(
        Reply.objects.filter(pk=reply_id, state=State.SENDING, lease_until__lt=now).update(
            attempts=F("attempts") + 1, lease_until=lease, updated_at=now
        )
    )


def reply_send(*, reply_id: int) -> str:
    """Send one queued reply; returns "sent", "failed" or "skipped" (not ours to send).

    Raises RetryLater (rate limit: the reply waits, queued, until the reset) or
    TransientSendError (queued again; the task retries with backoff).
    """
    now = timezone.now()
    if not _claim(reply_id, now):
        waiting = (
            Reply.objects.filter(pk=reply_id, state=State.QUEUED, not_before__gt=now)
            .values_list("not_before", flat=True)
            .first()
        )
        if waiting is not None:
            raise RetryLater(int((waiting - now).total_seconds()) + 1, "waiting for the rate limit to reset")
        return "skipped"
    reply = Reply.objects.select_related("conversation__account", "conversation__customer", "author").get(
        pk=reply_id
    )
    conversation = reply.conversation
    account = conversation.account
    network = NETWORK_NAMES.get(conversation.network, conversation.network)
    if account is None:
        _fail(reply, "no connected account of the bank received this conversation")
        return "failed"
    if reply.channel == Channel.PRIVATE and conversation.network in ("facebook", "instagram"):
        route = _private_route(conversation, now=now)
        if not route.available:
            _fail(reply, route.note)
            return "failed"
    lookup = reply.in_reply_to if reply.channel == Channel.PUBLIC else reply.private_thread
    from listening.crypto import CredentialsUnreadable

    try:
        connector = base.connector_for(account.as_account_info())
        sent = None
        if reply.attempts > 1 and lookup:
            # An earlier attempt may have reached the network: look before posting again.
            sent = connector.find_sent(text=reply.text, in_reply_to=lookup)
            if sent is not None:
                logger.info("reply %s was already on %s as %s", reply.pk, network, sent.external_id)
        if sent is None:
            if reply.channel == Channel.PUBLIC:
                sent = connector.send_public_reply(text=reply.text, in_reply_to=reply.in_reply_to)
            else:
                sent = connector.send_private_message(
                    text=reply.text, recipient_id=reply.recipient_id, thread_key=reply.private_thread
                )
    except base.RateLimited as exc:
        reset_at = max(exc.reset_at, now)
        _requeue(
            reply,
            not_before=reset_at,
            error=f"Waiting for {network}'s rate limit to reset at {timezone.localtime(reset_at):%H:%M:%S}",
        )
        raise RetryLater(int((reset_at - now).total_seconds()) + 1 + random.randint(0, 5), str(exc)) from exc
    except base.AuthFailed as exc:
        _fail(
            reply,
            f"{network} refused the bank's token; an administrator must reconnect the account "
            f"({exc.message})",
        )
        return "failed"
    except CredentialsUnreadable as exc:
        _fail(reply, f"the account's credentials cannot be read: {exc}")
        return "failed"
    except base.ConnectorError as exc:
        if exc.permanent:
            _fail(reply, exc.message)
            return "failed"
        _requeue(reply, not_before=None, error=exc.message)
        raise TransientSendError(exc.message) from exc
    _mark_sent(reply, sent)
    return "sent"


def _requeue(reply: Reply, *, not_before: dt.datetime | None, error: str) -> None:
    # The task's own retry carries it from here: stamped, so the relay does not publish a second.
    _transition(
        reply.pk,
        State.SENDING,
        State.QUEUED,
        not_before=not_before,
        lease_until=None,
        error=error[:2000],
        dispatched_at=timezone.now(),
    )


@transaction.atomic
def _fail(reply: Reply, reason: str, *, from_state: str = State.SENDING) -> None:
    if not _transition(reply.pk, from_state, State.FAILED, lease_until=None, error=reason[:2000]):
        return
    audit_record(actor=None, verb="reply.fail", obj=reply, after={"error": reason[:500]})
    _bump(
        reply.conversation,
        actor=None,
        kind=Kind.OUTBOX,
        text=f"a reply by {reply.author.display_name} failed: {reason}"[:300],
        data={"reply": reply.pk},
    )
    notify(
        recipients=[reply.author],
        verb="reply.failed",
        text=f"Your reply to {reply.conversation.customer} was not sent: {reason[:150]}",
        url=_reply_url(reply),
        email=False,
    )


def reply_give_up(*, reply_id: int, reason: str) -> None:
    """After the last retry of transient errors: failed, with the reason and a retry button."""
    reply = Reply.objects.select_related("conversation__customer", "author").get(pk=reply_id)
    _fail(reply, f"{reason} (gave up after {reply.attempts} attempts)", from_state=State.QUEUED)


_MENTION_KIND = {
    "x": Mention.Kind.REPLY,
    "facebook": Mention.Kind.COMMENT,
    "linkedin": Mention.Kind.COMMENT,
    "instagram": Mention.Kind.COMMENT,
}


def _safe_url(url: str) -> str:
    return url if url.startswith(("https://", "http://")) else ""


@transaction.atomic
def _mark_sent(reply: Reply, sent: base.SentMessage) -> None:
    from listening.services import mention_record_sent

    now = timezone.now()
    if not Reply.objects.filter(pk=reply.pk, state=State.SENDING).update(
        state=State.SENT,
        external_id=sent.external_id[:128],
        url=_safe_url(sent.url)[:500],
        sent_at=now,
        error="",
        lease_until=None,
        not_before=None,
        updated_at=now,
    ):
        return  # recorded already by the worker that took over
    conversation = (
        Conversation.objects.select_for_update(of=("self",))
        .select_related("customer", "account")
        .get(pk=reply.conversation_id)
    )
    mention, created = mention_record_sent(
        account=conversation.account,
        sent=sent,
        text=reply.text,
        kind=Mention.Kind.DIRECT if reply.channel == Channel.PRIVATE else _MENTION_KIND[conversation.network],
        thread_key=conversation.thread_key,
        in_reply_to=reply.in_reply_to,
        sent_at=now,
    )
    Reply.objects.filter(pk=reply.pk).update(mention=mention)
    first_response = conversation.first_response_at is None
    fields: dict = {
        "last_activity_at": max(conversation.last_activity_at, now),
        "version": F("version") + 1,
    }
    if created:
        fields["message_count"] = F("message_count") + 1
    if first_response:
        fields["first_response_at"] = now
    if conversation.status == Conversation.Status.NEW:
        fields["status"] = Conversation.Status.OPEN
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    version = Conversation.objects.values_list("version", flat=True).get(pk=conversation.pk)
    ConversationEvent.objects.create(
        conversation=conversation,
        actor=reply.author,
        kind=Kind.REPLY,
        text=f"sent {_channel_words(reply, conversation.network)}",
        data={"reply": reply.pk, "mention": mention.external_id},
        version=version,
    )
    audit_record(
        actor=None,
        verb="reply.sent",
        obj=reply,
        after={"external_id": sent.external_id, "url": reply.url, "author": reply.author.get_username()},
    )
    if first_response:
        audit_record(
            actor=reply.author,
            verb="conversation.first_response",
            obj=conversation,
            after={"first_response_at": now.isoformat(), "reply": reply.pk},
        )
    conversation_reindex(conversation=conversation)


def replies_recover(*, now: dt.datetime | None = None) -> list[int]:
    """Replies whose worker died ("sending" past its lease); ids to send again.

    Queued replies whose task never reached the broker, or was lost there, are the relay's
    (`replies_dispatch`), every few seconds.
    """
    now = now or timezone.now()
    stuck = Reply.objects.filter(state=State.SENDING, lease_until__lt=now).values_list("pk", flat=True)[:500]
    return list(stuck)
