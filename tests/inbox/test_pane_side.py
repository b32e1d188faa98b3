"""The customer card's lower part (the complaint and expert panels, the legal holds, the customer's
other conversations) arrives in a request of its own once the pane is shown: the pane asks for it,
the same permission guards it, it escapes what customers wrote, and without JavaScript it is a
page of its own."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.inbox.world import customer_message
from tests.panes import HX, side_url

pytestmark = pytest.mark.django_db


def _pane(client, conversation) -> str:
    response = client.get(reverse("inbox:detail", args=[conversation.pk]), **HX)
    assert response.status_code == 200
    return response.content.decode()


def test_the_pane_shows_the_thread_and_asks_for_the_rest_of_the_card(client, agent):
    mine = customer_message(text="My card was declined", thread="s1", handle="rosa")
    customer_message(text="And my app is down", thread="s2", author=mine.customer)
    client.force_login(agent)

    pane = _pane(client, mine)
    assert "My card was declined" in pane
    assert "Other conversations" not in pane and "And my app is down" not in pane
    assert 'hx-trigger="load"' in pane and "Loading complaints, experts and other conversations" in pane
    assert side_url(pane) == reverse("inbox:side", args=[mine.pk])

    side = client.get(side_url(pane), **HX)
    assert side.status_code == 200
    html = side.content.decode()
    assert "<html" not in html and html.count('id="pane-side"') == 1  # swapped for the placeholder
    assert "Other conversations" in html and "And my app is down" in html
    assert 'id="escalation-panel"' in html and 'id="complaint-panel"' in html


def test_the_rest_of_the_card_is_guarded_as_the_pane_is(client, agent, specialist, outsider):
    mine = customer_message(text="My card was declined", thread="g1")
    url = reverse("inbox:side", args=[mine.pk])
    # Signed out: htmx is told to load the login page, and nothing of the card is sent.
    response = client.get(url, **HX)
    assert response.status_code == 204 and response["HX-Redirect"].startswith(reverse("accounts:login"))
    assert client.get(url).status_code == 302
    for person in (specialist, outsider):  # neither may open this conversation
        client.force_login(person)
        assert client.get(reverse("inbox:detail", args=[mine.pk]), **HX).status_code == 404
        assert client.get(url, **HX).status_code == 404
    client.force_login(agent)
    assert client.get(reverse("inbox:side", args=[mine.pk + 1000]), **HX).status_code == 404
    assert client.post(url, **HX).status_code == 405


def test_what_customers_wrote_is_escaped_in_it(client, agent):
    mine = customer_message(text="Hello", thread="e1", handle="rosa")
    customer_message(text='<img src=x onerror="alert(1)"> my card', thread="e2", author=mine.customer)
    client.force_login(agent)
    html = client.get(reverse("inbox:side", args=[mine.pk]), **HX).content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; my card" in html
    assert "<img src=x" not in html


def test_without_javascript_it_is_a_page_of_its_own(client, agent):
    mine = customer_message(text="My card was declined", thread="n1", handle="rosa")
    customer_message(text="And my app is down", thread="n2", author=mine.customer)
    client.force_login(agent)
    pane = _pane(client, mine)
    # The placeholder's <noscript> link is the same URL, asked for without htmx.
    assert f'<noscript><p class="side-loading-text"><a href="{side_url(pane)}">' in pane
    response = client.get(side_url(pane))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "And my app is down" in html
    assert f'href="{reverse("inbox:detail", args=[mine.pk])}">Back to the conversation</a>' in html


def test_it_makes_as_many_queries_for_eight_other_conversations_as_for_one(client, agent):
    mine = customer_message(text="My card was declined", thread="q0", handle="rosa")
    customer_message(text="other 1", thread="q1", author=mine.customer)
    client.force_login(agent)
    url = reverse("inbox:side", args=[mine.pk])
    client.get(url, **HX)  # fills what is cached between requests

    def queries() -> tuple[int, str]:
        with CaptureQueriesContext(connection) as captured:
            html = client.get(url, **HX).content.decode()
        return len(captured.captured_queries), html

    one, html = queries()
    assert html.count("other-text") == 1
    for number in range(2, 9):
        customer_message(text=f"other {number}", thread=f"q{number}", author=mine.customer)
    eight, html = queries()
    assert html.count("other-text") == 8
    assert eight == one
