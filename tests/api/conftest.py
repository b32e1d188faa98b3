"""Two departments (Cards, Fraud), a specialist in each, the social team, and an escalation to each.

`api(user, scope)` is a DRF client that authenticates with a fresh personal token of `user`.
"""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from bankbuzz.accounts import roles
from bankbuzz.api.tokens import api_token_create
from escalations import services as escalation_services
from inbox.models import Conversation
from tests.conftest import make_person
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory


@pytest.fixture(autouse=True)
def _no_throttle_leftovers(settings):
    # Each test starts with fresh throttle counters (they live in the cache).
    from django.core.cache import cache

    cache.clear()


class KeyedClient(APIClient):
    """Sends a new Idempotency-Key with every write, as a well-behaved client does (unless the test
    gives its own, or sets `keyed=False` to send none)."""

    keyed = True

    def generic(self, method, path, *args, **extra):
        if self.keyed and method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
            extra.setdefault("HTTP_IDEMPOTENCY_KEY", uuid.uuid4().hex)
        return super().generic(method, path, *args, **extra)


@pytest.fixture
def api():
    def make(user, scope: str = "write", *, keyed: bool = True) -> APIClient:
        _token, raw = api_token_create(actor=user, name="tests", scope=scope, days=30)
        client = KeyedClient()
        client.keyed = keyed
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


def conversation_with_message(*, handle: str, text: str, priority=Conversation.Priority.NORMAL, **fields):
    customer = AuthorFactory(handle=handle)
    conversation = ConversationFactory(customer=customer, priority=priority, **fields)
    MentionFactory(author=customer, thread_key=conversation.thread_key, text=text, intent="question")
    return conversation


class World:
    pass


@pytest.fixture
def world(db):
    w = World()
    w.cards = make_department("Cards")
    w.fraud = make_department("Fraud", around_the_clock=True)
    w.agent = make_person("amira", roles.AGENT, first_name="Amira", last_name="Khan")
    w.other_agent = make_person("ben", roles.AGENT, first_name="Ben", last_name="Okafor")
    w.lead = make_person("laura", roles.LEAD)
    w.manager = make_person("maria", roles.MANAGER)
    w.compliance = make_person("chris", roles.COMPLIANCE)
    w.outsider = make_person("olly", None)
    w.cards_expert = make_person("carla", roles.SPECIALIST)
    w.cards.members.add(w.cards_expert)
    w.fraud_expert = make_person("fred", roles.SPECIALIST)
    w.fraud.members.add(w.fraud_expert)
    w.urgent = conversation_with_message(
        handle="rosa_garcia",
        text="My card was declined twice and I am stuck at the airport",
        priority=Conversation.Priority.URGENT,
        status=Conversation.Status.NEW,
    )
    w.card_conv = conversation_with_message(handle="jane_doe", text="Why was my card declined?")
    w.fraud_conv = conversation_with_message(handle="tom_w", text="I did not make this payment!")
    w.card_esc = escalation_services.escalation_open(
        actor=w.agent, conversation=w.card_conv, department=w.cards, question="Why was Jane's card declined?"
    )
    w.fraud_esc = escalation_services.escalation_open(
        actor=w.agent, conversation=w.fraud_conv, department=w.fraud, question="Is this payment fraud?"
    )
    return w
