"""The customer card lists the customer's own conversations, and others only through a person's link."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from inbox.models import CustomerLink
from tests.inbox.world import customer_message
from tests.panes import conversation_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def manager_client(manager):
    from tests.security.auth import VerifiedClient

    other = VerifiedClient()
    other.force_login(manager)
    return other


def card(client, conversation) -> str:
    html = conversation_html(client, conversation.pk)
    return html[html.index("Other conversations") :]


def test_facebook_customers_without_a_handle_see_only_their_own_conversations(agent_client):
    own = customer_message(
        text="My card was declined", thread="p1", network="facebook", handle="", name="Ada Obi"
    )
    again = customer_message(text="Still declined", thread="p2", network="facebook", author=own.customer)
    stranger = customer_message(
        text="Fees are too high", thread="p3", network="facebook", handle="", name="Li Wu"
    )
    html = card(agent_client, own)
    assert "Still declined" in html
    assert "Fees are too high" not in html
    assert again.pk != stranger.pk


def test_the_same_handle_elsewhere_is_a_suggestion_until_someone_links_it(agent, agent_client):
    mine = customer_message(text="Card blocked", thread="x1", handle="rosa")
    on_facebook = customer_message(text="Hello from Facebook", thread="f1", network="facebook", handle="Rosa")
    html = card(agent_client, mine)
    assert "Hello from Facebook" not in html
    assert "Same person?" in html

    response = agent_client.post(
        reverse("inbox:customer_link", args=[mine.pk]),
        {"other": on_facebook.customer.pk, "action": "link"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert CustomerLink.objects.count() == 1
    event = AuditEvent.objects.get(verb="customer.link")
    assert (
        event.actor == agent
        and event.after["same_person_as"] == f"facebook:{on_facebook.customer.external_id}"
    )
    assert "Hello from Facebook" in card(agent_client, mine)
    # Both sides see it.
    assert "Card blocked" in card(agent_client, on_facebook)

    agent_client.post(
        reverse("inbox:customer_link", args=[mine.pk]),
        {"other": on_facebook.customer.pk, "action": "unlink"},
        HTTP_HX_REQUEST="true",
    )
    assert not CustomerLink.objects.exists()
    assert AuditEvent.objects.filter(verb="customer.unlink").count() == 1
    assert "Hello from Facebook" not in card(agent_client, mine)


def test_a_link_on_the_same_network_or_by_a_reader_is_refused(agent_client, manager_client):
    mine = customer_message(text="Card blocked", thread="x1", handle="rosa")
    other = customer_message(text="Someone else", thread="x2", handle="rosa2")
    url = reverse("inbox:customer_link", args=[mine.pk])
    response = agent_client.post(url, {"other": other.customer.pk, "action": "link"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "another network" in response.content.decode()
    assert manager_client.post(url, {"other": other.customer.pk, "action": "link"}).status_code == 403
    assert agent_client.post(url, {"other": "x", "action": "link"}, HTTP_HX_REQUEST="true").status_code == 422
    assert not CustomerLink.objects.exists()


def _plan_of_the_card_queries(agent_client, conversation, marker: str) -> str:
    """The plan of the card's query whose SQL holds `marker`, as the pane ran it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        card(agent_client, conversation)
    sql = next(q["sql"] for q in captured.captured_queries if marker in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_the_same_handle_elsewhere_is_found_through_an_index_not_a_scan_of_every_author(agent_client):
    # A bank has millions of authors: the pane's same-handle lookup must not read them all.
    x = customer_message(text="Card declined", thread="h1", network="x", handle="Sam_Jones")
    customer_message(text="Card declined again", thread="h2", network="linkedin", handle="sam_jones")
    plan = _plan_of_the_card_queries(agent_client, x, 'UPPER("listening_author"."handle"')
    assert "author_handle_upper_idx" in plan
