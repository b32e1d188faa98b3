"""A routing rule on intent acts on a confident label only: a guess never escalates."""

from __future__ import annotations

import pytest

from escalations import services
from escalations.models import Escalation
from inbox.models import Conversation
from listening.enrichment.understanding import CONFIDENT
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory


@pytest.fixture
def fraud_rule(lead, fraud):
    return services.routing_rule_save(
        actor=lead,
        fields={
            "name": "Fraud intent",
            "intent": "fraud",
            "department": fraud,
            "priority": 3,
            "auto_escalate": True,
        },
    )


def _customer_message(intent_confidence):
    customer = AuthorFactory()
    conversation = ConversationFactory(customer=customer, status=Conversation.Status.NEW)
    mention = MentionFactory(
        author=customer,
        thread_key=conversation.thread_key,
        text="what is this payment on my statement",
        intent="fraud",
        intent_confidence=intent_confidence,
    )
    return conversation, mention


def test_a_low_confidence_fraud_label_does_not_auto_escalate(fraud_rule):
    conversation, mention = _customer_message(CONFIDENT - 0.15)
    assert services.escalations_auto_open(mention_ids=[mention.pk]) == []
    assert not Escalation.objects.filter(conversation=conversation).exists()
    assert Conversation.objects.get(pk=conversation.pk).status == Conversation.Status.NEW


def test_a_confident_fraud_label_auto_escalates(fraud_rule, fraud):
    conversation, mention = _customer_message(0.93)
    opened = services.escalations_auto_open(mention_ids=[mention.pk])
    assert [e.conversation_id for e in Escalation.objects.filter(pk__in=opened)] == [conversation.pk]
    assert Escalation.objects.get(pk=opened[0]).department == fraud
