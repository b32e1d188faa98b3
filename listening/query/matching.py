"""Which listening queries a stored mention matches, and which search hits the inbox sees.

Called in the transaction that stores a page (`listening.services.ingest`), and by the query
services for a new query's backfill. Reads and writes `QueryMatch` rows; imports no service.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from listening.enrichment.understanding import CONFIDENT
from listening.models import ListeningQuery, Mention, QueryMatch
from listening.query.evaluate import Doc, Matcher
from listening.query.parser import QuerySyntaxError

logger = logging.getLogger(__name__)

# Search hits the "questions and complaints" policy lets into the inbox: these intents, when the
# model is sure of the intent or says the post needs a reply (a guess alone pulls nothing in).
INBOX_INTENTS = frozenset({"question", "complaint", "fraud", "outage", "close_or_switch"})

_matchers: dict[tuple[int, str], Matcher] = {}


def matcher_of(query: ListeningQuery) -> Matcher | None:
    """The query's compiled matcher (cached by text), or None when its text no longer parses."""
    key = (query.pk, query.text)
    if key not in _matchers:
        try:
            _matchers[key] = Matcher(query.text)
        except QuerySyntaxError:
            logger.warning("listening query %s no longer parses; skipped", query.pk)
            return None
        if len(_matchers) > 500:
            _matchers.clear()
            _matchers[key] = Matcher(query.text)
    return _matchers[key]


@dataclass(frozen=True)
class Candidate:
    """A stored mention as matching reads it."""

    pk: int
    network: str
    text: str
    lang: str
    created_at: dt.datetime


def _active(queries: list[ListeningQuery] | None) -> list[tuple[ListeningQuery, Matcher]]:
    if queries is None:
        queries = list(ListeningQuery.objects.filter(is_active=True))
    return [(q, m) for q in queries if (m := matcher_of(q)) is not None]


def matches_of(
    candidates: Iterable[Candidate], *, queries: list[ListeningQuery] | None = None
) -> list[QueryMatch]:
    """The matches of the active queries (or `queries`) among the candidates, unsaved.

    The caller says which candidates may match (inbound, not spam). One read of the active
    queries when there are candidates, none otherwise.
    """
    candidates = list(candidates)
    if not candidates:
        return []
    matches = []
    active = _active(queries)
    for candidate in candidates if active else ():
        doc = Doc.of(candidate.text, candidate.lang)
        for query, matcher in active:
            if candidate.network in query.networks and matcher.matches_doc(doc):
                matches.append(
                    QueryMatch(query=query, mention_id=candidate.pk, created_at=candidate.created_at)
                )
    return matches


def matches_record(candidates: Iterable[Candidate], *, queries: list[ListeningQuery] | None = None) -> int:
    """Record the matches of `matches_of` in one INSERT. Idempotent."""
    matches = matches_of(candidates, queries=queries)
    if matches:
        QueryMatch.objects.bulk_create(matches, ignore_conflicts=True, batch_size=len(matches))
    return len(matches)


def query_matches_record(*, mention_ids: list[int], queries: list[ListeningQuery] | None = None) -> int:
    """Record which active queries match the given stored mentions (inbound, not spam). Idempotent."""
    if not mention_ids:
        return 0
    active = _active(queries)
    if not active:
        return 0
    rows = (
        Mention.objects.filter(pk__in=mention_ids, direction=Mention.Direction.IN, is_spam=False)
        .values_list("pk", "network", "text", "lang", "created_at")
        .iterator(chunk_size=2000)
    )
    total = 0
    batch: list[Candidate] = []
    for row in rows:
        batch.append(Candidate(*row))
        if len(batch) == 2000:
            total += matches_record(batch, queries=[q for q, _m in active])
            batch = []
    return total + matches_record(batch, queries=[q for q, _m in active])


def inbox_rule(policy: str) -> Callable:
    """Whether a search hit (item, enrichment) goes to the inbox, under a query's inbox policy."""
    if policy == ListeningQuery.InboxPolicy.ALL:
        return lambda item, extra: True
    if policy == ListeningQuery.InboxPolicy.NONE:
        return lambda item, extra: False
    return _wants_the_inbox


def _wants_the_inbox(item, extra) -> bool:
    if extra.intent not in INBOX_INTENTS:
        return False
    confident = extra.intent_confidence is None or extra.intent_confidence >= CONFIDENT
    return confident or bool(extra.needs_reply)
