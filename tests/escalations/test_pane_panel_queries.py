"""The escalation panel in the conversation pane (the customer card's lower part, in a request of
its own after the pane) reads as many rows of the database for three
answered escalations as for one: who answered and the department come with the escalations."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from escalations import services

HX = {"HTTP_HX_REQUEST": "true"}


def _answered(agent, specialist, conversation, department, n: int) -> None:
    escalation = services.escalation_open(
        actor=agent, conversation=conversation, department=department, question="Why?"
    )
    services.escalation_answer(actor=specialist, escalation=escalation, answer=f"Answer {n}.")
    services.escalation_close(actor=agent, escalation=escalation)


def _pane(client, url: str) -> tuple[int, str]:
    client.get(url, **HX)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(url, **HX).content.decode()
    return len(captured.captured_queries), html


def test_the_panels_queries_do_not_grow_with_the_escalations(
    client, agent, cards, cards_specialist, card_conversation
):
    client.force_login(agent)
    url = reverse("inbox:side", args=[card_conversation.pk])
    _answered(agent, cards_specialist, card_conversation, cards, 1)
    one, html = _pane(client, url)
    assert html.count("Cards answered") == 1
    _answered(agent, cards_specialist, card_conversation, cards, 2)
    _answered(agent, cards_specialist, card_conversation, cards, 3)
    three, html = _pane(client, url)
    assert html.count("Cards answered") == 3
    assert cards_specialist.display_name in html
    assert three == one
