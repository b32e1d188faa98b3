"""Kudos: a customer's thanks after an answer, passed on to the specialist."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from bankbuzz.accounts.notifications import notify
from escalations.models import Escalation, EscalationEvent, Kudos
from escalations.services.routing import threads_q
from escalations.services.steps import conversation_url, escalation_url, record_event
from inbox.models import Conversation
from listening.models import Mention

Kind = EscalationEvent.Kind


THANKS_INTENTS = ("thanks", "praise")


@transaction.atomic
def kudos_from_mentions(*, mention_ids: list[int]) -> list[Kudos]:
    """A customer who thanks us after an expert's answer earns the expert and the agent kudos.

    The answered escalations of all the thanking threads are read at once, not per mention.
    """
    thanks = list(
        Mention.objects.filter(pk__in=mention_ids, direction=Mention.Direction.IN, intent__in=THANKS_INTENTS)
        .defer("raw", "edit_history")
        .order_by("created_at")
    )
    if not thanks:
        return []
    answered = _answered_by_thread(thanks)
    given = []
    for mention in thanks:
        escalation = _escalation_thanked(answered, mention)
        if escalation is None:
            continue
        kudos = _kudos_give(escalation, mention)
        if kudos is not None:
            given.append(kudos)
    return given


def _answered_by_thread(thanks: list[Mention]) -> dict[tuple[str, str], list[Escalation]]:
    """The answered escalations without kudos of the thanking threads, newest answer first."""
    # Which escalations could earn kudos first (a cheap query that usually finds none), then those.
    candidates = list(
        Escalation.objects.filter(
            conversation__in=Conversation.objects.filter(
                threads_q((m.network, m.thread_key) for m in thanks)
            ).values("pk"),
            answered_at__lte=max(m.created_at for m in thanks),
            answered_by__isnull=False,
            kudos__isnull=True,
        ).values_list("pk", flat=True)
    )
    answered: dict[tuple[str, str], list[Escalation]] = {}
    for escalation in (
        Escalation.objects.filter(pk__in=candidates)
        .select_related("answered_by", "requested_by", "conversation", "conversation__customer", "department")
        .order_by("-answered_at")
        if candidates
        else []
    ):
        key = (escalation.conversation.network, escalation.conversation.thread_key)
        answered.setdefault(key, []).append(escalation)
    return answered


def _escalation_thanked(
    answered: dict[tuple[str, str], list[Escalation]], mention: Mention
) -> Escalation | None:
    """The latest escalation answered before the thanks, taken out of `answered`.

    Kudos count once per escalation: a second thank-you in the same page gives none.
    """
    in_thread = answered.get((mention.network, mention.thread_key), [])
    escalation = next((e for e in in_thread if e.answered_at <= mention.created_at), None)
    if escalation is not None:
        in_thread.remove(escalation)
    return escalation


def _kudos_give(escalation: Escalation, mention: Mention) -> Kudos | None:
    """Record the kudos and tell the expert and the agent; None if this thanks gave kudos before."""
    agent = escalation.requested_by or escalation.conversation.assignee
    try:
        with transaction.atomic():
            kudos = Kudos.objects.create(
                escalation=escalation,
                conversation=escalation.conversation,
                mention=mention,
                expert=escalation.answered_by,
                agent=agent,
            )
    except IntegrityError:
        return None  # the same thanks, delivered twice
    customer = escalation.conversation.customer.label  # "@handle", or the name on Facebook
    record_event(escalation, actor=None, kind=Kind.KUDOS, text=f"{customer} thanked us after the answer")
    text = (
        f"Kudos! {customer} thanked us after {escalation.answered_by.display_name}'s answer "
        f"({escalation.department.name})"
    )
    # The expert opens the conversation through the escalation (specialists have no inbox).
    notify(
        recipients=[escalation.answered_by],
        verb="escalation.kudos",
        text=text,
        url=escalation_url(escalation),
        email=False,
    )
    if agent is not None and agent.pk != escalation.answered_by_id:
        notify(
            recipients=[agent],
            verb="escalation.kudos",
            text=text,
            url=conversation_url(escalation),
            email=False,
        )
    return kudos
