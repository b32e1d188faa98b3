"""Shared fixtures: personas, the sandbox, a real Celery worker."""

from __future__ import annotations

import pytest

from bankbuzz.accounts import roles
from bankbuzz.accounts.services import user_set_role
from tests.factories import UserFactory

PASSWORD = "correct-horse-battery"


def make_person(username: str, role: str | None, **fields):
    user = UserFactory(username=username, **fields)
    if role:
        user_set_role(actor=None, user=user, role=role)
    return user


@pytest.fixture
def agent(db):
    return make_person("amira", roles.AGENT, first_name="Amira", last_name="Khan")


@pytest.fixture
def other_agent(db):
    return make_person("ben", roles.AGENT, first_name="Ben", last_name="Okafor")


@pytest.fixture
def lead(db):
    return make_person("laura", roles.LEAD, first_name="Laura", last_name="Schmidt")


@pytest.fixture
def specialist(db):
    return make_person("sam", roles.SPECIALIST, first_name="Sam", last_name="Patel")


@pytest.fixture
def manager(db):
    return make_person("maria", roles.MANAGER)


@pytest.fixture
def compliance(db):
    return make_person("chris", roles.COMPLIANCE)


@pytest.fixture
def administrator(db):
    return make_person("ada", roles.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def outsider(db):
    """Logged in, but with no role at all."""
    return make_person("olly", None)
