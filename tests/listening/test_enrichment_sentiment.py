"""Sentiment: VADER's compound score and the standard +/-0.05 labels."""

from __future__ import annotations

import pytest

from listening.enrichment import sentiment as sentiment_module
from listening.enrichment.sentiment import get_analyzer, label_for, score_sentiment


@pytest.mark.parametrize(
    ("score", "label"),
    [
        (1.0, "positive"),
        (0.05, "positive"),
        (0.0499, "neutral"),
        (0.0, "neutral"),
        (-0.0499, "neutral"),
        (-0.05, "negative"),
        (-1.0, "negative"),
    ],
)
def test_label_thresholds(score, label):
    assert label_for(score) == label


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Thanks so much, the team was brilliant and really helpful!", "positive"),
        ("love the new app 😍", "positive"),
        ("Worst bank ever. My card was declined again and nobody helps.", "negative"),
        ("this is terrible, I am furious", "negative"),
        ("What time does the Leeds branch open on Saturday", "neutral"),
        ("", "neutral"),
        ("   ", "neutral"),
    ],
)
def test_labels_of_real_posts(text, label):
    score, got = score_sentiment(text)
    assert got == label
    assert -1.0 <= score <= 1.0


def test_links_and_handles_do_not_carry_sentiment():
    plain, _ = score_sentiment("my card arrived")
    noisy, _ = score_sentiment("@HappyBank my card arrived https://example.com/great-love-best")
    assert noisy == plain


def test_analyzer_is_built_once():
    assert get_analyzer() is get_analyzer()
    assert sentiment_module._analyzer is get_analyzer()
