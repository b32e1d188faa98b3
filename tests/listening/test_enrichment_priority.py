"""Priority hints from phrase lists, and the intent guess."""

from __future__ import annotations

import pytest

from listening.enrichment.priority import (
    PriorityHint,
    classify,
    guess_intent,
    normalise_for_matching,
    priority_hint,
)


@pytest.mark.parametrize(
    ("text", "level", "phrase"),
    [
        ("I think this is FRAUD", "urgent", "fraud"),
        ("fraudulent payment on my account", "urgent", "fraudulent"),
        ("My card was stolen last night", "urgent", "card was stolen"),
        ("stolen card, please block it", "urgent", "stolen card"),
        ("I've been hacked", "urgent", "hacked"),
        ("account locked after 3 tries", "urgent", "account locked"),
        ("I can't log in", "urgent", "can't log in"),
        ("I can\u2019t log in", "urgent", "can't log in"),  # curly apostrophe
        ("I can\u2018t log in", "urgent", "can't log in"),
        ("I cant login since 8am", "urgent", "can't log in"),
        ("CAN'T LOG-IN!!", "urgent", "can't log in"),
        ("I cannot log in", "urgent", "cannot log in"),
        ("there is an outage again", "urgent", "outage"),
        ("outages every week", "urgent", "outage"),
        ("#AppDown again", "urgent", "app down"),
        ("the app is down", "urgent", "app is down"),
        ("unauthorised transactions on my statement", "urgent", "unauthorised transaction"),
        ("Unauthorized transaction!", "urgent", "unauthorized transaction"),
        ("a £600 payment I did NOT make", "urgent", "did not make"),
        ("three transactions I don\u2019t recognise", "urgent", "don't recognise"),
        ("I think my card was cloned", "urgent", "cloned"),
        ("I clicked a link in an email that looked like yours", "urgent", "clicked a link"),
        ("your app logs me out every time", "urgent", "logs me out"),
        ("unable to get into the app this morning", "urgent", "unable to get into"),
        ("I want to make a complaint", "high", "complaint"),
        ("this is unacceptable", "high", "unacceptable"),
        ("charged twice for the same coffee", "high", "charged twice"),
        ("what are your opening hours", "normal", ""),
        ("", "normal", ""),
    ],
)
def test_priority_phrases(text, level, phrase):
    assert priority_hint(text) == PriorityHint(level, phrase)


@pytest.mark.parametrize(
    "text",
    [
        "the defrauded fraudster's fraudulence",  # no whole-word "fraud" / "fraudulent"
        "whatsapp down again",  # "app down" must start at a word boundary
        "the hackathon was fun",
        "I can log in fine",
    ],
)
def test_word_boundaries(text):
    assert priority_hint(text).level != "urgent"


def test_urgent_wins_over_high():
    assert priority_hint("terrible service and now my card was stolen").level == "urgent"


def test_configured_phrases_replace_one_level_and_keep_the_others():
    phrases = {"urgent": ["mortgage offer withdrawn"]}
    assert priority_hint("They say the mortgage offer withdrawn!", phrases) == PriorityHint(
        "urgent", "mortgage offer withdrawn"
    )
    assert priority_hint("fraud", phrases).level == "normal"  # "urgent" replaced
    assert priority_hint("this is unacceptable", phrases).level == "high"  # "high" kept


def test_configured_phrase_with_curly_apostrophe_matches_straight_text():
    assert priority_hint("I didn't authorise this", {"urgent": ["didn\u2019t authorise"]}).level == "urgent"


def test_phrases_with_regex_characters_and_shared_prefixes():
    phrases = {"urgent": ["card", "card blocked", "balance £0.00", "c++ (beta) app"], "high": []}
    assert priority_hint("my balance £0.00 today", phrases) == PriorityHint("urgent", "balance £0.00")
    assert priority_hint("my card blocked again", phrases) == PriorityHint("urgent", "card blocked")
    assert priority_hint("my cards", phrases) == PriorityHint("urgent", "card")
    assert priority_hint("the c++ (beta) app crashed", phrases) == PriorityHint("urgent", "c++ (beta) app")
    assert priority_hint("my cardigan", phrases) == PriorityHint("normal", "")


def test_empty_phrase_lists_are_harmless():
    assert priority_hint("fraud", {"urgent": [], "high": [""]}) == PriorityHint("normal", "")


def test_normalise_for_matching():
    assert normalise_for_matching("  Can\u2019t   LOG-in_now ") == "cant log in now"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # Thanks and praise: experts get kudos from these.
        ("Thanks for sorting my card so quickly!", "thanks"),
        ("thank you so much 🙏", "thanks"),
        ("Thank u guys", "thanks"),
        ("thx, all good", "thanks"),
        ("Cheers, all sorted now", "thanks"),
        ("much appreciated", "thanks"),
        ("I really appreciate your help", "thanks"),
        ("sorted now, brilliant", "thanks"),
        ("working again now, you're the best", "thanks"),
        ("Great service at the Leeds branch today", "thanks"),
        ("gracias por la ayuda", "thanks"),
        ("merci beaucoup", "thanks"),
        ("vielen Dank!", "thanks"),
        ("bedankt voor de hulp", "thanks"),
        # Not thanks.
        ("Thanks for nothing", "complaint"),
        ("thanks a lot for nothing, useless", "complaint"),
        ("no thanks to you I missed my flight", "complaint"),
        ("thanks in advance, please call me back", "other"),
        ("It's still not fixed now", "other"),
        ("Please get it fixed", "other"),
        # Questions, even polite ones.
        ("How do I reset my PIN? Thanks", "question"),
        ("Is there a branch in Leeds", "question"),
        ("¿Dónde está mi tarjeta", "question"),
        ("when will my card arrive?", "question"),
        # Complaints.
        ("Why is your app so useless?", "complaint"),
        ("worst bank ever", "complaint"),
        ("still waiting for my refund", "complaint"),
        ("Thanks, but this is still broken and the service is awful", "complaint"),
        # Other.
        ("my card was declined", "other"),
        ("", "other"),
    ],
)
def test_intent(text, intent):
    from listening.enrichment.sentiment import score_sentiment

    score, _ = score_sentiment(text)
    assert guess_intent(text, sentiment_score=score) == intent


def test_very_negative_post_is_a_complaint_without_keywords():
    assert guess_intent("my card was declined", sentiment_score=-0.8) == "complaint"


def test_classify_matches_the_separate_functions():
    text = "Why is the app down? I can\u2019t log in"
    hint, intent = classify(text, sentiment_score=-0.2)
    assert hint == priority_hint(text)
    assert intent == guess_intent(text, sentiment_score=-0.2)
