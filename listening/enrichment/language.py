"""Language of a post: the network's own tag when it gave one, else a restricted detector.

The networks tag most posts themselves (X's ``lang``, a Facebook locale) and they see far more
text than we do, so their answer wins. Otherwise we ask `lingua`_ restricted to the languages
the bank serves (``BANK_LANGUAGES``): choosing between five languages is much more reliable on
a twelve-word tweet than choosing between seventy-five, and it is what routing needs anyway.

Lingua runs in *low accuracy* mode. Measured on this project's machine with the eight default
languages on the 522 training messages of tests/fixtures/understanding longer than 20
characters: low accuracy gets 520 right at about 0.14 ms a message, the process peaking at
33 MB; high accuracy gets 522 right at 3 ms a message (three times the whole enrichment budget)
and 238 MB per worker process. The detector is built once per set of languages and cached.

When the text is too short, or the detector's best guess is not clearly ahead, the answer is
``""`` (unknown) rather than a coin toss: a wrong language tag misroutes a customer, an empty
one only leaves the post in the default queue.

.. _lingua: https://github.com/pemistahl/lingua-py
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from lingua import LanguageDetector

__all__ = [
    "DEFAULT_LANGUAGES",
    "detect_language",
    "detect_language_with_confidence",
    "get_detector",
    "guess_language",
    "guess_language_with_confidence",
    "normalise_language_code",
    "resolve_languages",
]

# The languages of a European bank's customers; BANK_LANGUAGES narrows or widens them.
DEFAULT_LANGUAGES: Final = ("en", "fr", "de", "es", "it", "nl", "pl", "pt")

# Fewer letters than this and no detector is reliable ("ok", "thx!!", "@bank ?").
MIN_LETTERS: Final = 10
# Lingua's relative confidences over the configured languages sum to 1. Below this, or when the
# runner-up is too close, we say "unknown".
MIN_CONFIDENCE: Final = 0.5
MIN_MARGIN: Final = 0.2
MAX_CHARS: Final = 600

# Tags networks use for "no language" (X: und = undetermined, zxx = no linguistic content,
# qme = media only, qht = hashtags only, qam = mentions only, qct = cashtags only, qst = very
# short text; art = artificial, mis/mul = ISO "missing"/"multiple").
_NO_LANGUAGE: Final = frozenset({"und", "zxx", "qme", "qht", "qam", "qct", "qst", "art", "mis", "mul"})
# Withdrawn ISO 639-1 codes still emitted by some networks.
_LEGACY_CODES: Final = {"in": "id", "iw": "he", "ji": "yi", "jw": "jv", "mo": "ro"}

# Links, handles, the "#" of hashtags, digits and emoji are not language; hashtag words are.
_NOT_LANGUAGE_RE: Final = re.compile(r"https?://\S+|www\.\S+|[@$]\w+|#|[^\w\s'\u2019-]|\d|_")


def normalise_language_code(code: str | None) -> str:
    """``"en-GB"``/``"en_GB"``/``"EN"`` -> ``"en"``; "no language" tags and junk -> ``""``."""
    if not code:
        return ""
    primary = re.split(r"[-_]", code.strip().lower(), maxsplit=1)[0]
    if primary in _NO_LANGUAGE or not primary.isascii() or not primary.isalpha():
        return ""
    if len(primary) not in (2, 3):
        return ""
    return _LEGACY_CODES.get(primary, primary)


def resolve_languages(codes: Iterable[str]) -> tuple[str, ...]:
    """Normalise, de-duplicate and check configured ISO 639-1 codes, keeping their order.

    Raises ``ValueError`` for a code the detector does not know, so a typo in
    ``BANK_LANGUAGES`` fails at start-up, not silently at every poll.
    """
    from lingua import IsoCode639_1

    resolved: list[str] = []
    for raw in codes:
        code = normalise_language_code(raw)
        try:
            IsoCode639_1.from_str(code)
        except ValueError:
            raise ValueError(f"unknown or unsupported language code in BANK_LANGUAGES: {raw!r}") from None
        if code not in resolved:
            resolved.append(code)
    return tuple(resolved)


@functools.lru_cache(maxsize=8)
def _detector_for(codes: tuple[str, ...]) -> LanguageDetector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(IsoCode639_1.from_str(code)) for code in codes]
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


@functools.lru_cache(maxsize=64)
def _detector_for_config(languages: tuple[str, ...]) -> LanguageDetector:
    # Keyed on the configured tuple as given, so the hot path skips re-validating codes.
    return _detector_for(tuple(sorted(resolve_languages(languages) or DEFAULT_LANGUAGES)))


def get_detector(languages: Sequence[str] = DEFAULT_LANGUAGES) -> LanguageDetector:
    """The cached lingua detector for exactly these languages (order does not matter)."""
    return _detector_for_config(tuple(languages))


def guess_language_with_confidence(
    text: str, languages: Sequence[str] = DEFAULT_LANGUAGES
) -> tuple[str, float]:
    """Detect the language of ``text`` among ``languages``: ``(code, lingua's confidence)``.

    ``("", 0.0)`` when the text is too short; ``("", confidence)`` when the best guess is not
    clearly ahead. With a single configured language the detector can only say that language
    or nothing: it still answers ``""`` for text in another script or too short to tell.
    """
    # A few hundred characters settle the language; lingua's cost grows with length, and a
    # 50,000-character post would otherwise take a second.
    cleaned = _NOT_LANGUAGE_RE.sub(" ", (text or "")[:MAX_CHARS])
    if sum(ch.isalpha() for ch in cleaned) < MIN_LETTERS:
        return "", 0.0
    values = get_detector(languages).compute_language_confidence_values(cleaned)
    if not values:
        return "", 0.0
    best = round(values[0].value, 3)
    if best < MIN_CONFIDENCE or (len(values) > 1 and values[0].value - values[1].value < MIN_MARGIN):
        return "", best
    return values[0].language.iso_code_639_1.name.lower(), best


def guess_language(text: str, languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
    """Detect the language of ``text`` among ``languages``; ``""`` when unsure or too short."""
    return guess_language_with_confidence(text, languages)[0]


def detect_language_with_confidence(
    text: str, *, hint: str = "", languages: Sequence[str] = DEFAULT_LANGUAGES
) -> tuple[str, float]:
    """The network's language tag (normalised, confidence 1.0) when it gave a real one, else
    :func:`guess_language_with_confidence`."""
    tagged = normalise_language_code(hint)
    if tagged:
        return tagged, 1.0
    return guess_language_with_confidence(text, languages)


def detect_language(text: str, *, hint: str = "", languages: Sequence[str] = DEFAULT_LANGUAGES) -> str:
    """The network's language tag (normalised) when it gave a real one, else :func:`guess_language`."""
    return detect_language_with_confidence(text, hint=hint, languages=languages)[0]
