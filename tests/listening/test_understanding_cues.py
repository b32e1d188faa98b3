# ruff: noqa: RUF001 - look-alike letters are what these tests are about
"""The understanding model's cues are matched as written on a lower-case text (three times
cheaper than case-insensitively): every post must get exactly the features it got before."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from listening.enrichment import features as feature_module
from listening.enrichment.features import features

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "understanding"


def posts() -> list[str]:
    texts = []
    for name in ("train.jsonl", "heldout.jsonl"):
        with (FIXTURES / name).open(encoding="utf-8") as handle:
            texts.extend(json.loads(line)["text"] for line in handle if line.strip())
    return texts


TRICKY = [
    "𝐅𝐑𝐀𝐔𝐃 on my account, 𝐒𝐂𝐀𝐌",  # mathematical bold: upper case only after folding
    "ſcam and ſtolen card",  # long s matches s case-insensitively
    "my card was hıjacked, hacked, ıt was stolen",  # dotless i
    "ΑΠΆΤΗ, Fraud! κάρτα",  # Greek
    "Мою карту украли, fraud",  # Cyrillic
    "ŁADNIE, brawo 👏 Dziękuję",
    "THANKS FOR NOTHING 🙄",
    "ﬅop ﬆolen",
]


def case_insensitive_features(monkeypatch, text: str) -> dict[str, float]:
    """The features as the cues matched every text before: case-insensitively."""
    with monkeypatch.context() as patch:
        patch.setattr(feature_module, "_CUES_AS_IS", feature_module.CUES)
        return features(text, vader=-0.3)


@pytest.mark.parametrize("text", TRICKY)
def test_odd_letters_get_the_same_cues(monkeypatch, text):
    assert features(text, vader=-0.3) == case_insensitive_features(monkeypatch, text)


def test_every_training_and_held_out_post_gets_the_same_features(monkeypatch):
    texts = posts()
    assert len(texts) > 500
    for text in texts:
        assert features(text, vader=-0.3) == case_insensitive_features(monkeypatch, text), text


def test_random_mixed_case_and_scripts_get_the_same_features(monkeypatch):
    rng = random.Random(25)
    words = [
        "fraud",
        "FRAUD",
        "Fräud",
        "ſcam",
        "hıack",
        "stolen",
        "Betrug",
        "ŁADNIE",
        "κάρτα",
        "𝐃𝐎𝐖𝐍",
        "merci",
    ]
    for _ in range(300):
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(1, 6)))
        assert features(text, vader=-0.3) == case_insensitive_features(monkeypatch, text), text
