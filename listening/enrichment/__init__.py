"""Enrichment of every ingested post: language, sentiment, intent, needs a reply (each with a
confidence), personal data, priority, spam.

Pure Python, no ORM, and no Django import at module import time: the polling service calls
:func:`enrich_batch` on each page of mentions before it stores them, and the reply guard calls
:func:`listening.enrichment.pii.find_pii` on outgoing text. Configuration comes in as an
:class:`EnrichmentConfig`; :meth:`EnrichmentConfig.from_settings` builds one from Django
settings when Django is there.

Usage::

    config = EnrichmentConfig.from_settings()          # cheap; build it once per poll
    result = enrich(tweet.text, lang_hint=tweet.lang, config=config)
    mention.enrichment = result.to_dict()              # JSON-serialisable

Cost: the first call in a process loads VADER's lexicon, lingua's models and the understanding
model (a fraction of a second; call :func:`warm_up` at worker start to pay it early). After that
a message costs about 0.5 ms of CPU with the eight default languages and no network language
tag (docs/understanding.md). Measure with ``python -m bench.enrichment`` (one message, one
core) or ``python -m listening.enrichment.bench`` (pages of 100).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from listening.enrichment.language import (
    DEFAULT_LANGUAGES,
    detect_language,
    detect_language_with_confidence,
    resolve_languages,
)
from listening.enrichment.national import DEFAULT_COUNTRIES
from listening.enrichment.pii import Finding, compile_account_patterns, find_pii
from listening.enrichment.priority import (
    DEFAULT_PRIORITY_PHRASES,
    PriorityHint,
    PriorityLevel,
    priority_hint,
)
from listening.enrichment.sentiment import SentimentLabel, score_sentiment
from listening.enrichment.spam import spam_verdict
from listening.enrichment.understanding import CONFIDENT, Understanding, understand

__all__ = [
    "Enrichment",
    "EnrichmentConfig",
    "Finding",
    "enrich",
    "enrich_batch",
    "warm_up",
]


@dataclass(frozen=True)
class EnrichmentConfig:
    """What the bank configures. Immutable and hashable, so compiled forms can be cached.

    Attributes:
        languages: ISO 639-1 codes the bank serves; language detection chooses among these
            only. ``"en"`` is always included (see :meth:`from_settings`).
        account_patterns: bank-specific account-number regexes (strings), run on normalised
            text (ASCII digits, plain spaces and dashes); matches are reported as ``account``.
        priority_phrases: ``(level, phrases)`` pairs, e.g. ``(("urgent", ("fraud", ...)),)``.
            A mapping is accepted too and converted. Levels not given keep the defaults.
        public_contacts: the bank's own published phone numbers, e-mail addresses, IBANs and
            sort code with account number; never reported as personal data (an agent may write
            "call us on 0345 300 0000").
        countries: the bank's countries (ISO 3166 alpha-2): their national identity numbers,
            and with ``"GB"`` UK sort codes with account numbers, are personal data.

    Invalid values (an unknown language code, a regex that does not compile) raise
    ``ValueError`` / ``re.error`` when the config is built, so a bad setting fails at start-up.
    """

    languages: tuple[str, ...] = DEFAULT_LANGUAGES
    account_patterns: tuple[str, ...] = ()
    priority_phrases: tuple[tuple[str, tuple[str, ...]], ...] = field(
        default=tuple((level, phrases) for level, phrases in DEFAULT_PRIORITY_PHRASES.items())
    )
    public_contacts: tuple[str, ...] = ()
    countries: tuple[str, ...] = DEFAULT_COUNTRIES

    def __post_init__(self) -> None:
        # Accept lists and mappings from callers and settings, store hashable tuples.
        object.__setattr__(self, "languages", resolve_languages(self.languages) or DEFAULT_LANGUAGES)
        object.__setattr__(self, "account_patterns", tuple(self.account_patterns))
        object.__setattr__(self, "public_contacts", tuple(self.public_contacts))
        object.__setattr__(self, "countries", tuple(c.upper() for c in self.countries))
        phrases: Any = self.priority_phrases
        pairs = phrases.items() if isinstance(phrases, Mapping) else phrases
        normalised: list[tuple[str, tuple[str, ...]]] = []
        for level, level_phrases in pairs:
            if level not in ("urgent", "high"):
                raise ValueError(f"PRIORITY_PHRASES level must be 'urgent' or 'high', not {level!r}")
            if isinstance(level_phrases, str):
                raise ValueError(f"PRIORITY_PHRASES[{level!r}] must be a list of phrases, not a string")
            normalised.append((level, tuple(level_phrases)))
        object.__setattr__(self, "priority_phrases", tuple(normalised))
        compile_account_patterns(self.account_patterns)  # fail now, not on the first post

    @functools.cached_property
    def phrase_table(self) -> dict[str, tuple[str, ...]]:
        """Priority phrases per level, defaults filled in for levels not configured."""
        return {**DEFAULT_PRIORITY_PHRASES, **dict(self.priority_phrases)}

    @classmethod
    def from_settings(cls) -> EnrichmentConfig:
        """Build from Django settings (imported here, lazily): all are optional.

        * ``BANK_LANGUAGES``: list of ISO 639-1 codes (default: en, fr, de, es, it, nl, pl,
          pt); ``"en"`` is always added first.
        * ``PII_ACCOUNT_PATTERNS``: list of regex strings.
        * ``PRIORITY_PHRASES``: ``{"urgent": [...], "high": [...]}``; a level given replaces
          that level's default list, a level left out keeps its defaults.
        * ``BANK_PUBLIC_CONTACTS``: the bank's own published phone numbers, e-mail addresses,
          IBANs and sort code with account number, which are not personal data.
        * ``BANK_COUNTRIES``: the countries whose national numbers are personal data.
        """
        from django.conf import settings

        languages = ("en", *getattr(settings, "BANK_LANGUAGES", DEFAULT_LANGUAGES))
        patterns = tuple(getattr(settings, "PII_ACCOUNT_PATTERNS", ()))
        configured = getattr(settings, "PRIORITY_PHRASES", None) or {}
        table = {**DEFAULT_PRIORITY_PHRASES, **{k: tuple(v) for k, v in dict(configured).items()}}
        return cls(
            languages=languages,
            account_patterns=patterns,
            priority_phrases=tuple(table.items()),
            public_contacts=tuple(getattr(settings, "BANK_PUBLIC_CONTACTS", ())),
            countries=tuple(getattr(settings, "BANK_COUNTRIES", DEFAULT_COUNTRIES)),
        )


@functools.lru_cache(maxsize=16)
def _compiled_patterns(config: EnrichmentConfig) -> tuple[re.Pattern[str], ...]:
    return compile_account_patterns(config.account_patterns)


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What enrichment says about one post.

    Attributes:
        language: ISO 639-1 code, or ``""`` when unknown.
        language_confidence: 1.0 for the network's own tag, else the detector's confidence.
        sentiment_score: P(positive) - P(negative) of the understanding model, in [-1, 1].
        sentiment_label: "positive", "neutral" or "negative", the model's most likely.
        sentiment_confidence: the model's probability for ``sentiment_label``.
        pii: personal-data findings, spans into the text given to :func:`enrich`.
        has_pii: any finding at all, including card/IBAN look-alikes with a failing checksum
            (a mistyped card number is still a card number in public).
        priority_hint: "urgent", "high" or "normal": a configured phrase, or a confident
            intent (fraud and outage are urgent, complaint and closing high).
        priority_phrase: the configured phrase behind the hint (``""`` when none).
        intent: "complaint", "fraud", "question", "outage", "thanks" (thanks and praise),
            "close_or_switch", "spam" or "other".
        intent_confidence: the model's probability for ``intent``.
        needs_reply: whether the bank should answer; ``needs_reply_confidence`` likewise.
        is_spam: spam or noise; ``spam_reason`` says which rule fired.
    """

    language: str
    sentiment_score: float
    sentiment_label: SentimentLabel
    pii: list[Finding]
    has_pii: bool
    priority_hint: PriorityLevel
    priority_phrase: str
    intent: str
    is_spam: bool
    spam_reason: str
    language_confidence: float = 0.0
    sentiment_confidence: float = 1.0
    intent_confidence: float = 1.0
    needs_reply: bool = False
    needs_reply_confidence: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (findings become dicts too)."""
        return asdict(self)


_INTENT_PRIORITY: Final[dict[str, PriorityLevel]] = {
    "fraud": "urgent",
    "outage": "urgent",
    "complaint": "high",
    "close_or_switch": "high",
}
_RANK: Final = {"normal": 0, "high": 1, "urgent": 2}


def _priority(phrase_hint: PriorityHint, understood: Understanding) -> PriorityHint:
    """The configured phrases' hint, raised by a confident intent (never by a guess)."""
    if understood.intent_confidence < CONFIDENT:
        return phrase_hint
    level = _INTENT_PRIORITY.get(understood.intent, "normal")
    if _RANK[level] > _RANK[phrase_hint.level]:
        return PriorityHint(level, "")
    return phrase_hint


def enrich(text: str, *, lang_hint: str = "", config: EnrichmentConfig) -> Enrichment:
    """Enrich one post. ``lang_hint`` is the network's own language tag, if any."""
    text = text or ""
    findings = find_pii(
        text,
        account_patterns=_compiled_patterns(config),
        allowed=config.public_contacts,
        countries=config.countries,
    )
    verdict = spam_verdict(text)
    language, language_confidence = detect_language_with_confidence(
        text, hint=lang_hint, languages=config.languages
    )
    if not text.strip():
        understood = Understanding("neutral", 1.0, 0.0, "other", 1.0, False, 1.0)
    else:
        understood = understand(text, vader=score_sentiment(text)[0], spam=verdict.is_spam)
    phrase_hint = priority_hint(text, config.phrase_table)
    hint = _priority(phrase_hint, understood)
    return Enrichment(
        language=language,
        sentiment_score=understood.sentiment_score,
        sentiment_label=understood.sentiment,  # type: ignore[arg-type]
        pii=findings,
        has_pii=bool(findings),
        priority_hint=hint.level,
        priority_phrase=hint.phrase,
        intent=understood.intent,
        is_spam=verdict.is_spam,
        spam_reason=verdict.reason,
        language_confidence=language_confidence,
        sentiment_confidence=understood.sentiment_confidence,
        intent_confidence=understood.intent_confidence,
        needs_reply=understood.needs_reply,
        needs_reply_confidence=understood.needs_reply_confidence,
    )


def enrich_batch(
    texts_with_hints: Iterable[tuple[str, str] | str], config: EnrichmentConfig
) -> list[Enrichment]:
    """Enrich a page of posts, in order. Items are ``(text, lang_hint)`` pairs or bare texts."""
    results: list[Enrichment] = []
    for item in texts_with_hints:
        text, hint = (item, "") if isinstance(item, str) else item
        results.append(enrich(text, lang_hint=hint, config=config))
    return results


def warm_up(config: EnrichmentConfig | None = None) -> None:
    """Load the sentiment lexicon and language models now (e.g. in a worker's start-up hook)
    so that the first poll does not pay for it."""
    config = config or EnrichmentConfig()
    enrich("Warming up: my card was declined, thanks for the help!", config=config)
    if len(config.languages) > 1:
        # Lingua loads each language's model on first use; make every one of them load.
        sample: Sequence[str] = (
            "¿Dónde está mi tarjeta nueva? Gracias por la ayuda",
            "Ma carte ne marche pas depuis hier soir, merci",
            "Meine Karte funktioniert seit gestern nicht mehr",
            "Mijn pas werkt sinds gisteren niet meer, bedankt",
        )
        for text in sample:
            detect_language(text, languages=config.languages)
