"""What the list shows: the filters of its URL, full-text search, and how they narrow the rows."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from django.contrib.postgres.search import SearchQuery
from django.db.models import BooleanField, Expression, Q, QuerySet
from django.utils import timezone

from inbox.models import Conversation
from inbox.selectors.saved_views import DEFAULT_VIEW, SAVED_VIEWS
from inbox.selectors.sorting import DEFAULT_SORT


class HasTag(Expression):
    """The conversation carries the tag: its `tag_ids`, which PostgreSQL keeps from the tag links
    (inbox/migrations/0023_conversation_tag_ids.py). The list walks its sort's index and tests
    each row it passes, where `tags__id=` would probe the links once a row."""

    conditional = True

    def __init__(self, tag_id: int):
        super().__init__(output_field=BooleanField())
        self.tag_id = int(tag_id)

    def as_sql(self, compiler, connection):
        # The query's own alias of the conversations, relabelled when it runs as a subquery.
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f"{table}.tag_ids @> ARRAY[%s]::bigint[]", (self.tag_id,)


@dataclass
class ListQuery:
    """What the list shows: a saved view, filters, search and sort (all from the URL)."""

    view: str = DEFAULT_VIEW
    sort: str = DEFAULT_SORT
    q: str = ""
    network: str = ""
    account: int | None = None
    status: str = ""
    assignee: str = ""  # a user id, "none" or "me"
    tag: int | None = None
    sentiment: str = ""
    priority: int | None = None
    lang: str = ""
    pii: bool = False
    active_from: dt.date | None = None
    active_to: dt.date | None = None
    extra: dict = field(default_factory=dict)

    @property
    def has_filters(self) -> bool:
        return any(
            (
                self.q,
                self.network,
                self.account,
                self.status,
                self.assignee,
                self.tag,
                self.sentiment,
                self.priority is not None,
                self.lang,
                self.pii,
                self.active_from,
                self.active_to,
            )
        )


PHRASE_RE = re.compile(r'"([^"]*)"')


def search_q(text: str) -> Q:
    """Full-text search over the thread and customer, or a handle prefix for "@jan"."""
    text = " ".join(text.split())[:200]
    if not text:
        return Q()
    handle = text.lstrip("@").lower()
    by_handle = Q(search_handle__startswith=handle) if handle and " " not in handle else Q(pk__in=[])
    if text.startswith("@"):
        return by_handle
    # A quoted phrase is those words in that order, stop words included ("app is down"): matched
    # against the plain copy only, where English stemming has not dropped "is" and "down".
    phrases = [p for p in (" ".join(p.split()) for p in PHRASE_RE.findall(text)) if p]
    rest = " ".join(PHRASE_RE.sub(" ", text).replace('"', " ").split())
    where = Q()
    for phrase in phrases:
        where &= Q(search_vector=SearchQuery(phrase, config="simple", search_type="phrase"))
    if rest:
        # Matched against the stemmed and the plain copy of the text (see services.conversation_reindex).
        where &= Q(
            search_vector=SearchQuery(rest, config="english", search_type="websearch")
            | SearchQuery(rest, config="simple", search_type="websearch")
        )
    return where | by_handle if where else by_handle


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def apply_filters(qs: QuerySet[Conversation], query: ListQuery, *, user) -> QuerySet[Conversation]:
    qs = qs.filter(SAVED_VIEWS[query.view].q(user))
    if query.q:
        qs = qs.filter(search_q(query.q))
    if query.network:
        qs = qs.filter(network=query.network)
    if query.account:
        qs = qs.filter(account_id=query.account)
    if query.status:
        qs = qs.filter(status=query.status)
    if query.assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif query.assignee == "me":
        qs = qs.filter(assignee=user)
    elif query.assignee:
        qs = qs.filter(assignee_id=int(query.assignee))
    if query.tag:
        qs = qs.filter(HasTag(query.tag))
    if query.sentiment:
        qs = qs.filter(sentiment_label=query.sentiment)
    if query.priority is not None:
        qs = qs.filter(priority=query.priority)
    if query.lang:
        qs = qs.filter(lang=query.lang)
    if query.pii:
        qs = qs.filter(has_pii=True)
    # Whole days in the bank's time zone, as ranges on the column so its indexes still apply.
    if query.active_from:
        qs = qs.filter(last_activity_at__gte=_start_of(query.active_from))
    if query.active_to:
        qs = qs.filter(last_activity_at__lt=_start_of(query.active_to + dt.timedelta(days=1)))
    return qs
