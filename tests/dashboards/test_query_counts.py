"""The dashboard's number of queries does not grow with its rows: more conversations, agents,
networks, days and tags give the same count, computed live or read from a snapshot."""

from __future__ import annotations

import collections
import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from dashboards import services
from inbox.models import Tag
from listening.models import SocialAccount
from tests.conftest import make_person
from tests.factories import ConversationFactory, MentionFactory

pytestmark = pytest.mark.django_db
NETWORKS = ("x", "facebook", "linkedin")


def _add(count: int, agents: list, offset: int) -> None:
    """`count` more conversations, each with a tag and a customer message, over more days."""
    now = timezone.now()
    # The bank's accounts are configuration, not rows that grow (the X spend panel reads a few
    # queries per X account): one per network, as a bank has.
    accounts = {
        n: SocialAccount.objects.get_or_create(network=n, external_id=f"bank-{n}")[0] for n in NETWORKS
    }
    tags = [Tag.objects.get_or_create(name=f"topic {i}")[0] for i in range(4)]
    for i in range(offset, offset + count):
        received = now - dt.timedelta(hours=5 * i + 1)
        conversation = ConversationFactory(
            network=NETWORKS[i % 3],
            account=accounts[NETWORKS[i % 3]],
            assignee=agents[i % len(agents)],
            status="resolved" if i % 2 else "open",
            first_received_at=received,
            first_response_at=received + dt.timedelta(minutes=10 + i),
            resolved_at=received + dt.timedelta(hours=2) if i % 2 else None,
        )
        conversation.tags.add(tags[i % len(tags)])
        MentionFactory(
            network=conversation.network,
            account=conversation.account,
            thread_key=conversation.thread_key,
            created_at=received,
            received_at=received,
            sentiment_label=("negative", "positive", "neutral")[i % 3],
            intent="thanks" if i % 4 == 0 else "",
        )


def _shapes(queries: list[str]) -> collections.Counter:
    """The queries with their numbers and lists of numbers left out."""
    return collections.Counter(re.sub(r"\d+(, \d+)*", "N", q) for q in queries)


def _queries(client, params: dict, *, snapshot: bool) -> list[str]:
    services.rollup_refresh_mentions(full=True)  # the new rows are back in time
    if snapshot:
        services.figures_refresh()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("dashboards:index"), params)
    assert response.status_code == 200
    return [q["sql"] for q in queries]


@pytest.mark.parametrize("snapshot", [False, True], ids=["live", "snapshot"])
def test_the_dashboard_has_as_many_queries_at_ten_times_the_rows(client, manager, snapshot):
    client.force_login(manager)
    agents = [make_person(f"agent{i}", roles.AGENT) for i in range(6)]
    params = {"range": "30d"} if snapshot else {"range": "30d", "network": "x"}
    _add(4, agents[:2], 0)
    _queries(client, params, snapshot=snapshot)  # fills what is cached between requests
    few = _queries(client, params, snapshot=snapshot)
    _add(60, agents, 4)
    many = _queries(client, params, snapshot=snapshot)
    few_shapes, many_shapes = _shapes(few), _shapes(many)
    assert len(few) == len(many), (few_shapes - many_shapes, many_shapes - few_shapes)
