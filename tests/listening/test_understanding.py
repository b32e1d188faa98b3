"""The labels an agent sees on the posts the old lexicon got wrong, with their confidence."""

from __future__ import annotations

import pytest

from listening.enrichment import EnrichmentConfig, _priority, enrich
from listening.enrichment import understanding as understanding_module
from listening.enrichment.priority import PriorityHint
from listening.enrichment.understanding import CONFIDENT, Understanding

EIGHT = EnrichmentConfig()


@pytest.mark.parametrize(
    ("text", "intent", "priority"),
    [
        ("Someone took £900 from my account, I did not authorise this", "fraud", "urgent"),
        ("Card declined at Amazon for the third time", "complaint", "high"),
        ("@HarbourBank you charged me twice for my rent this month, sort it out", "complaint", "high"),
    ],
)
def test_bank_complaints_read_as_negative_and_raise_priority(text, intent, priority):
    result = enrich(text, config=EIGHT)
    assert result.sentiment_label == "negative"
    assert result.sentiment_score < 0
    assert result.intent == intent
    assert result.intent_confidence >= CONFIDENT
    assert result.priority_hint == priority
    assert result.needs_reply


@pytest.mark.parametrize(
    "text",
    [
        "Who is PXL*MEDIA LTD? £45 went out of my account today and I've never heard of them",
        "Qui est PXL*MEDIA ? 45 € prélevés aujourd'hui, je ne les connais pas",
    ],
)
def test_a_payment_the_customer_disowns_is_fraud_even_when_asked_as_a_question(text):
    result = enrich(text, config=EIGHT)
    assert (result.intent, result.sentiment_label, result.priority_hint) == ("fraud", "negative", "urgent")
    assert result.needs_reply


def test_praise_said_by_denying_a_problem_is_positive_thanks():
    result = enrich("No problems at all with the new app, works perfectly 👍", config=EIGHT)
    assert (result.sentiment_label, result.intent, result.needs_reply) == ("positive", "thanks", False)


def test_sarcastic_thanks_is_a_negative_complaint():
    result = enrich("Great, on hold for an hour again. Thanks a lot 🙄", config=EIGHT)
    assert (result.sentiment_label, result.intent, result.priority_hint) == ("negative", "complaint", "high")


def test_thanks_needs_no_reply():
    result = enrich("Thanks so much, the team sorted my card in minutes, brilliant service", config=EIGHT)
    assert (result.sentiment_label, result.intent, result.needs_reply) == ("positive", "thanks", False)


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Ma carte a été débitée deux fois pour le même achat, je veux être remboursé", "fr"),
        ("Meine Karte wurde gestern dreimal an der Kasse abgelehnt", "de"),
        ("No puedo entrar en la aplicación desde esta mañana", "es"),
        ("Nie mogę zalogować się do aplikacji od rana, co się dzieje?", "pl"),
        ("Non riesco ad accedere all'app da stamattina", "it"),
        ("Ik kan sinds vanochtend niet inloggen in de app", "nl"),
        ("Não consigo entrar na aplicação desde manhã", "pt"),
    ],
)
def test_the_eight_default_languages_are_detected(text, language):
    result = enrich(text, config=EIGHT)
    assert result.language == language
    assert 0.5 <= result.language_confidence <= 1.0


def test_a_language_outside_the_configured_ones_is_not_guessed_as_one():
    only_english = EnrichmentConfig(languages=("en",))
    assert enrich("Nie mogę zalogować się do aplikacji od rana", config=only_english).language == ""


def test_every_label_carries_a_confidence_between_zero_and_one():
    result = enrich("is the app down? can't log in since 8am", config=EIGHT)
    for confidence in (result.sentiment_confidence, result.intent_confidence, result.needs_reply_confidence):
        assert 0.0 <= confidence <= 1.0
    assert result.intent == "outage"
    assert result.priority_hint == "urgent"


@pytest.mark.parametrize(
    ("confidence", "level"), [(CONFIDENT - 0.2, "normal"), (CONFIDENT, "urgent"), (0.95, "urgent")]
)
def test_only_a_confident_fraud_intent_raises_priority(confidence, level):
    understood = Understanding("negative", 0.8, -0.6, "fraud", confidence, True, 0.9)
    assert _priority(PriorityHint("normal", ""), understood).level == level


def test_a_configured_phrase_keeps_its_level_whatever_the_model_says():
    understood = Understanding("neutral", 0.9, 0.0, "question", 0.99, True, 0.9)
    assert _priority(PriorityHint("urgent", "fraud"), understood) == PriorityHint("urgent", "fraud")


def test_the_spam_rules_win_over_the_model():
    result = enrich("Free BTC giveaway!!! send 0.1 btc receive 0.2 back https://t.co/abc123", config=EIGHT)
    assert (result.is_spam, result.intent, result.needs_reply) == (True, "spam", False)


def test_the_model_is_read_once():
    assert understanding_module.get_model() is understanding_module.get_model()
