"""A page of mentions costs the same number of statements whatever its size, with everything on:
a listening query, a routing rule that escalates by itself, a webhook endpoint."""

from __future__ import annotations

import dataclasses

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from bankbuzz.audit.models import AuditEvent
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


def stolen_page(account, prefix: str, size: int) -> list:
    """`size` items, every new customer's card stolen: a page that escalates six in ten of its mentions."""
    return [
        dataclasses.replace(item, text="my card was stolen, block it")
        if item.thread_key == item.external_id
        else item
        for item in page(account, prefix, size)
    ]


def test_a_page_costs_the_same_statements_however_many_conversations_it_escalates(
    account, everything_on, django_capture_on_commit_callbacks
):
    statements(account, stolen_page(account, "w", 10), django_capture_on_commit_callbacks)
    small = statements(account, stolen_page(account, "s", 10), django_capture_on_commit_callbacks)
    large = statements(account, stolen_page(account, "l", 60), django_capture_on_commit_callbacks)

    assert small == large
    escalated = Escalation.objects.filter(conversation__thread_key__startswith="l")
    assert escalated.count() == 36
    assert set(escalated.values_list("version", flat=True)) == {2}
    waiting = Conversation.objects.filter(
        thread_key__startswith="l", status=Conversation.Status.WAITING_EXPERT
    )
    assert waiting.count() == 36
    opened = WebhookDelivery.objects.filter(
        event="escalation.opened", payload__data__id__in=list(escalated.values_list("pk", flat=True))
    )
    assert opened.count() == 36
    # Audited as one by one: the escalation opened, and its conversation's thread and status.
    conversation_ids = [str(pk) for pk in waiting.values_list("pk", flat=True)]
    escalation_ids = [str(pk) for pk in escalated.values_list("pk", flat=True)]
    audited = AuditEvent.objects.filter(actor_label="system")
    assert audited.filter(verb="escalation.opened", object_id__in=escalation_ids).count() == 36
    assert audited.filter(verb="conversation.escalation", object_id__in=conversation_ids).count() == 36
    assert audited.filter(verb="conversation.status", object_id__in=conversation_ids).count() == 36


@pytest.mark.django_db(transaction=True)
def test_a_page_commits_once_with_everything_on(account, everything_on, monkeypatch):
    commits = []
    database = connections["default"]
    commit = database._commit
    monkeypatch.setattr(database, "_commit", lambda: (commits.append(1), commit())[1])

    items = stolen_page(account, "c", 20)
    mentions_ingest(
        account=account, result=FetchResult(items=items, cursors={"mentions": items[-1].external_id})
    )

    # The page's new customers first, on their own (`storing.authors_store`), then the page.
    assert len(commits) == 2
    # What follows from the page committed with it: the conversations, their escalations,
    # the webhook deliveries.
    conversations = Conversation.objects.filter(thread_key__startswith="c")
    assert sum(c.message_count for c in conversations) == 20
    assert Escalation.objects.filter(conversation__in=conversations).count() == 12
    assert WebhookDelivery.objects.filter(event="conversation.created").count() == 12
    assert WebhookDelivery.objects.filter(event="escalation.opened").count() == 12

    # The same customers writing again, as they are known: the page alone.
    commits.clear()
    again = [
        dataclasses.replace(
            item, external_id=f"again{item.external_id}", thread_key=f"again{item.thread_key}"
        )
        for item in items
    ]
    mentions_ingest(account=account, result=FetchResult(items=again, cursors={"mentions": "again"}))
    assert len(commits) == 1
    assert Conversation.objects.filter(thread_key__startswith="again").count() == 12
