"""Where a reply can go: publicly in the thread, or privately within the network's window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone

from inbox.models import Conversation, Reply
from listening.models import Mention, Network

Channel = Reply.Channel


MESSENGER_WINDOW = dt.timedelta(hours=24)


INSTAGRAM_WINDOW = dt.timedelta(hours=24)


INSTAGRAM_HUMAN_AGENT_WINDOW = dt.timedelta(days=7)


# The networks as people name them ("X", "LinkedIn"): the labels of `Network`, as every page shows them.
NETWORK_NAMES = dict(Network.choices)


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


def _last_direct_message(network: str, customer) -> dict | None:
    """When and in which thread the customer last wrote to the bank privately on `network`:
    the messaging window counts from it."""
    return (
        Mention.objects.filter(
            network=network, author=customer, kind=Mention.Kind.DIRECT, direction=Mention.Direction.IN
        )
        .order_by("-created_at")
        .values("created_at", "thread_key")
        .first()
    )


def private_route(conversation: Conversation, *, now: dt.datetime | None = None) -> Route:
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
    last = _last_direct_message("facebook", customer)
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
    last = _last_direct_message("instagram", customer)
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
    return {Channel.PUBLIC: _public_route(conversation), Channel.PRIVATE: private_route(conversation)}


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


def reply_url(reply: Reply) -> str:
    return reverse("inbox:detail", args=[reply.conversation_id]) + f"#reply-{reply.pk}"


def channel_words(reply: Reply, network: str) -> str:
    name = NETWORK_NAMES.get(network, network)
    return f"a public reply on {name}" if reply.channel == Channel.PUBLIC else f"a private message on {name}"
