"""Sentiment, intent and "needs a reply" of a post, each with a confidence.

A linear model (logistic regression, one head per label; the intent head mixed with naive
Bayes at training time, which stays linear) over the features of
:mod:`listening.enrichment.features`, trained by ``python -m listening.enrichment.train`` on
``tests/fixtures/understanding/train.jsonl`` (plus agents' exported corrections, when given)
and shipped as ``understanding_model.json`` next to this module: plain numbers, no pickle, so
loading it runs no code. Scoring is pure Python (a few hundred dictionary look-ups a post);
scikit-learn is only needed to train.

Confidence is the model's probability for the label it chose. Below
:data:`CONFIDENT` a label is shown greyed in the inbox and never drives escalation or
priority on its own.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from listening.enrichment.features import features

__all__ = [
    "CONFIDENT",
    "INTENTS",
    "MODEL_PATH",
    "Understanding",
    "get_model",
    "understand",
]

MODEL_PATH: Final = Path(__file__).with_name("understanding_model.json")

# Below this probability a label is a guess: shown greyed, never acted on automatically.
CONFIDENT: Final = 0.6

UnderstoodIntent = Literal[
    "complaint", "fraud", "question", "outage", "thanks", "close_or_switch", "spam", "other"
]
INTENTS: Final[tuple[str, ...]] = (
    "complaint",
    "fraud",
    "question",
    "outage",
    "thanks",
    "close_or_switch",
    "spam",
    "other",
)


@dataclass(frozen=True, slots=True)
class Understanding:
    """The labels of one post. ``sentiment_score`` is P(positive) - P(negative), in [-1, 1]."""

    sentiment: str
    sentiment_confidence: float
    sentiment_score: float
    intent: str
    intent_confidence: float
    needs_reply: bool
    needs_reply_confidence: float


class Model:
    """The shipped weights: for each feature one row of numbers, the heads side by side."""

    def __init__(self, data: dict) -> None:
        self.heads: dict[str, dict] = data["heads"]
        self.bias: list[float] = data["bias"]
        self.weights: dict[str, list[float]] = data["weights"]

    def logits(self, feats: dict[str, float]) -> list[float]:
        rows = []
        squares = 0.0
        get = self.weights.get
        for name, value in feats.items():
            row = get(name)
            if row is None:
                continue  # not in the training vocabulary, exactly as in training
            rows.append(row if value == 1.0 else [w * value for w in row])
            squares += value * value
        if not rows:
            return list(self.bias)
        scale = 1.0 / math.sqrt(squares)
        return [b + sum(column) * scale for b, column in zip(self.bias, zip(*rows, strict=True), strict=True)]

    def head(self, name: str, logits: list[float]) -> tuple[list[str], list[float]]:
        """Classes and probabilities of one head."""
        spec = self.heads[name]
        classes = spec["classes"]
        start = spec["offset"]
        if len(classes) == 2 and spec["width"] == 1:
            positive = 1.0 / (1.0 + math.exp(-logits[start]))
            return classes, [1.0 - positive, positive]
        values = logits[start : start + spec["width"]]
        boost = spec.get("boost")
        if boost:
            # Chosen in training so that complaint and fraud are rarely missed (see train.py).
            values = [v + boost.get(label, 0.0) for v, label in zip(values, classes, strict=True)]
        top = max(values)
        exps = [math.exp(v - top) for v in values]
        total = sum(exps)
        return classes, [e / total for e in exps]


@functools.cache
def get_model(path: Path = MODEL_PATH) -> Model:
    """The shipped model, read once per process."""
    with path.open(encoding="utf-8") as handle:
        return Model(json.load(handle))


def _best(classes: list[str], probabilities: list[float]) -> tuple[str, float]:
    index = max(range(len(classes)), key=probabilities.__getitem__)
    return classes[index], probabilities[index]


def understand(text: str, *, vader: float = 0.0, spam: bool = False) -> Understanding:
    """Label one post. ``vader`` is its VADER compound score, ``spam`` the spam rules' verdict."""
    model = get_model()
    logits = model.logits(features(text or "", vader=vader, spam=spam))
    s_classes, s_probs = model.head("sentiment", logits)
    sentiment, sentiment_confidence = _best(s_classes, s_probs)
    by_label = dict(zip(s_classes, s_probs, strict=True))
    intent, intent_confidence = _best(*model.head("intent", logits))
    reply_probs = model.head("needs_reply", logits)[1]
    needs_reply, needs_reply_confidence = reply_probs[1] >= 0.5, max(reply_probs)
    if spam:
        # The spam rules only fire on patterns customers do not write; trust them over the model.
        intent, intent_confidence = "spam", max(intent_confidence, 0.9)
        needs_reply, needs_reply_confidence = False, max(needs_reply_confidence, 0.9)
    return Understanding(
        sentiment=sentiment,
        sentiment_confidence=round(sentiment_confidence, 3),
        sentiment_score=round(by_label.get("positive", 0.0) - by_label.get("negative", 0.0), 4),
        intent=intent,
        intent_confidence=round(intent_confidence, 3),
        needs_reply=needs_reply,
        needs_reply_confidence=round(needs_reply_confidence, 3),
    )
