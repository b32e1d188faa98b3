"""Escalating from the conversation pane's side panel (htmx), as the browser sends it, and what a
specialist sees of the conversation they are asked about."""

from __future__ import annotations

import json
import re

from django.urls import reverse

from escalations import services
from escalations.models import Escalation
from inbox import services as inbox_services
from inbox.models import Conversation
from tests.panes import conversation_html
from tests.security.auth import VerifiedClient

SIDE_PANEL = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "escalate-sheet"}


def csrf_client(person) -> VerifiedClient:
    client = VerifiedClient(enforce_csrf_checks=True)
    client.force_login(person)
    return client


def token_of(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def test_the_pane_opens_the_escalate_form_in_a_side_panel(agent, cards, card_conversation):
    client = csrf_client(agent)
    html = conversation_html(client, card_conversation.pk)
    url = reverse("escalations:escalate", args=[card_conversation.pk])
    assert f'hx-get="{url}" hx-target="#escalate-sheet"' in html
    assert 'id="escalate-sheet"' in html

    panel = client.get(url, **SIDE_PANEL)
    assert panel.status_code == 200
    html = panel.content.decode()
    assert "<html" not in html  # a fragment for the side panel, not a page
    assert 'role="dialog"' in html and "data-close-sheet" in html
    assert f'hx-post="{url}" hx-target="#escalate-sheet"' in html
    assert "@jane_doe wrote" in html  # the same form, prefilled as on the page


def test_escalating_from_the_side_panel_reloads_the_pane_in_place(agent, cards, card_conversation):
    client = csrf_client(agent)
    url = reverse("escalations:escalate", args=[card_conversation.pk])
    token = token_of(client.get(url, **SIDE_PANEL).content.decode())
    response = client.post(
        url,
        {"csrfmiddlewaretoken": token, "department": cards.pk, "priority": 1, "question": "Why declined?"},
        **SIDE_PANEL,
    )
    assert response.status_code == 200
    location = json.loads(response["HX-Location"])
    assert location["path"] == reverse("inbox:detail", args=[card_conversation.pk])
    assert location["target"] == "#pane"
    assert json.loads(response["HX-Trigger"]) == {"bankbuzz:toast": "Escalated to Cards."}
    escalation = Escalation.objects.get()
    assert escalation.requested_by == agent and escalation.question == "Why declined?"
    assert Conversation.objects.get(pk=card_conversation.pk).status == Conversation.Status.WAITING_EXPERT
    # No flash left behind for the next page: the toast said it once.
    html = client.get(reverse("inbox:list")).content.decode()
    assert "Escalated to Cards." not in html


def test_a_bad_side_panel_form_comes_back_in_the_panel_with_the_error(agent, cards, card_conversation):
    client = csrf_client(agent)
    url = reverse("escalations:escalate", args=[card_conversation.pk])
    token = token_of(client.get(url, **SIDE_PANEL).content.decode())
    response = client.post(
        url,
        {"csrfmiddlewaretoken": token, "department": cards.pk, "priority": 1, "question": ""},
        **SIDE_PANEL,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'role="dialog"' in html and "This field is required" in html
    assert not Escalation.objects.exists()


def test_the_side_panel_checks_csrf_and_the_role(agent, specialist, cards, card_conversation):
    client = csrf_client(agent)
    url = reverse("escalations:escalate", args=[card_conversation.pk])
    response = client.post(url, {"department": cards.pk, "priority": 1, "question": "No token"}, **SIDE_PANEL)
    assert response.status_code == 403
    reader = csrf_client(specialist)
    assert reader.get(url, **SIDE_PANEL).status_code in (403, 404)
    assert not Escalation.objects.exists()


def test_the_whole_page_flashes_the_escalation_once(client, agent, cards, card_conversation):
    client.force_login(agent)
    response = client.post(
        reverse("escalations:escalate", args=[card_conversation.pk]),
        {"department": cards.pk, "priority": 1, "question": "Why?"},
        follow=True,
    )
    assert response.content.decode().count("Escalated to Cards.") == 1


def test_the_specialist_sees_the_notes_and_the_thread_on_the_escalation(
    client, agent, cards, cards_specialist, card_conversation
):
    inbox_services.note_add(
        actor=agent, conversation=card_conversation, text="Called her back: card 4111 1111 1111 1111 blocked"
    )
    escalation = services.escalation_open(
        actor=agent,
        conversation=card_conversation,
        department=cards,
        question="@jane_doe wrote:\n> My card was declined\n\nQuestion: Is the daily limit the cause?",
    )
    client.force_login(cards_specialist)
    html = client.get(reverse("escalations:detail", args=[escalation.pk])).content.decode()
    notes = re.search(r"<ol [^>]*data-team-notes>(.*?)</ol>", html, re.S).group(1)
    assert "Called her back" in notes and "Amira Khan" in notes
    assert "4111 1111 1111 1111" not in html  # personal data masked for the expert
    thread = re.search(r"<ol [^>]*data-thread-context>(.*?)</ol>", html, re.S).group(1)
    assert "My card was declined at the till" in thread

    page = client.get(reverse("escalations:conversation", args=[card_conversation.pk])).content.decode()
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert "Jane Doe" in heading and "@jane_doe" in heading
    assert "Called her back" in page


def test_the_queue_previews_the_agents_question_not_the_quote(
    client, agent, cards, cards_specialist, card_conversation
):
    services.escalation_open(
        actor=agent,
        conversation=card_conversation,
        department=cards,
        question=(
            "@jane_doe wrote:\n> My card was declined at the till\n\nQuestion: Is the daily limit the cause?"
        ),
    )
    client.force_login(cards_specialist)
    html = client.get(reverse("escalations:queue")).content.decode()
    assert "Is the daily limit the cause?" in html
    assert "wrote:" not in html
    assert "All my departments" in html


def test_people_in_no_department_are_not_offered_my_departments(client, manager, cards):
    client.force_login(manager)
    html = client.get(reverse("escalations:queue")).content.decode()
    assert "All my departments" not in html
    assert "All departments" in html
