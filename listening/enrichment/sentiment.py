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

                _analyzer = SentimentIntensityAnalyzer()
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
    cleaned = _NOISE_RE.sub(" ", text or "").strip()
    if not cleaned:
        return 0.0, "neutral"
    score = float(get_analyzer().polarity_scores(cleaned)["compound"])
    return score, label_for(score)
