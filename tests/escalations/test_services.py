"""The life of an escalation: open, claim, ask, give information, answer, transfer, close, kudos."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts.models import Notification
from bankbuzz.audit.models import AuditEvent
from escalations import services
from escalations.models import Escalation, EscalationEvent, Kudos
from inbox.models import Conversation, ConversationEvent
from tests.factories import MentionFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")
State = Escalation.State
Status = Conversation.Status


def test_escalating_puts_the_conversation_waiting_on_the_expert(agent, cards_specialist, escalation):
    conversation = escalation.conversation
    conversation.refresh_from_db()
    assert conversation.status == Status.WAITING_EXPERT
    assert escalation.state == State.OPEN
    assert escalation.events.get().kind == EscalationEvent.Kind.OPENED
    assert AuditEvent.objects.filter(verb="escalation.opened", object_id=str(escalation.pk)).exists()
    assert ConversationEvent.objects.filter(conversation=conversation, kind="escalation").exists()
    assert Notification.objects.filter(recipient=cards_specialist, verb="escalation.open").exists()


def test_the_friday_evening_card_question_is_due_on_monday(agent, cards, card_conversation):
    friday = dt.datetime(2026, 11, 6, 17, 55, tzinfo=LONDON)
    escalation = services.escalation_open(
        actor=agent, conversation=card_conversation, department=cards, question="Declined card", now=friday
    )
    # Normal priority: 4 working hours to the first response, 16 to resolve.
    assert escalation.response_due_at == dt.datetime(2026, 11, 9, 13, 0, tzinfo=LONDON)
    assert escalation.response_warn_at == dt.datetime(2026, 11, 9, 12, 0, tzinfo=LONDON)
    # Mon 8.5h + Tue 7.5h: Tuesday 16:30.
    assert escalation.resolution_due_at == dt.datetime(2026, 11, 10, 16, 30, tzinfo=LONDON)
    assert escalation.due_at == escalation.response_due_at


def test_one_active_escalation_per_conversation(agent, cards, escalation):
    with pytest.raises(services.EscalationError, match="already with an expert"):
        services.escalation_open(
            actor=agent, conversation=escalation.conversation, department=cards, question="Again?"
        )


def test_asking_for_information_pauses_the_clock_and_giving_it_resumes(
    agent, cards, card_conversation, cards_specialist
):
    monday = dt.datetime(2026, 11, 9, 9, 0, tzinfo=LONDON)
    escalation = services.escalation_open(
        actor=agent, conversation=card_conversation, department=cards, question="Declined card", now=monday
    )
    # At 10:00 the expert asks; 15 working hours of resolution are left.
    escalation = services.escalation_request_info(
        actor=cards_specialist,
        escalation=escalation,
        question="Which shop?",
        now=monday + dt.timedelta(hours=1),
    )
    assert escalation.state == State.WAITING_AGENT
    assert escalation.due_at is None and escalation.resolution_due_at is None
    assert escalation.paused_remaining["resolution_due_at"] == 15 * 3600
    assert escalation.sla_state() == "paused"
    card_conversation.refresh_from_db()
    assert card_conversation.status == Status.OPEN
    # The agent answers on Wednesday at 09:00: 15 working hours from then is Thursday 15:30.
    wednesday = dt.datetime(2026, 11, 11, 9, 0, tzinfo=LONDON)
    escalation = services.escalation_give_info(
        actor=agent, escalation=escalation, text="The corner shop", now=wednesday
    )
    assert escalation.state == State.OPEN
    assert escalation.resolution_due_at == dt.datetime(2026, 11, 12, 15, 30, tzinfo=LONDON)
    card_conversation.refresh_from_db()
    assert card_conversation.status == Status.WAITING_EXPERT


def test_the_answer_returns_the_conversation_to_the_agent_with_the_proposed_reply(
    agent, cards_specialist, escalation
):
    services.escalation_claim(actor=cards_specialist, escalation=escalation)
    escalation = services.escalation_answer(
        actor=cards_specialist,
        escalation=escalation,
        answer="The daily limit was reached; it resets at midnight.",
        proposed_reply="Hi Jane, your card hit its daily limit. It resets at midnight.",
    )
    assert escalation.state == State.ANSWERED
    assert escalation.due_at is None
    assert escalation.first_response_at is not None
    conversation = Conversation.objects.get(pk=escalation.conversation_id)
    assert conversation.status == Status.OPEN
    note = Notification.objects.get(recipient=agent, verb="escalation.answered")
    assert note.url == reverse("inbox:detail", args=[conversation.pk])
    kinds = list(escalation.events.values_list("kind", flat=True))
    assert kinds == ["opened", "claimed", "answered"]
    verbs = set(AuditEvent.objects.filter(object_id=str(escalation.pk)).values_list("verb", flat=True))
    assert {"escalation.opened", "escalation.claimed", "escalation.answered"} <= verbs
    # The conversation's move back to open is the specialist's, in its thread and in the audit log.
    status_event = ConversationEvent.objects.filter(conversation=conversation, kind="status").last()
    assert status_event.actor == cards_specialist
    reopened = AuditEvent.objects.filter(
        verb="conversation.status", object_id=str(conversation.pk), after__status="open"
    ).get()
    assert reopened.actor == cards_specialist


def test_transfer_needs_a_reason_and_restarts_the_clock(cards_specialist, escalation, fraud):
    with pytest.raises(services.EscalationError):
        services.escalation_transfer(
            actor=cards_specialist, escalation=escalation, department=fraud, reason=" "
        )
    escalation = services.escalation_transfer(
        actor=cards_specialist, escalation=escalation, department=fraud, reason="Cloned card"
    )
    assert escalation.department == fraud
    assert escalation.assignee is None
    assert "Cloned card" in escalation.events.last().text


def test_closing_an_open_escalation_returns_the_conversation(agent, escalation):
    services.escalation_close(actor=agent, escalation=escalation, reason="Customer sorted it out")
    escalation.refresh_from_db()
    assert escalation.state == State.CLOSED
    assert Conversation.objects.get(pk=escalation.conversation_id).status == Status.OPEN


def test_kudos_when_the_customer_thanks_us_after_the_answer(agent, cards_specialist, escalation):
    services.escalation_answer(actor=cards_specialist, escalation=escalation, answer="Daily limit.")
    conversation = escalation.conversation
    thanks = MentionFactory(
        author=conversation.customer,
        thread_key=conversation.thread_key,
        text="Thank you so much, all sorted!",
        intent="thanks",
        created_at=timezone.now() + dt.timedelta(minutes=5),
    )
    customer = conversation.customer
    customer.handle, customer.name = "", "Dev Silva"  # as on Facebook: a name, no handle
    customer.save()
    given = services.kudos_from_mentions(mention_ids=[thanks.pk])
    assert len(given) == 1
    assert given[0].expert == cards_specialist and given[0].agent == agent
    assert given[0].conversation == conversation
    told = Notification.objects.get(recipient=cards_specialist, verb="escalation.kudos")
    assert told.text.startswith("Kudos! Dev Silva thanked us after ")
    assert (
        escalation.events.get(kind=EscalationEvent.Kind.KUDOS).text == "Dev Silva thanked us after the answer"
    )
    assert Notification.objects.filter(recipient=agent, verb="escalation.kudos").count() == 1
    # The same thanks delivered again, or a second thank-you, gives no second kudos.
    assert services.kudos_from_mentions(mention_ids=[thanks.pk]) == []
    assert Kudos.objects.count() == 1


def test_no_kudos_for_thanks_before_the_answer_or_for_complaints(cards_specialist, escalation):
    conversation = escalation.conversation
    early = MentionFactory(
        author=conversation.customer,
        thread_key=conversation.thread_key,
        intent="thanks",
        text="thanks in advance",
    )
    services.escalation_answer(actor=cards_specialist, escalation=escalation, answer="Daily limit.")
    angry = MentionFactory(
        author=conversation.customer,
        thread_key=conversation.thread_key,
        intent="complaint",
        created_at=timezone.now() + dt.timedelta(minutes=5),
    )
    assert services.kudos_from_mentions(mention_ids=[early.pk, angry.pk]) == []


def test_a_rule_may_escalate_automatically(lead, fraud, fraud_specialist):
    from tests.factories import AuthorFactory, ConversationFactory

    services.routing_rule_save(
        actor=lead,
        fields={
            "name": "Scams",
            "phrases": "scam",
            "department": fraud,
            "priority": 3,
            "auto_escalate": True,
        },
    )
    customer = AuthorFactory()
    conversation = ConversationFactory(customer=customer, status=Status.NEW)
    mention = MentionFactory(
        author=customer, thread_key=conversation.thread_key, text="I think this is a SCAM!"
    )
    opened = services.escalations_auto_open(mention_ids=[mention.pk])
    assert len(opened) == 1
    escalation = Escalation.objects.get(pk=opened[0])
    assert escalation.department == fraud and escalation.priority == 3 and escalation.requested_by is None
    assert "I think this is a SCAM!" in escalation.question
    # A rule, not a person, moved it: the audit log says "system".
    assert Conversation.objects.get(pk=conversation.pk).status == Status.WAITING_EXPERT
    moved = AuditEvent.objects.get(verb="conversation.status", object_id=str(conversation.pk))
    assert moved.actor_label == "system"
    # Once escalated, a new message does not escalate it again.
    again = MentionFactory(author=customer, thread_key=conversation.thread_key, text="scam scam")
    assert services.escalations_auto_open(mention_ids=[again.pk]) == []
