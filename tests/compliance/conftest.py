"""Records of every kind at chosen ages, for the retention and erasure tests."""

from __future__ import annotations

import datetime as dt

import pytest

from bankbuzz.audit import retention
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

NOW = dt.datetime(2031, 6, 15, 2, 30, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)


def ago(days: float, *, seconds: float = 0, now: dt.datetime = NOW) -> dt.datetime:
    return now - dt.timedelta(days=days, seconds=seconds)


def hit(author=None, *, days: float, seconds: float = 0, now: dt.datetime = NOW, **fields):
    """An inbound post that opened no conversation, received `days` before `now`."""
    at = ago(days, seconds=seconds, now=now)
    fields.setdefault("author", author or AuthorFactory())
    return MentionFactory(received_at=at, created_at=at, **fields)


def conversation(
    customer=None, *, days: float, answered: bool = False, status="resolved", messages=2, **fields
):
    """A conversation whose last activity was `days` before NOW, with its customer's messages."""
    customer = customer or AuthorFactory()
    at = ago(days)
    conv = ConversationFactory(
        customer=customer,
        status=status,
        last_activity_at=at,
        first_received_at=at - DAY,
        first_response_at=(at - DAY / 2) if answered else None,
        **fields,
    )
    for _ in range(messages):
        MentionFactory(
            author=customer,
            network=conv.network,
            thread_key=conv.thread_key,
            text="My card 4111 1111 1111 1111 was declined",
            raw={"tweet": {"text": "My card"}, "user": {"name": "Jane", "description": "likes cats"}},
            received_at=at,
            created_at=at,
        )
    return conv


@pytest.fixture
def run(db):
    def run_(**kwargs):
        kwargs.setdefault("now", NOW)
        return retention.retention_run(**kwargs)

    return run_
