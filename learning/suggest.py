"""What to suggest while replying: the library entries nearest to the customer's own words.

Two queries per conversation pane: the customer's latest messages (an index range of the
thread), then one ranking over saved replies and articles together. The rank is PostgreSQL's
`ts_rank` of each entry's generated search vector (title and topics weigh more than the text)
against an OR query of the customer's words, multiplied by

- 1.5 when the entry shares a topic with the conversation's tags (the agent said what it is about);
- 0.8 to 1.2 by what the entry led to before (EntryStats, the outcome task's counts): the share
  of decided uses that helped (thanks or resolved), smoothed by one success and one failure so an
  entry used twice is barely moved, and one with no history stays at 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import connection

from inbox.models import Conversation, SavedReply, Tag
from learning.models import AdviceArticle, EntryStats
from listening.models import Mention

# Letters and digits only: nothing the tsquery syntax could read as an operator.
WORD_RE = re.compile(r"[^\W_]+")
MAX_WORDS = 64
RECENT_MESSAGES = 3
SHOWN = 3


@dataclass
class Suggestion:
    kind: str  # "saved_reply" or "article"
    id: int
    title: str
    text: str
    url: str
    score: float

    def summary_text(self) -> str:
        """What an article inserts: its summary and the link to the bank's page."""
        return f"{self.text} {self.url}".strip()


def query_words(text: str) -> list[str]:
    """The distinct words of `text`, in order, for an OR query (stop words drop out in PostgreSQL)."""
    seen: dict[str, None] = {}
    for word in WORD_RE.findall((text or "").lower()):
        if len(word) > 1 and len(word) <= 40:
            seen.setdefault(word, None)
        if len(seen) >= MAX_WORDS:
            break
    return list(seen)


def recent_customer_text(conversation: Conversation) -> str:
    """The customer's latest messages, masked: personal data never reaches a query."""
    mentions = (
        Mention.objects.filter(
            network=conversation.network,
            thread_key=conversation.thread_key,
            direction=Mention.Direction.IN,
        )
        .only("text", "pii_findings", "has_pii")
        .order_by("-created_at", "-id")[:RECENT_MESSAGES]
    )
    return "\n".join(m.masked_text for m in mentions)


def _sql() -> str:
    saved = SavedReply._meta.db_table
    articles = AdviceArticle._meta.db_table
    stats = EntryStats._meta.db_table
    through = Conversation.tags.through._meta.db_table
    tag = Tag._meta.db_table
    factor = (
        "COALESCE(0.8 + 0.4 * (st.thanks + st.resolved + 1.0)"
        " / (st.thanks + st.resolved + st.wrote_again + st.escalated + 2.0), 1.0)"
    )

    def topic(column: str) -> str:
        return (  # `column` is one of the two named below, never input
            f"CASE WHEN EXISTS (SELECT 1 FROM jsonb_array_elements_text({column}) t"  # noqa: S608
            " WHERE lower(t) = ANY(tg.names)) THEN 1.5 ELSE 1.0 END"
        )

    # Table names come from the models, never from input; every value is a parameter.
    return f"""
        WITH q AS (SELECT to_tsquery('english', %(query)s) AS query),
        tg AS (
            SELECT COALESCE(array_agg(lower(tag.name)), '{{}}') || %(tags)s::text[] AS names
            FROM {through} ct JOIN {tag} tag ON tag.id = ct.tag_id
            WHERE ct.conversation_id = %(conversation)s
        )
        SELECT kind, id, title, text, url, score FROM (
            SELECT 'saved_reply' AS kind, s.id, s.title, s.body AS text, '' AS url,
                   ts_rank(s.search, q.query) * {topic("s.tags")} * {factor} AS score
            FROM {saved} s CROSS JOIN q CROSS JOIN tg LEFT JOIN {stats} st ON st.saved_reply_id = s.id
            WHERE s.is_active AND s.search @@ q.query
              AND (s.networks = '[]'::jsonb OR s.networks ? %(network)s)
            UNION ALL
            SELECT 'article', a.id, a.title, a.summary, a.url,
                   ts_rank(a.search, q.query) * {topic("a.topics")} * {factor}
            FROM {articles} a CROSS JOIN q CROSS JOIN tg LEFT JOIN {stats} st ON st.article_id = a.id
            WHERE a.is_active AND a.search @@ q.query
        ) ranked
        ORDER BY score DESC, kind, id
        LIMIT %(limit)s
    """  # noqa: S608


def rank_entries(
    *, text: str, network: str, tags=(), conversation_id: int | None = None, limit: int = SHOWN
) -> list[Suggestion]:
    """The `limit` library entries most relevant to `text`, best first.

    Topics count when they are among `tags` or the tags of the conversation `conversation_id`.
    """
    words = query_words(text)
    if not words:
        return []
    params = {
        "query": " | ".join(words),
        "network": network,
        "tags": [t.lower() for t in tags],
        "conversation": conversation_id,
        "limit": limit,
    }
    with connection.cursor() as cursor:
        cursor.execute(_sql(), params)
        rows = cursor.fetchall()
    return [
        Suggestion(kind=kind, id=pk, title=title, text=body, url=url, score=float(score))
        for kind, pk, title, body, url, score in rows
    ]


def for_conversation(conversation: Conversation, *, extra_text: str = "") -> list[Suggestion]:
    text = "\n".join(filter(None, [extra_text, recent_customer_text(conversation)]))
    return rank_entries(text=text, network=conversation.network, conversation_id=conversation.pk)
