"""Suggestions in the composer and the expert's answer form; the choice is recorded."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from escalations import services as escalation_services
from inbox.models import SavedReply
from learning.experiments import running_cached
from learning.models import AdviceArticle, SuggestionUse
from learning.panels import composer_suggestions
from tests.learning.conftest import customer_conversation

pytestmark = pytest.mark.django_db


def test_the_composer_suggests_for_a_declined_card(client, agent, library):
    conversation = customer_conversation("My card was declined at the till, what is going on?")
    client.force_login(agent)
    page = client.get(reverse("inbox:detail", args=[conversation.pk])).content.decode()
    panel = page.split('class="suggestions"')[1].split("</section>")[0]
    assert "Why was my card declined?" in panel
    # A saved reply comes with its variables filled in for this customer and agent.
    assert "Hi Jane, sorry your card was declined" in panel
    assert "Amira" in panel
    assert 'data-rank="1"' in panel and 'data-rank="3"' in panel
    assert reverse("learning:use_conversation", args=[conversation.pk]) in panel


def test_readers_see_no_suggestions(client, manager, library):
    conversation = customer_conversation("My card was declined")
    client.force_login(manager)
    page = client.get(reverse("inbox:detail", args=[conversation.pk])).content.decode()
    assert 'class="suggestions"' not in page


def test_suggestions_cost_at_most_two_queries(agent, library, django_assert_max_num_queries):
    conversation = customer_conversation("My card was declined abroad, help")
    request = RequestFactory().get("/")
    request.user = agent
    agent._bankbuzz_roles = frozenset({"agent"})  # the role lookup is the page's, done before
    running_cached()  # the running experiments: read once per 30 s from the database, then Redis
    with django_assert_max_num_queries(2):
        context = composer_suggestions(request, conversation)
    assert len(context["suggestions"]) == 3


def test_choosing_a_suggestion_is_recorded(client, agent, library):
    conversation = customer_conversation("My card was declined")
    article = AdviceArticle.objects.get(title="Why was my card declined?")
    client.force_login(agent)
    url = reverse("learning:use_conversation", args=[conversation.pk])
    response = client.post(url, {"kind": "article", "entry": str(article.pk), "rank": "1"})
    assert response.status_code == 204
    use = SuggestionUse.objects.get()
    assert (use.user, use.conversation, use.article, use.rank) == (agent, conversation, article, 1)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"kind": "article", "entry": "999999", "rank": "1"},
        {"kind": "x", "entry": "1", "rank": "1"},
        {"kind": "article", "entry": "1", "rank": "9"},
        {"kind": "article", "entry": "abc", "rank": "1"},
    ],
)
def test_a_bad_record_is_a_400_and_stores_nothing(client, agent, library, data):
    conversation = customer_conversation("My card was declined")
    client.force_login(agent)
    response = client.post(reverse("learning:use_conversation", args=[conversation.pk]), data)
    assert response.status_code == 400
    assert not SuggestionUse.objects.exists()


def test_a_reader_cannot_record_a_use(client, manager, library):
    conversation = customer_conversation("My card was declined")
    saved = SavedReply.objects.get(shortcut="declined")
    client.force_login(manager)
    response = client.post(
        reverse("learning:use_conversation", args=[conversation.pk]),
        {"kind": "saved_reply", "entry": str(saved.pk), "rank": "1"},
    )
    assert response.status_code == 403
    assert not SuggestionUse.objects.exists()


def test_the_specialist_answering_sees_suggestions_for_the_question(client, agent, library):
    from bankbuzz.accounts import roles
    from tests.conftest import make_person

    expert = make_person("carla", roles.SPECIALIST, first_name="Carla")
    library["Mortgages"].members.add(expert)
    conversation = customer_conversation("Hello, quick question please")
    escalation = escalation_services.escalation_open(
        actor=agent,
        conversation=conversation,
        department=library["Mortgages"],
        question="Customer asks whether they can overpay their mortgage without a charge",
    )
    client.force_login(expert)
    page = client.get(reverse("escalations:detail", args=[escalation.pk])).content.decode()
    panel = page.split('class="suggestions"')[1].split("</section>")[0]
    assert "Overpaying your mortgage" in panel
    assert 'data-suggest-target="id_proposed_reply"' in page
    article = AdviceArticle.objects.get(title="Overpaying your mortgage")
    response = client.post(
        reverse("learning:use_escalation", args=[escalation.pk]),
        {"kind": "article", "entry": str(article.pk), "rank": "1"},
    )
    assert response.status_code == 204
    assert SuggestionUse.objects.get().escalation == escalation
