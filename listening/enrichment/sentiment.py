"""Sentiment of a post with VADER, a lexicon and rule-based model tuned for social media text.

VADER suits this job: it reads emphasis, emoji, capitals and "but" the way tweets use them, it
needs no model download (its lexicon ships inside the wheel), and scoring is a few tens of
microseconds. Building the analyzer parses the lexicon files (tens of milliseconds), so it is
built once per process, lazily, on first use.
"""

from __future__ import annotations

import re
import threading
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

__all__ = ["SentimentLabel", "get_analyzer", "label_for", "score_sentiment"]

SentimentLabel = Literal["positive", "neutral", "negative"]

# The thresholds the VADER authors recommend for the compound score.
POSITIVE_THRESHOLD: Final = 0.05
NEGATIVE_THRESHOLD: Final = -0.05

# VADER is a general lexicon: it has no opinion on "declined" or "overdrawn", and none on
# "authorise", so "I did not authorise this" scores neutral. These valences (VADER's -4..+4
# scale) make a bank's bad news read as bad news; "authorise" is mildly positive so that
# VADER's own negation handling turns "did not authorise" negative.
BANK_LEXICON: Final[dict[str, float]] = {
    "declined": -1.8,
    "overcharged": -2.2,
    "overdrawn": -1.2,
    "bounced": -1.6,
    "crashed": -1.6,
    "crashing": -1.6,
    "unauthorised": -2.4,
    "unauthorized": -2.4,
    "authorise": 1.2,
    "authorize": 1.2,
    "authorised": 1.2,
    "authorized": 1.2,
    "recognise": 0.8,
    "recognize": 0.8,
    "blocked": -1.4,
    "frozen": -1.0,
    "scammed": -2.6,
    "phishing": -2.2,
    "outage": -1.8,
    "refund": 0.6,
}
# Phrases VADER reads word by word; rewritten to one word it knows (above).
_BANK_PHRASES_RE: Final = re.compile(
    r"\b(?:charged (?:me )?twice|double[- ]charged|charged (?:me )?(?:two|2) times)\b", re.IGNORECASE
)

# Links and @handles carry no sentiment but their words do get scored ("@HappyBank",
# ".../great-offers"), so they are removed before scoring.
_NOISE_RE: Final = re.compile(r"https?://\S+|www\.\S+|@\w+")

_analyzer: SentimentIntensityAnalyzer | None = None
_lock = threading.Lock()


def get_analyzer() -> SentimentIntensityAnalyzer:
    """The process-wide analyzer; thread-safe, built on first call."""
    global _analyzer  # a deliberate lazy singleton, see the module docstring
    if _analyzer is None:
        with _lock:
            if _analyzer is None:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                analyzer = SentimentIntensityAnalyzer()
                analyzer.lexicon.update(BANK_LEXICON)
                _analyzer = analyzer
    return _analyzer


def label_for(score: float) -> SentimentLabel:
    """Map a compound score in [-1, 1] to a label with the standard +/-0.05 thresholds."""
    if score >= POSITIVE_THRESHOLD:
        return "positive"
    if score <= NEGATIVE_THRESHOLD:
        return "negative"
    return "neutral"


def score_sentiment(text: str) -> tuple[float, SentimentLabel]:
    """Return ``(compound score, label)`` for ``text``; empty text is ``(0.0, "neutral")``."""
    cleaned = _BANK_PHRASES_RE.sub("overcharged", _NOISE_RE.sub(" ", text or "")).strip()
    if not cleaned:
        return 0.0, "neutral"
    score = float(get_analyzer().polarity_scores(cleaned)["compound"])
    return score, label_for(score)
