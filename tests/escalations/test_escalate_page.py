"""Escalating from a conversation: the suggestion preselected, the customer's words prefilled."""

from __future__ import annotations

from django.urls import reverse

from escalations import services
from escalations.models import Escalation
from inbox.models import Conversation
from tests.panes import conversation_html


def test_the_form_preselects_the_suggestion_and_prefills_the_question(
    client, agent, lead, cards, fraud, card_conversation
):
    services.routing_rule_save(
        actor=lead, fields={"name": "Cards", "phrases": "declined", "department": cards}
    )
    client.force_login(agent)
    response = client.get(f"/escalations/new/{card_conversation.pk}/")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["department"] == cards.pk
    assert "My card was declined at the till" in form.initial["question"]
    assert "@jane_doe wrote" in form.initial["question"]


def test_posting_escalates_and_returns_to_the_conversation(client, agent, cards, card_conversation):
    client.force_login(agent)
    response = client.post(
        f"/escalations/new/{card_conversation.pk}/",
        {"department": cards.pk, "priority": 1, "question": "Why declined?"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:detail", args=[card_conversation.pk])
    escalation = Escalation.objects.get()
    assert escalation.requested_by == agent and escalation.department == cards
    assert Conversation.objects.get(pk=card_conversation.pk).status == Conversation.Status.WAITING_EXPERT


def test_the_conversation_pane_shows_the_suggestion_and_then_the_answer(
    client, agent, lead, cards, cards_specialist, card_conversation
):
    services.routing_rule_save(
        actor=lead, fields={"name": "Card trouble", "phrases": "declined", "department": cards}
    )
    client.force_login(agent)
    html = conversation_html(client, card_conversation.pk)
    assert "Suggested: <strong>Cards</strong>" in html
    escalation = services.escalation_open(
        actor=agent, conversation=card_conversation, department=cards, question="Why?"
    )
    services.escalation_answer(
        actor=cards_specialist, escalation=escalation, answer="Daily limit.", proposed_reply="Hi <b>Jane</b>"
    )
    html = conversation_html(client, card_conversation.pk)
    assert "Cards answered" in html
    assert "Hi &lt;b&gt;Jane&lt;/b&gt;" in html
    assert "data-proposed-reply" in html


def test_routing_conditions(lead, cards, fraud, card_conversation):
    from escalations.selectors import routing_suggest

    services.routing_rule_save(
        actor=lead,
        fields={"name": "Big accounts", "position": 1, "min_followers": 10_000, "department": fraud},
    )
    services.routing_rule_save(
        actor=lead,
        fields={"name": "Questions", "position": 2, "intent": "question", "department": cards, "priority": 2},
    )
    suggestion = routing_suggest(card_conversation)
    assert suggestion.department == cards and suggestion.priority == 2
    card_conversation.customer.followers = 50_000
    assert routing_suggest(card_conversation).department == fraud
