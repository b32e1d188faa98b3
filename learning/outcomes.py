"""What each reply that used a library entry led to, decided from what happened next.

For a sent reply that used a saved reply (inbox's `Reply.saved_reply`) or an advice article
(a `SuggestionUse` matched to the agent's next reply on the conversation within two hours),
the first of these within 72 hours of sending decides:

- an escalation opened on the conversation: escalated;
- the customer's next message: thanks when enrichment read it as thanks, else wrote again;
- neither within 72 hours: resolved.

Until then the outcome is pending. Beat runs `update_outcomes` every 15 minutes; each step is
idempotent (unique rows, conditional updates), so a repeat or an overlap changes nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from escalations.models import Escalation
from inbox.models import Reply
from learning.models import EntryStats, Outcome, ReplyOutcome, SuggestionUse
from listening.models import Mention

FOLLOW = dt.timedelta(hours=72)
LINK_WINDOW = dt.timedelta(hours=2)
# Replies sent longer ago than this are not looked for again (a beat down for a month).
LOOKBACK = dt.timedelta(days=30)


def link_uses(*, now: dt.datetime) -> int:
    """Match inserted articles to the reply they went into: the user's next reply there."""
    linked = 0
    uses = SuggestionUse.objects.filter(
        reply__isnull=True,
        article__isnull=False,
        conversation__isnull=False,
        created_at__gte=now - LINK_WINDOW - dt.timedelta(days=1),
    )
    for use in uses.iterator():
        reply = (
            Reply.objects.filter(
                conversation_id=use.conversation_id,
                author_id=use.user_id,
                created_at__gte=use.created_at,
                created_at__lte=use.created_at + LINK_WINDOW,
            )
            .order_by("created_at", "id")
            .first()
        )
        if reply is not None:
            linked += SuggestionUse.objects.filter(pk=use.pk, reply__isnull=True).update(reply=reply)
    return linked


def open_outcomes(*, now: dt.datetime) -> set[tuple[str, int]]:
    """A pending outcome for every sent reply that used an entry; returns the entries touched."""
    since = now - LOOKBACK
    has_saved = ReplyOutcome.objects.filter(reply=OuterRef("pk"), saved_reply_id=OuterRef("saved_reply_id"))
    rows = [
        ReplyOutcome(
            reply_id=pk, conversation_id=conv, saved_reply_id=saved, sent_at=sent_at, outcome=Outcome.PENDING
        )
        for pk, conv, saved, sent_at in Reply.objects.filter(
            state=Reply.State.SENT, saved_reply__isnull=False, sent_at__gte=since
        )
        .exclude(Exists(has_saved))
        .values_list("pk", "conversation_id", "saved_reply_id", "sent_at")
    ]
    has_article = ReplyOutcome.objects.filter(reply=OuterRef("reply_id"), article_id=OuterRef("article_id"))
    rows += [
        ReplyOutcome(
            reply_id=reply, conversation_id=conv, article_id=article, sent_at=sent_at, outcome=Outcome.PENDING
        )
        for reply, conv, article, sent_at in SuggestionUse.objects.filter(
            reply__state=Reply.State.SENT, article__isnull=False, reply__sent_at__gte=since
        )
        .exclude(Exists(has_article))
        .values_list("reply_id", "reply__conversation_id", "article_id", "reply__sent_at")
        .distinct()
    ]
    ReplyOutcome.objects.bulk_create(rows, ignore_conflicts=True)
    return {_entry(r) for r in rows}


def _entry(row) -> tuple[str, int]:
    return ("saved_reply", row.saved_reply_id) if row.saved_reply_id else ("article", row.article_id)


def decide_one(outcome: ReplyOutcome, *, now: dt.datetime) -> str | None:
    """The outcome of one reply, or None while it is too early to say."""
    conversation = outcome.conversation
    end = outcome.sent_at + FOLLOW
    message = (
        Mention.objects.filter(
            network=conversation.network,
            thread_key=conversation.thread_key,
            direction=Mention.Direction.IN,
            created_at__gt=outcome.sent_at,
            created_at__lte=end,
        )
        .order_by("created_at", "id")
        .only("created_at", "intent")
        .first()
    )
    escalation = (
        Escalation.objects.filter(
            conversation=conversation, opened_at__gt=outcome.sent_at, opened_at__lte=end
        )
        .order_by("opened_at")
        .only("opened_at")
        .first()
    )
    if escalation is not None and (message is None or escalation.opened_at < message.created_at):
        return Outcome.ESCALATED
    if message is not None:
        return Outcome.THANKS if message.intent == "thanks" else Outcome.WROTE_AGAIN
    if now >= end:
        return Outcome.RESOLVED
    return None


def decide_pending(*, now: dt.datetime) -> set[tuple[str, int]]:
    touched = set()
    pending = ReplyOutcome.objects.filter(outcome=Outcome.PENDING).select_related("conversation")
    for outcome in pending.iterator():
        decided = decide_one(outcome, now=now)
        if decided is None:
            continue
        if ReplyOutcome.objects.filter(pk=outcome.pk, outcome=Outcome.PENDING).update(
            outcome=decided, decided_at=now
        ):
            touched.add(_entry(outcome))
    return touched


def refresh_stats(entries: set[tuple[str, int]], *, now: dt.datetime) -> None:
    """Recount the outcomes of the entries given into their EntryStats row."""
    counts = {f"n_{value}": Count("pk", filter=Q(outcome=value)) for value in Outcome.values}
    for kind, pk in entries:
        field = "saved_reply_id" if kind == "saved_reply" else "article_id"
        totals = ReplyOutcome.objects.filter(**{field: pk}).aggregate(**counts)
        with transaction.atomic():
            EntryStats.objects.update_or_create(
                **{field: pk},
                defaults={
                    "thanks": totals["n_thanks"],
                    "resolved": totals["n_resolved"],
                    "wrote_again": totals["n_wrote_again"],
                    "escalated": totals["n_escalated"],
                    "pending": totals["n_pending"],
                    "updated_at": now,
                },
            )


def update_outcomes(*, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    linked = link_uses(now=now)
    touched = open_outcomes(now=now)
    touched |= decide_pending(now=now)
    refresh_stats(touched, now=now)
    return {"linked": linked, "entries": len(touched)}
