"""Departments (Cards: office hours; Fraud: around the clock), their specialists, a card question."""

from __future__ import annotations

import datetime as dt

import pytest

from bankbuzz.accounts import roles
from escalations import services
from escalations.models import Department
from inbox.models import Conversation
from tests.conftest import make_person
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

P = Conversation.Priority


def make_department(name: str, *, around_the_clock: bool = False, **fields) -> Department:
    hours = (
        {"work_days": [0, 1, 2, 3, 4, 5, 6], "day_start": dt.time(0), "day_end": dt.time(0)}
        if around_the_clock
        else {"work_days": [0, 1, 2, 3, 4], "day_start": dt.time(9), "day_end": dt.time(17, 30)}
    )
    department = services.department_save(
        actor=None, fields={"name": name, "time_zone": "Europe/London", **hours, **fields}
    )
    # Normal: 4 working hours to the first response, 16 to resolve.
    services.sla_policy_set(
        actor=None,
        department=department,
        priority=P.NORMAL,
        first_response_minutes=240,
        resolution_minutes=960,
    )
    services.sla_policy_set(
        actor=None,
        department=department,
        priority=P.URGENT,
        first_response_minutes=60,
        resolution_minutes=240,
    )
    return department


@pytest.fixture
def cards(db):
    return make_department("Cards")


@pytest.fixture
def fraud(db):
    return make_department("Fraud", around_the_clock=True)


@pytest.fixture
def cards_specialist(cards):
    user = make_person("carla", roles.SPECIALIST, first_name="Carla", last_name="Reyes")
    cards.members.add(user)
    return user


@pytest.fixture
def cards_lead(cards):
    user = make_person("kofi", roles.SPECIALIST, first_name="Kofi", last_name="Mensah")
    cards.leads.add(user)
    return user


@pytest.fixture
def fraud_specialist(fraud):
    user = make_person("fred", roles.SPECIALIST, first_name="Fred", last_name="Olsen")
    fraud.members.add(user)
    return user


@pytest.fixture
def card_conversation(db):
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe")
    conversation = ConversationFactory(customer=customer, status=Conversation.Status.OPEN)
    MentionFactory(
        author=customer,
        thread_key=conversation.thread_key,
        text="My card was declined at the till twice today, what is going on?",
        intent="question",
    )
    return conversation


@pytest.fixture
def escalation(agent, cards, card_conversation):
    return services.escalation_open(
        actor=agent,
        conversation=card_conversation,
        department=cards,
        question="Why was Jane's card declined?",
    )
