"""Correcting a message's label from the pane: agents and leads, audited, kept for training."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from bankbuzz.audit.models import AuditEvent
from listening.models import LabelCorrection, Mention
from tests.inbox.world import customer_message

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def unsure(db):
    conversation = customer_message(
        text="what is this 49.99 payment, card 4111 1111 1111 1111",
        thread="p9",
        handle="ana_p",
        sentiment="neutral",
    )
    Mention.objects.filter(thread_key="p9").update(
        intent="question", intent_confidence=0.41, sentiment_confidence=0.9
    )
    return conversation


def _url(conversation):
    mention = conversation.customer.mentions.get()
    return mention, f"/inbox/c/{conversation.pk}/messages/{mention.pk}/label/"


def test_the_pane_greys_an_unsure_label_and_offers_the_correction(client, agent, unsure):
    client.force_login(agent)
    html = client.get(f"/inbox/c/{unsure.pk}/", **HX).content.decode()
    assert 'class="label-form label-unsure"' in html
    assert "model confidence 41%: a guess, shown greyed, never acted on automatically" in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_an_agent_corrects_the_intent_and_it_is_audited_and_kept(client, agent, unsure):
    mention, url = _url(unsure)
    client.force_login(agent)
    response = client.post(url, {"csrfmiddlewaretoken": "x", "label": "intent", "value": "fraud"}, **HX)
    assert response.status_code == 200
    assert "Intent corrected to fraud." in response.content.decode()
    mention.refresh_from_db()
    assert (mention.intent, mention.intent_confidence) == ("fraud", 1.0)
    correction = LabelCorrection.objects.get()
    assert (correction.label, correction.old_value, correction.new_value, correction.corrected_by) == (
        "intent",
        "question",
        "fraud",
        agent,
    )
    event = AuditEvent.objects.get(verb="mention.label_corrected")
    assert (event.before, event.after, event.actor) == ({"intent": "question"}, {"intent": "fraud"}, agent)


def test_a_bad_value_is_a_clear_422_and_changes_nothing(client, agent, unsure):
    mention, url = _url(unsure)
    client.force_login(agent)
    response = client.post(url, {"label": "intent", "value": "<script>"}, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "&lt;script&gt;&#x27; is not a valid intent." in html and "'<script>'" not in html
    assert client.post(url, {"label": "colour", "value": "red"}, **HX).status_code == 422
    mention.refresh_from_db()
    assert mention.intent == "question" and not LabelCorrection.objects.exists()


def test_readers_see_the_labels_but_cannot_correct_them(client, manager, unsure):
    _, url = _url(unsure)
    client.force_login(manager)
    html = client.get(f"/inbox/c/{unsure.pk}/", **HX).content.decode()
    assert "label-badge label-unsure" in html and "label-form" not in html
    assert client.post(url, {"label": "intent", "value": "fraud"}, **HX).status_code == 403
    assert not LabelCorrection.objects.exists()


def test_a_message_of_another_conversation_cannot_be_labelled_through_this_one(client, agent, unsure):
    other = customer_message(text="hello there", thread="p10", handle="x2")
    mention = other.customer.mentions.get()
    client.force_login(agent)
    response = client.post(
        f"/inbox/c/{unsure.pk}/messages/{mention.pk}/label/", {"label": "intent", "value": "spam"}
    )
    assert response.status_code == 404


def test_the_export_writes_the_corrections_as_masked_training_rows(client, agent, unsure):
    _, url = _url(unsure)
    client.force_login(agent)
    client.post(url, {"label": "intent", "value": "fraud"}, **HX)
    client.post(url, {"label": "needs_reply", "value": "yes"}, **HX)
    out = StringIO()
    call_command("understanding_export", stdout=out)
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert len(rows) == 1
    assert rows[0]["intent"] == "fraud" and rows[0]["needs_reply"] is True
    assert "4111 1111 1111 1111" not in rows[0]["text"] and rows[0]["text"].endswith("1111")


def test_the_list_row_greys_an_unsure_sentiment_and_shows_a_sure_one_plainly(client, agent):
    from inbox.services import conversations_attach_mentions
    from tests.factories import MentionFactory

    unsure = customer_message(
        text="hmm, my statement looks odd", thread="p11", handle="k1", sentiment="negative"
    )
    sure = customer_message(text="worst bank ever", thread="p12", handle="k2", sentiment="negative")
    # A new customer message carries its confidence to the conversation, as ingest stores it.
    for conversation, confidence in ((unsure, 0.45), (sure, 0.93)):
        later = MentionFactory(
            network="x",
            account=conversation.account,
            author=conversation.customer,
            thread_key=conversation.thread_key,
            text="still waiting",
            sentiment_label="negative",
            sentiment_confidence=confidence,
        )
        conversations_attach_mentions(mention_ids=[later.pk])
        conversation.refresh_from_db()
        assert conversation.sentiment_confidence == confidence
    client.force_login(agent)
    html = client.get("/inbox/?view=open").content.decode()
    unsure_row = html.split(f'id="row-{unsure.pk}"', 1)[1].split("</li>", 1)[0]
    sure_row = html.split(f'id="row-{sure.pk}"', 1)[1].split("</li>", 1)[0]
    assert (
        'class="badge badge-negative label-unsure" title="Sentiment: a guess (model confidence 45%)"'
        in unsure_row
    )
    assert '<span class="badge badge-negative">negative</span>' in sure_row


def test_correcting_the_latest_message_sentiment_updates_the_list_row(client, agent, unsure):
    mention, url = _url(unsure)
    Mention.objects.filter(pk=mention.pk).update(sentiment_confidence=0.4)
    unsure.refresh_from_db()
    version = unsure.version
    client.force_login(agent)
    response = client.post(url, {"label": "sentiment", "value": "negative"}, **HX)
    assert "Sentiment corrected to negative." in response.content.decode()
    unsure.refresh_from_db()
    assert (unsure.sentiment_label, unsure.sentiment_confidence, unsure.version) == ("negative", 1.0, version)
    row = (
        client.get("/inbox/?view=open")
        .content.decode()
        .split(f'id="row-{unsure.pk}"', 1)[1]
        .split("</li>")[0]
    )
    assert '<span class="badge badge-negative">negative</span>' in row
