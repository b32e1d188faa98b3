"""Incidents: customers who really wrote in the sandbox, polled into the inbox like in production."""

from __future__ import annotations

import pytest

from bankbuzz.accounts import roles
from inbox.models import Conversation
from listening.models import Mention
from listening.services import account_poll
from tests.conftest import make_person


def make_checker():
    """A second social lead: the four eyes on the first lead's posts."""
    return make_person("lars", roles.LEAD, first_name="Lars", last_name="Berg")


@pytest.fixture
def checker(db):
    return make_checker()


def customer(index: int) -> dict:
    return {
        "id": str(7_100_000 + index),
        "username": f"customer_{index}",
        "name": f"Jo{index} Example",
        "followers_count": 50,
    }


def post_and_poll(sandbox, account, capture, posts: list[dict]) -> list[Conversation]:
    """Each post by a customer in the sandbox, one poll of the bank's account; their conversations."""
    made = [sandbox.post(network=account.network, **post) for post in posts]
    with capture(execute=True):
        outcome = account_poll(account_id=account.pk)
    assert outcome.status == "ok", outcome
    conversations = []
    for item in made:
        key = Mention.objects.values_list("thread_key", flat=True).get(
            network=account.network, external_id=item["id"]
        )
        conversations.append(Conversation.objects.get(network=account.network, thread_key=key))
    return conversations


def poll(account, capture) -> None:
    with capture(execute=True):
        outcome = account_poll(account_id=account.pk)
    assert outcome.status == "ok", outcome


WORKER_TASKS = ("inbox.send_reply", "incidents.publish_delivery", "incidents.send_replies")


def route_to_worker(worker, monkeypatch) -> None:
    """Tasks queued by this process on commit go to the test worker's queue (as in production's one queue)."""
    from bankbuzz.celery import app

    for name in WORKER_TASKS:
        task = app.tasks[name]
        monkeypatch.setattr(task, "queue", worker.queue, raising=False)
        monkeypatch.setattr(task, "_exec_options", None)  # Celery caches the options with the queue
