"""Enrichment as it is stored: a page of fetched items enriched for its mention rows, and the
masking of stored personal-data findings that the inbox and the API show.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from listening.connectors.base import FetchedItem


@dataclass
class StoredEnrichment:
    lang: str = ""
    sentiment_score: float | None = None
    sentiment_label: str = ""
    pii_findings: list[dict] = field(default_factory=list)
    has_pii: bool = False
    priority_hint: str = ""
    intent: str = ""
    is_spam: bool = False
    sentiment_confidence: float | None = None
    intent_confidence: float | None = None
    lang_confidence: float | None = None
    needs_reply: bool | None = None
    needs_reply_confidence: float | None = None


@lru_cache(maxsize=1)
def _config():
    from listening.enrichment import EnrichmentConfig

    return EnrichmentConfig.from_settings()


def enrich_items(items: list[FetchedItem]) -> list[StoredEnrichment]:
    """The enrichment of a page, each distinct (text, language) once: a page that repeats a
    text (a campaign, a spam wave, the same question asked by many) is enriched once for it."""
    done: dict[tuple[str, str], StoredEnrichment] = {}
    out = []
    for item in items:
        if item.direction != "in":
            # Our own words need no sentiment or priority; the reply guard checked them before sending.
            out.append(StoredEnrichment(lang=item.lang[:8]))
            continue
        key = (item.text, item.lang)
        if key not in done:
            done[key] = _enrich(item)
        # A copy each: the rows must not share their lists of findings.
        out.append(dataclasses.replace(done[key], pii_findings=list(done[key].pii_findings)))
    return out


def _enrich(item: FetchedItem) -> StoredEnrichment:
    from listening.enrichment import enrich

    result = enrich(item.text, lang_hint=item.lang, config=_config())
    findings = _with_cards_in_links(item.text, list(result.pii))
    return StoredEnrichment(
        lang=(result.language or "")[:8],
        sentiment_score=result.sentiment_score,
        sentiment_label=result.sentiment_label,
        pii_findings=[asdict(finding) for finding in findings],
        has_pii=bool(findings),
        priority_hint=result.priority_hint,
        intent=result.intent,
        is_spam=result.is_spam,
        sentiment_confidence=result.sentiment_confidence,
        intent_confidence=result.intent_confidence,
        lang_confidence=result.language_confidence if result.language else None,
        needs_reply=result.needs_reply,
        needs_reply_confidence=result.needs_reply_confidence,
    )


def _with_cards_in_links(text: str, findings: list) -> list:
    """The findings, and any card number inside a link: it is masked at rest (listening.pan_vault),
    so the message carries the badge and its Reveal like any other card."""
    from listening.enrichment.pii import find_cards

    extra = [
        card
        for card in find_cards(text)
        if not any(card.start < f.end and f.start < card.end for f in findings)
    ]
    return sorted([*findings, *extra], key=lambda f: f.start) if extra else findings


def masked_text(text: str, stored_findings: list[dict]) -> str:
    """`text` with the stored personal-data findings masked (all but the last four digits)."""
    if not stored_findings:
        return text
    from listening.enrichment.pii import Finding, mask

    findings = []
    for data in stored_findings:
        try:
            findings.append(Finding(**data))
        except TypeError:
            # A finding stored by an older version: mask the whole span rather than show it.
            findings.append(
                Finding(kind="account", start=data["start"], end=data["end"], valid=None, preview="")
            )
    return mask(text, findings)


def mask_pii(text: str) -> str:
    """`text` with whatever personal data it holds masked, for text stored without findings.

    Notes, replies and escalation steps are written by staff, who quote customers: they are
    scanned when shown, with the same detectors and the bank's own public contacts let through.
    """
    if not text:
        return text
    from listening.enrichment.pii import find_pii, mask

    config = _config()
    return mask(
        text, find_pii(text, account_patterns=config.account_patterns, allowed=config.public_contacts)
    )
