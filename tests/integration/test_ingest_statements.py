"""A page of mentions costs the same number of statements whatever its size, with everything on:
a listening query, a routing rule that escalates by itself, a webhook endpoint."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from escalations import services as escalation_services
from escalations.models import Escalation
from inbox.models import Conversation
from listening.connectors.base import DIRECTION_OUT, FetchResult
from listening.models import ListeningQuery, QueryMatch
from listening.services import mentions_ingest
from tests.factories import SocialAccountFactory, fetched_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def account():
    return SocialAccountFactory(external_id="1585092736154238977", handle="northbridgebank")


@pytest.fixture
def everything_on(db):
    ListeningQuery.objects.create(name="Cards", text="card OR declined", networks=["x", "facebook"])
    department = escalation_services.department_save(actor=None, fields={"name": "Card security"})
    escalation_services.routing_rule_save(
        actor=None,
        fields={
            "name": "Stolen cards",
            "phrases": "card was stolen",
            "department": department,
            "auto_escalate": True,
        },
    )
    WebhookEndpoint.objects.create(
        name="CRM",
        url="https://crm.bank.example/hook",
        events=["conversation.created", "escalation.opened"],
        secret_encrypted="x",
    )


def page(account, prefix: str, size: int) -> list:
    """`size` items: new customers (one with a stolen card), customers writing again, our replies."""
    items = [fetched_item(f"{prefix}0", text="my card was stolen, block it", author_id=f"{prefix}a0")]
    for n in range(1, size):
        if n % 10 < 6:
            items.append(fetched_item(f"{prefix}{n}", text="my card was declined", author_id=f"{prefix}a{n}"))
        elif n % 10 < 9:
            earlier = n - n % 10
            items.append(
                fetched_item(
                    f"{prefix}{n}",
                    text="any news?",
                    author_id=f"{prefix}a{earlier}",
                    thread_key=f"{prefix}{earlier}",
                )
            )
        else:
            reply = fetched_item(
                f"{prefix}{n}",
                text="@you we are on it",
                author_id=account.external_id,
                handle="northbridgebank",
                thread_key=f"{prefix}{n - 9}",
                direction=DIRECTION_OUT,
            )
            items.append(dataclasses.replace(reply, in_reply_to=f"{prefix}{n - 1}"))
    return items


def statements(account, items, capture) -> int:
    with CaptureQueriesContext(connection) as queries, capture(execute=True):
        mentions_ingest(
            account=account, result=FetchResult(items=items, cursors={"mentions": items[-1].external_id})
        )
    return len(queries)


def test_a_page_costs_the_same_statements_at_10_and_at_60_mentions(
    account, everything_on, django_capture_on_commit_callbacks
):
    # A first page, so that the cold caches (content types, the URL resolver) are warm.
    statements(account, page(account, "w", 10), django_capture_on_commit_callbacks)
    small = statements(account, page(account, "s", 10), django_capture_on_commit_callbacks)
    large = statements(account, page(account, "l", 60), django_capture_on_commit_callbacks)

    assert small == large
    # And everything happened, for every mention of the large page.
    conversations = Conversation.objects.filter(thread_key__startswith="l")
    assert conversations.count() == 36
    assert sum(c.message_count for c in conversations) == 60
    assert Escalation.objects.filter(conversation__thread_key__startswith="l0|").count() == 1
    # The new customers wrote of their card; "any news?" matches no query.
    assert QueryMatch.objects.filter(mention__external_id__startswith="l").count() == 36
    created = WebhookDelivery.objects.filter(
        event="conversation.created", payload__data__id__in=list(conversations.values_list("pk", flat=True))
    )
    assert created.count() == 36
