"""The demo library (its articles and saved replies) over the four demo departments."""

from __future__ import annotations

import pytest

from bankbuzz.accounts import roles
from devtools.demo.inbox import seed_saved_replies
from devtools.demo.learning import seed_library
from tests.conftest import make_person
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory


@pytest.fixture
def departments(db):
    return {name: make_department(name) for name in ("Cards", "Fraud", "Mortgages", "Payments")}


@pytest.fixture
def library(departments):
    seed_saved_replies()
    seed_library()
    return departments


@pytest.fixture
def cards_lead(departments):
    user = make_person("chloe", roles.SPECIALIST, first_name="Chloe", last_name="Nguyen")
    departments["Cards"].members.add(user)
    departments["Cards"].leads.add(user)
    return user


def customer_conversation(text: str, *, network: str = "x", **fields):
    """A conversation whose customer wrote `text`, as ingest stores it."""
    customer = AuthorFactory(network=network, handle="jane_doe", name="Jane Doe")
    conversation = ConversationFactory(customer=customer, network=network, status="open", **fields)
    MentionFactory(
        network=network, author=customer, thread_key=conversation.thread_key, text=text, direction="in"
    )
    return conversation


@pytest.fixture(autouse=True)
def no_cached_experiments():
    """Running experiments are cached briefly; a test's own never outlive it."""
    from django.core.cache import cache

    from learning.experiments import CACHE_KEY

    cache.delete(CACHE_KEY)
    yield
    cache.delete(CACHE_KEY)
