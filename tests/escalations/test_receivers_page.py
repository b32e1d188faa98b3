"""The mentions receivers take a page at once: rules and answered escalations are read once per page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalations import services
from escalations.models import Escalation, Kudos
from inbox.models import Conversation
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

Status = Conversation.Status


def customer_says(text: str, *, status: str = Status.NEW, **fields):
    customer = AuthorFactory()
    conversation = ConversationFactory(customer=customer, status=status)
    mention = MentionFactory(author=customer, thread_key=conversation.thread_key, text=text, **fields)
    return conversation, mention


@pytest.fixture
def scam_rule(lead, fraud):
    return services.routing_rule_save(
        actor=lead,
        fields={
            "name": "Scams",
            "phrases": "scam",
            "department": fraud,
            "priority": 3,
            "auto_escalate": True,
        },
    )


def test_a_page_escalates_the_conversations_its_rule_matches_and_only_those(scam_rule, fraud_specialist):
    scams = [customer_says(f"Is this text a scam? number {n}") for n in range(3)]
    others = [customer_says("Where is my new card?") for _ in range(3)]
    earlier, _ = scams[0]
    # The rule reads the customer's earlier words too, not only the new message.
    MentionFactory(
        author=earlier.customer,
        thread_key=earlier.thread_key,
        text="Got a strange call",
        created_at=timezone.now() - dt.timedelta(hours=1),
    )
    opened = services.escalations_auto_open(mention_ids=[m.pk for _, m in scams + others])
    assert len(opened) == 3
    escalated = set(Escalation.objects.values_list("conversation_id", flat=True))
    assert escalated == {c.pk for c, _ in scams}
    question = Escalation.objects.get(conversation=earlier).question
    assert "Got a strange call" in question and "Is this text a scam? number 0" in question
    for conversation, _ in scams:
        conversation.refresh_from_db()
        assert conversation.status == Status.WAITING_EXPERT


def test_matching_a_page_costs_the_same_few_queries_however_many_conversations(scam_rule):
    def queries(count: int) -> int:
        mentions = [customer_says("Where is my new card?")[1] for _ in range(count)]
        with CaptureQueriesContext(connection) as captured:
            assert services.escalations_auto_open(mention_ids=[m.pk for m in mentions]) == []
        return len(captured)

    assert queries(2) == queries(20) <= 5


def answered_escalation(agent, department, specialist):
    conversation, _ = customer_says("My card was swallowed by the machine", status=Status.OPEN)
    escalation = services.escalation_open(
        actor=agent, conversation=conversation, department=department, question="Can we get it back?"
    )
    services.escalation_answer(actor=specialist, escalation=escalation, answer="Yes, within a day.")
    return escalation


def thanks(escalation: Escalation, minutes: int):
    conversation = escalation.conversation
    return MentionFactory(
        author=conversation.customer,
        thread_key=conversation.thread_key,
        text="Thank you so much!",
        intent="thanks",
        created_at=timezone.now() + dt.timedelta(minutes=minutes),
    )


def test_a_page_of_thanks_gives_kudos_once_per_answered_escalation(agent, cards, cards_specialist):
    first = answered_escalation(agent, cards, cards_specialist)
    second = answered_escalation(agent, cards, cards_specialist)
    page = [thanks(first, 5), thanks(first, 6), thanks(second, 5)]
    given = services.kudos_from_mentions(mention_ids=[m.pk for m in page])
    assert sorted(k.escalation_id for k in given) == sorted([first.pk, second.pk])
    assert Kudos.objects.get(escalation=first).mention == page[0]  # the first thank-you earns it
    assert services.kudos_from_mentions(mention_ids=[m.pk for m in page]) == []
    assert Kudos.objects.count() == 2


def test_thanks_without_an_answered_escalation_cost_two_queries_per_page(db):
    def queries(count: int) -> int:
        mentions = [customer_says("thanks!", intent="thanks")[1] for _ in range(count)]
        with CaptureQueriesContext(connection) as captured:
            assert services.kudos_from_mentions(mention_ids=[m.pk for m in mentions]) == []
        return len([q for q in captured if q["sql"].startswith("SELECT")])

    assert queries(2) == queries(20) == 2
