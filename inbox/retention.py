"""The inbox's part in retention and erasure (see bankbuzz/audit/retention.py).

The inbox knows which messages the team worked on, so the kinds about customers' messages
and conversations live here, and so does the erasure of a person's content (it calls
listening's helpers to anonymise the rows). Escalations hang on conversations and register
their own clean-up (`escalations/retention.py`).

An anonymised conversation keeps its row (status, times, who worked it: the dashboards'
response times stay true) with `preview` set to ANONYMISED; its messages, notes, reply texts,
customer-facing events and search index are wiped.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from bankbuzz.accounts.models import Notification
from bankbuzz.audit import erasure
from bankbuzz.audit import retention as r
from inbox.models import Conversation, ConversationEvent, Note, Reply
from inbox.services import conversation_reindex
from listening import retention as lr
from listening.models import Author, Mention

ANONYMISED = "[anonymised]"
CONVERSATION = "inbox.conversation"
AUTHOR = "listening.author"
ANSWERED = "inbox.answered_conversations"
# Seven years, with the leap days they contain: the record-keeping obligation is in years.
SEVEN_YEARS = 7 * r.YEAR + 2

# Events that describe what the customer did or said; the team's own steps stay as they were.
CUSTOMER_EVENTS = (
    ConversationEvent.Kind.OPENED,
    ConversationEvent.Kind.MESSAGE,
    ConversationEvent.Kind.REOPENED,
    ConversationEvent.Kind.HIDDEN,
    ConversationEvent.Kind.ESCALATION,
    ConversationEvent.Kind.NOTE,
    ConversationEvent.Kind.REPLY,
    ConversationEvent.Kind.REPLY_QUEUED,
    ConversationEvent.Kind.OUTBOX,
    # A dismissal's or a regime change's reason is the team's free text about the customer.
    ConversationEvent.Kind.COMPLAINT,
)


def _threads(ids: list[int]) -> dict[str, list[str]]:
    by_network: dict[str, list[str]] = defaultdict(list)
    for network, thread_key in Conversation.objects.filter(pk__in=ids).values_list("network", "thread_key"):
        by_network[network].append(thread_key)
    return by_network


def _thread_mentions(ids: list[int]) -> QuerySet[Mention]:
    """The messages of these conversations (uses mention_thread_idx per network)."""
    q = Q(pk__in=[])
    for network, keys in _threads(ids).items():
        q |= Q(network=network, thread_key__in=keys)
    return Mention.objects.filter(q)


def _held_conversations(holds: r.Holds) -> Q:
    return Q(pk__in=holds.ids(CONVERSATION)) | Q(customer_id__in=holds.ids(AUTHOR))


# --- Deleting and anonymising conversations --------------------------------------------------------


def conversations_delete(ids: list[int]) -> int:
    held_people = r.Holds.load().ids(AUTHOR)
    mentions = _thread_mentions(ids).exclude(author_id__in=held_people)
    r.dependents_delete(CONVERSATION, ids)
    r.dependents_delete("listening.mention", list(mentions.values_list("pk", flat=True)))
    mentions.delete()
    return Conversation.objects.filter(pk__in=ids).delete()[1].get("inbox.Conversation", 0)


def conversations_anonymise(ids: list[int]) -> int:
    held_people = r.Holds.load().ids(AUTHOR)
    lr.mentions_anonymise(_thread_mentions(ids).exclude(author_id__in=held_people))
    Note.objects.filter(conversation_id__in=ids).update(text=r.REMOVED)
    Reply.objects.filter(conversation_id__in=ids).update(
        text=r.REMOVED, override_reason="", decision_comment="", override_findings=[], error=""
    )
    ConversationEvent.objects.filter(conversation_id__in=ids, kind__in=CUSTOMER_EVENTS).update(
        text=r.REMOVED, data={}
    )
    r.dependents_anonymise(CONVERSATION, ids)
    done = (
        Conversation.objects.filter(pk__in=ids)
        .exclude(preview=ANONYMISED)
        .update(preview=ANONYMISED, has_pii=False, search_vector=None, search_handle="")
    )
    customers = Conversation.objects.filter(pk__in=ids).values("customer_id")
    lr.author_anonymise(_nothing_left(Author.objects.filter(pk__in=customers).exclude(pk__in=held_people)))
    return done


def _nothing_left(authors: QuerySet[Author]) -> QuerySet[Author]:
    """People none of whose messages or conversations is still kept as it was."""
    return authors.exclude(
        Exists(Mention.objects.filter(author=OuterRef("pk")).exclude(external_id__startswith=lr.ANON_PREFIX))
    ).exclude(Exists(Conversation.objects.filter(customer=OuterRef("pk")).exclude(preview=ANONYMISED)))


# --- Kinds ------------------------------------------------------------------------------------------


def _unactioned(cutoff: dt.datetime) -> QuerySet:
    return Mention.objects.filter(direction=Mention.Direction.IN, received_at__lt=cutoff).exclude(
        Exists(Conversation.objects.filter(network=OuterRef("network"), thread_key=OuterRef("thread_key")))
    )


def _mentions_delete(ids: list[int]) -> int:
    r.dependents_delete("listening.mention", ids)
    return Mention.objects.filter(pk__in=ids).delete()[1].get("listening.Mention", 0)


def _orphans(cutoff: dt.datetime) -> QuerySet:
    return (
        Author.objects.filter(updated_at__lt=cutoff)
        .exclude(Exists(Mention.objects.filter(author=OuterRef("pk"))))
        .exclude(Exists(Conversation.objects.filter(customer=OuterRef("pk"))))
    )


def register() -> None:
    for kind in (_unactioned_kind(), *_conversation_kinds(), _orphans_kind()):
        r.register_kind(kind)
    r.register_hold_target(_conversation_hold_target())
    erasure.register_eraser(erase_person)


def _unactioned_kind() -> r.Kind:
    return r.Kind(
        key="inbox.unactioned_hits",
        label="Listening hits never acted on",
        covers="customers' posts and search hits that never opened a conversation (listening "
        "only, or left out of the inbox by a query)",
        action=r.DELETE,
        default_days=90,
        minimum_days=30,
        since="arrival",
        candidates=_unactioned,
        held=lambda holds: Q(author_id__in=holds.ids(AUTHOR)),
        apply=_mentions_delete,
    )


def _conversation_kinds() -> tuple[r.Kind, ...]:
    """Spam, conversations never answered (deleted), and those answered (anonymised)."""
    spam = r.Kind(
        key="inbox.spam_conversations",
        label="Spam",
        covers="conversations marked spam, with their messages",
        action=r.DELETE,
        default_days=90,
        minimum_days=7,
        candidates=lambda cutoff: Conversation.objects.filter(
            status=Conversation.Status.SPAM, last_activity_at__lt=cutoff
        ),
        held=_held_conversations,
        apply=conversations_delete,
        batch_size=200,
    )
    unanswered = r.Kind(
        key="inbox.unanswered_conversations",
        label="Conversations the bank never answered",
        covers="conversations without a reply from the bank (not spam), with their messages, "
        "notes and escalations",
        action=r.DELETE,
        default_days=2 * r.YEAR,
        minimum_days=r.YEAR,
        candidates=lambda cutoff: Conversation.objects.filter(
            first_response_at__isnull=True, last_activity_at__lt=cutoff
        ).exclude(status=Conversation.Status.SPAM),
        held=_held_conversations,
        apply=conversations_delete,
        batch_size=200,
    )
    answered = r.Kind(
        key=ANSWERED,
        label="Conversations the bank answered",
        covers="conversations with a reply from the bank: the record of what the customer asked "
        "and what the bank said. Afterwards the row stays for the response-time figures; the "
        "messages, notes, reply texts, escalation texts, search index and (when nothing else "
        "of theirs is kept) the customer's profile are anonymised",
        action=r.ANONYMISE,
        default_days=SEVEN_YEARS,
        minimum_days=SEVEN_YEARS,
        candidates=lambda cutoff: (
            Conversation.objects.filter(first_response_at__isnull=False, last_activity_at__lt=cutoff)
            .exclude(status=Conversation.Status.SPAM)
            .exclude(preview=ANONYMISED)
        ),
        held=_held_conversations,
        apply=conversations_anonymise,
        batch_size=200,
    )
    return spam, unanswered, answered


def _orphans_kind() -> r.Kind:
    return r.Kind(
        key="inbox.orphan_people",
        label="Profiles with nothing left",
        covers="people (name, handle, avatar) none of whose messages or conversations is stored any more",
        action=r.DELETE,
        default_days=30,
        minimum_days=0,
        since="the profile's last update",
        candidates=_orphans,
        held=lambda holds: Q(pk__in=holds.ids(AUTHOR)),
        apply=r.deleter(Author),
    )


def _conversation_hold_target() -> r.HoldTarget:
    return r.HoldTarget(
        key="conversation",
        label="Conversation",
        model=Conversation,
        help='the conversation\'s number, as in its address ("/inbox/c/12/" is 12)',
        find=lambda ref: (
            Conversation.objects.filter(pk=int(ref.lstrip("#"))).first()
            if ref.lstrip("#").isdigit()
            else None
        ),
        describe=lambda c: f"Conversation {c.pk} on {c.get_network_display()} with {c.customer}",
    )


# --- Erasure ----------------------------------------------------------------------------------------


def _other_conversations(mentions: QuerySet[Mention], *, exclude: list[int]) -> list[Conversation]:
    """Conversations (not the person's own) whose threads hold some of these messages."""
    q = _threads_q(mentions.values_list("network", "thread_key").distinct())
    return list(Conversation.objects.filter(q).exclude(pk__in=exclude).select_related("customer"))


def _obligation_ends(conversation: Conversation, days: int) -> dt.datetime:
    return conversation.last_activity_at + dt.timedelta(days=days)


def erase_person(context: erasure.ErasureContext) -> None:
    """Anonymise one person's profile and content, except what a hold or the record-keeping
    obligation keeps (kept verbatim, with the profile minimised and payloads scrubbed)."""
    author: Author = context.subject
    report, holds = context.report, context.holds
    author_ref = f"{AUTHOR}:{author.pk}"
    conversations = list(Conversation.objects.filter(customer=author).order_by("pk"))
    mentions = Mention.objects.filter(author=author)
    context.audit_refs += [
        (AUTHOR, [author.pk]),
        (CONVERSATION, [c.pk for c in conversations]),
        ("listening.mention", list(mentions.values_list("pk", flat=True)[:5000])),
    ]
    if author.pk in holds.ids(AUTHOR):
        hold = r.active_hold(author)
        report.keep(author_ref, "the profile and everything this person said", r.hold_reason(hold))
        report.count("kept_messages", mentions.count())
        return

    held_ids = holds.ids(CONVERSATION)
    kept = _conversations_erase(context, conversations, held_ids=held_ids)
    # Their messages outside the kept conversations (listening hits, others' threads).
    kept_threads = _threads_q((conversation.network, conversation.thread_key) for conversation in kept)
    held_threads = _threads_q(
        Conversation.objects.filter(pk__in=held_ids).values_list("network", "thread_key")
    )
    _loose_messages_erase(
        report, mentions.exclude(kept_threads).exclude(held_threads), exclude=[c.pk for c in conversations]
    )
    _kept_messages_minimise(report, mentions, kept_threads=kept_threads, held_threads=held_threads)
    if kept or mentions.filter(held_threads).exists():
        lr.author_minimise(Author.objects.filter(pk=author.pk))
        report.did(author_ref, "Profile: avatar, profile link, follower count", "removed")
        report.keep(
            author_ref,
            "Profile: name, handle and the network's id",
            "needed to tell whose record the kept conversations are; anonymised when the last one goes",
        )
    else:
        lr.author_anonymise(Author.objects.filter(pk=author.pk))
        report.did(author_ref, "Profile: name, handle, avatar, profile link, follower count, network id")


def _threads_q(threads) -> Q:
    """Messages in any of these (network, thread key) threads."""
    q = Q(pk__in=[])
    for network, key in threads:
        q |= Q(network=network, thread_key=key)
    return q


def _conversations_erase(
    context: erasure.ErasureContext, conversations: list[Conversation], *, held_ids
) -> list[Conversation]:
    """Anonymise the person's conversations that nothing keeps; return those kept (held, or
    answered and within the record-keeping obligation)."""
    report = context.report
    days = r.policy_days(ANSWERED)
    kept, erase = [], []
    for conversation in conversations:
        ref = f"{CONVERSATION}:{conversation.pk}"
        what = f"Conversation {conversation.pk} on {conversation.get_network_display()}"
        if conversation.preview == ANONYMISED:
            report.did(ref, what, "anonymised earlier")
        elif conversation.pk in held_ids:
            kept.append(conversation)
            report.keep(ref, what, r.hold_reason(r.active_hold(conversation)))
        elif conversation.first_response_at and _obligation_ends(conversation, days) > context.now:
            kept.append(conversation)
            report.keep(
                ref,
                what,
                f"answered by the bank on {conversation.first_response_at:%Y-%m-%d}: the record of the "
                f"exchange is kept verbatim until {_obligation_ends(conversation, days):%Y-%m-%d} "
                f"({days} days after its last activity); payloads lose the profile fields",
            )
        else:
            erase.append(conversation)
    if erase:
        ids = [c.pk for c in erase]
        conversations_anonymise(ids)
        # Notifications about these conversations name the customer ("a note on @jane_doe").
        urls = [reverse("inbox:detail", args=[pk]) for pk in ids]
        Notification.objects.filter(url__regex=r"^(" + "|".join(map(re.escape, urls)) + r")(#|$)").update(
            text=f"{r.REMOVED} (a conversation anonymised on request)"
        )
        for conversation in erase:
            report.did(
                f"{CONVERSATION}:{conversation.pk}",
                f"Conversation {conversation.pk} on {conversation.get_network_display()}: messages, notes, "
                "reply texts, escalation texts and search index",
            )
        report.count("conversations_anonymised", len(ids))
    return kept


def _loose_messages_erase(report, loose: QuerySet[Mention], *, exclude: list[int]) -> None:
    """Anonymise the person's messages outside the conversations kept, and rebuild the search
    index of colleagues' conversations their words were in."""
    others = _other_conversations(loose, exclude=exclude)
    n = lr.mentions_anonymise(loose)
    for other in others:  # their words were in a colleague's search index: rebuilt without them
        conversation_reindex(conversation=other)
    if n:
        report.did(
            "listening.mention",
            f"{n} message{'s' if n != 1 else ''} outside the conversations kept: text, payload, links, ids",
        )
    report.count("messages_anonymised", n)


def _kept_messages_minimise(report, mentions: QuerySet[Mention], *, kept_threads: Q, held_threads: Q) -> None:
    """The messages kept lose the profile fields of their payloads and their cards' sealed originals."""
    minimised = lr.mentions_minimise(mentions.filter(kept_threads))
    # The record kept is the masked text; a card number's sealed original is no part of it.
    unsealed = lr.card_originals_delete(mentions.filter(kept_threads).exclude(held_threads))
    if unsealed:
        report.did(
            "listening.mentionoriginal",
            f"{unsealed} sealed original{'s' if unsealed != 1 else ''} of messages with a card number",
        )
    report.count("kept_messages", mentions.filter(kept_threads).count())
    if minimised:
        report.did(
            "listening.mention",
            f"{minimised} kept message{'s' if minimised != 1 else ''}: profile fields removed from payloads",
            "minimised",
        )
