"""Reads of the shared inbox that span relations.

Every list read is keyset-paginated (never OFFSET) and every count is capped with a
LIMIT-ed subquery (never an exact COUNT over the table).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from inbox.models import Conversation, ConversationEvent, Note, Reply, Tag
from inbox.permissions import conversations_visible_to
from listening.models import Mention

Status = Conversation.Status
COUNT_CAP = 1000
NEW_CAP = 99


class BadCursor(ValueError):
    pass


# --- Saved views -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SavedView:
    key: str
    label: str
    hint: str

    def q(self, user) -> Q:
        active = Q(status__in=Conversation.ACTIVE)
        return {
            "unassigned": active & Q(assignee__isnull=True),
            "mine": active & Q(assignee=user),
            "urgent": active & Q(priority=Conversation.Priority.URGENT),
            "waiting_expert": Q(status=Status.WAITING_EXPERT),
            "open": active,
            "resolved": Q(status=Status.RESOLVED),
            "spam": Q(status=Status.SPAM),
        }[self.key]


SAVED_VIEWS = {
    view.key: view
    for view in (
        SavedView("unassigned", "Unassigned", "Nobody has these yet"),
        SavedView("mine", "Mine", "Assigned to you and not resolved"),
        SavedView("urgent", "Urgent", "Urgent and not resolved"),
        SavedView("waiting_expert", "Waiting on expert", "Escalated to a department"),
        SavedView("open", "All open", "Everything not resolved or spam"),
        SavedView("resolved", "Resolved", "Done; reopens when the customer writes again"),
        SavedView("spam", "Spam", "Marked as spam"),
    )
}
DEFAULT_VIEW = "open"


# --- Sorting and keyset cursors -------------------------------------------------------------------

# Each sort is a list of (field, descending); the last key is always the id, so the order is total.
SORTS: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "newest": ("Newest", [("last_activity_at", True), ("id", True)]),
    "waiting": ("Longest waiting", [("last_inbound_at", False), ("id", False)]),
    "priority": ("Priority", [("priority", True), ("last_inbound_at", False), ("id", False)]),
}
DEFAULT_SORT = "newest"


def _key_values(conversation: Conversation, keys) -> list:
    out = []
    for name, _desc in keys:
        value = getattr(conversation, name)
        out.append(value.isoformat() if isinstance(value, dt.datetime) else value)
    return out


def encode_cursor(conversation: Conversation, sort: str = DEFAULT_SORT) -> str:
    raw = json.dumps([sort, *_key_values(conversation, SORTS[sort][1])], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(token: str, sort: str = DEFAULT_SORT) -> list:
    keys = SORTS[sort][1]
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(data, list) or data[0] != sort or len(data) != len(keys) + 1:
            raise ValueError("cursor of another sort")
        values = []
        for (name, _desc), value in zip(keys, data[1:], strict=True):
            if name.endswith("_at"):
                values.append(dt.datetime.fromisoformat(value))
            else:
                values.append(_bigint(value))
        return values
    except (ValueError, TypeError, IndexError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadCursor(
            "This page link (cursor) is no longer valid; start again from the top of the list."
        ) from exc


def _bigint(value) -> int:
    """An id or rank from a cursor: what PostgreSQL's bigint holds, or ValueError."""
    number = int(value)
    if not -(2**63) <= number < 2**63:
        raise ValueError("out of range")
    return number


def _after(keys: list[tuple[str, bool]], values: list) -> Q:
    """Rows strictly after `values` in the order `keys` (lexicographic keyset condition)."""
    condition = Q(pk__in=[])
    for index, (name, desc) in enumerate(keys):
        equal = {k: v for (k, _), v in zip(keys[:index], values[:index], strict=True)}
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[index]})
        condition |= Q(**equal) & step
    return condition


def _order_by(keys) -> list[str]:
    return [f"-{name}" if desc else name for name, desc in keys]


# --- Filters ------------------------------------------------------------------------------------


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
        qs = qs.filter(tags__id=query.tag)
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


# --- The list -----------------------------------------------------------------------------------


@dataclass
class ConversationPage:
    conversations: list[Conversation]
    next_cursor: str | None


def _list_rows(qs: QuerySet[Conversation], *, rows_only: bool = False) -> QuerySet[Conversation]:
    """The list's conversations with what they print.

    `rows_only` (the HTML list, which prints rows only): no account, no search vector (the
    thread's whole text) and no tag prefetch (a manager and a queryset per row, about a tenth of
    the page's CPU); `decorate_rows` reads the tag names of the page in one query instead.
    """
    if rows_only:
        return qs.select_related("customer", "assignee").defer("search_vector")
    return qs.select_related("customer", "account", "assignee").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def _tag_names(ids: list[int]) -> dict[int, list[str]]:
    """{conversation id: its tag names in name order}, for a page of rows, in one query."""
    names: dict[int, list[str]] = {}
    if ids:
        # Plain SQL: the ORM's join and compile cost more than the query (about 0.6 ms a page).
        through = Conversation.tags.through._meta.db_table
        tags = Tag._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT ct.conversation_id, t.name FROM {through} ct JOIN {tags} t ON t.id = ct.tag_id "  # noqa: S608
                "WHERE ct.conversation_id = ANY(%s) ORDER BY t.name",
                [list(ids)],
            )
            for conversation_id, name in cursor.fetchall():
                names.setdefault(conversation_id, []).append(name)
    return names


@dataclass
class RowDisplay:
    """What a list row shows, computed once in Python (benchmarks: no `{% url %}` or `date` per row)."""

    url: str
    iso: str
    title_time: str
    age: str
    network_label: str
    status_label: str
    avatar: str
    initial: str
    tags: list[str]


_DETAIL_PREFIX: list[str] = []


def _detail_url(pk: int) -> str:
    # `reverse` once per process: every row's link is the same path with its id.
    if not _DETAIL_PREFIX:
        from django.urls import reverse

        _DETAIL_PREFIX.append(reverse("inbox:detail", args=[0])[:-2])
    return f"{_DETAIL_PREFIX[0]}{pk}/"


def decorate_rows(rows: list[Conversation], *, rows_only: bool = False) -> list[Conversation]:
    """Give each row its `row` (RowDisplay): links, timestamps and labels the row template prints."""
    from inbox.templatetags.inbox_tags import short_age
    from listening.avatars import avatar_src

    # Labels as plain strings once, not a lazy translation per row.
    network_labels = {k: str(v) for k, v in Conversation._meta.get_field("network").flatchoices}
    status_labels = {k: str(v) for k, v in Conversation.Status.choices}
    tag_names = _tag_names([c.pk for c in rows]) if rows_only else None
    for conversation in rows:
        at = conversation.last_activity_at
        local = timezone.localtime(at) if at else None
        customer = conversation.customer
        if tag_names is not None:
            tags = tag_names.get(conversation.pk, [])[:2]
        else:
            # Prefetched in name order (_list_rows): the first two.
            tags = [tag.name for tag in conversation.tags.all()[:2]]
        conversation.row = RowDisplay(
            url=_detail_url(conversation.pk),
            iso=local.isoformat() if local else "",
            title_time=f"{local.day} {local:%b %Y, %H:%M}" if local else "",
            age=short_age(at),
            network_label=str(network_labels.get(conversation.network, conversation.network)),
            status_label=str(status_labels.get(conversation.status, conversation.status)),
            avatar=avatar_src(customer),
            initial=customer.display_name[:1].upper(),
            tags=tags,
        )
    return rows


def conversation_list(
    *,
    user,
    query: ListQuery | None = None,
    cursor: str | None = None,
    page_size: int = 50,
    rows_only: bool = False,
) -> ConversationPage:
    """One page of the list, keyset-paginated on the sort's keys plus the id: no OFFSET, no COUNT.

    `rows_only`: the conversations carry what a list row prints and no more (see `_list_rows`).
    """
    query = query or ListQuery()
    keys = SORTS[query.sort][1]
    qs = apply_filters(conversations_visible_to(user), query, user=user)
    if cursor:
        qs = qs.filter(_after(keys, decode_cursor(cursor, query.sort)))
    qs = qs.order_by(*_order_by(keys))
    if query.tag:
        # Through the tag's rows: the page's ids first (an index-only hash join, about 5 ms at 1M),
        # then those rows. In one query PostgreSQL joins every row of the tag to the wide row and
        # its customer before sorting (15-20 ms at 1M, docs/benchmarks.md).
        ids = list(qs.values_list("pk", flat=True)[: page_size + 1])
        found = {c.pk: c for c in _list_rows(Conversation.objects.filter(pk__in=ids), rows_only=rows_only)}
        rows = [found[pk] for pk in ids if pk in found]
    else:
        rows = list(_list_rows(qs, rows_only=rows_only)[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = encode_cursor(rows[-1], query.sort) if has_more else None
    return ConversationPage(conversations=decorate_rows(rows, rows_only=rows_only), next_cursor=next_cursor)


def conversation_rows(*, user, ids: list[int], rows_only: bool = False) -> list[Conversation]:
    """Given rows of the list, fresh (the live refresh of rows that changed)."""
    qs = _list_rows(conversations_visible_to(user).filter(pk__in=ids), rows_only=rows_only)
    return decorate_rows(list(qs), rows_only=rows_only)


def _capped_counts_statement(querysets: dict[str, QuerySet], cap: int) -> tuple[str, list]:
    parts, params = [], []
    for index, qs in enumerate(querysets.values()):
        sql, sql_params = qs.order_by().values("pk")[: cap + 1].query.sql_with_params()
        # Safe: `sql` is Django's own compiled SQL with placeholders; values travel in params.
        parts.append(f"(SELECT count(*) FROM ({sql}) AS capped_{index})")  # noqa: S608
        params.extend(sql_params)
    return "SELECT " + ", ".join(parts), params


def _run_counts(keys, statement: tuple[str, list]) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(*statement)
        row = cursor.fetchone()
    return dict(zip(keys, row, strict=True))


def capped_counts(querysets: dict[str, QuerySet], *, cap: int = COUNT_CAP) -> dict[str, int]:
    """Counts of several querysets in one round trip, each stopping at cap + 1 rows.

    `SELECT (SELECT count(*) FROM (SELECT id ... LIMIT 1001) a), (...)`: PostgreSQL stops
    reading each at the limit, so a view with a million rows costs what one with 1,001 does.
    """
    if not querysets:
        return {}
    return _run_counts(querysets.keys(), _capped_counts_statement(querysets, cap))


# The saved views' counts statement per (user, may read the inbox, cap): it depends on nothing
# else, and compiling its seven querysets cost about 2 ms of every list page and poll.
_VIEW_COUNTS_STATEMENTS: dict[tuple[int, bool, int], tuple[str, list]] = {}


def view_counts(*, user, cap: int = COUNT_CAP) -> dict[str, int]:
    key = (user.pk, roles.can_read_inbox(user), cap)
    statement = _VIEW_COUNTS_STATEMENTS.get(key)
    if statement is None:
        base = conversations_visible_to(user)
        querysets = {name: base.filter(view.q(user)) for name, view in SAVED_VIEWS.items()}
        statement = _capped_counts_statement(querysets, cap)
        if len(_VIEW_COUNTS_STATEMENTS) >= 2000:
            _VIEW_COUNTS_STATEMENTS.clear()
        _VIEW_COUNTS_STATEMENTS[key] = statement
    return _run_counts(SAVED_VIEWS.keys(), statement)


def new_since_count(*, user, query: ListQuery, since: dt.datetime, shown: Iterable[int] = ()) -> int:
    """How many conversations of the current view had a message after the list was loaded.

    Rows already on screen (`shown`) are not new: they are updated in place, so one's own reply
    to the open conversation never announces "1 new".
    """
    qs = apply_filters(conversations_visible_to(user), query, user=user).filter(last_activity_at__gt=since)
    if shown:
        qs = qs.exclude(pk__in=list(shown))
    return capped_counts({"new": qs}, cap=NEW_CAP)["new"]


def inbox_workers() -> QuerySet[User]:
    """People conversations can be assigned to: active agents and leads."""
    return (
        User.objects.filter(is_active=True, groups__name__in=roles.INBOX_WRITERS)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


def inbox_readers() -> QuerySet[User]:
    """People a note can @mention."""
    return (
        User.objects.filter(is_active=True, groups__name__in=roles.INBOX_READERS)
        .distinct()
        .order_by("username")
    )


# --- One conversation -------------------------------------------------------------------------


def conversation_messages(*, conversation: Conversation) -> QuerySet[Mention]:
    return (
        Mention.objects.filter(network=conversation.network, thread_key=conversation.thread_key)
        .select_related("author")
        .order_by("created_at", "id")
    )


# Events shown in the thread. Messages and notes are shown themselves, not as events.
THREAD_EVENT_KINDS = [
    ConversationEvent.Kind.REOPENED,
    ConversationEvent.Kind.STATUS,
    ConversationEvent.Kind.ASSIGNED,
    ConversationEvent.Kind.PRIORITY,
    ConversationEvent.Kind.TAGGED,
    ConversationEvent.Kind.UNTAGGED,
    ConversationEvent.Kind.OUTBOX,
    ConversationEvent.Kind.HIDDEN,
    ConversationEvent.Kind.UNHIDDEN,
    ConversationEvent.Kind.DELETED,
    ConversationEvent.Kind.ESCALATION,
    ConversationEvent.Kind.SPLIT,
    ConversationEvent.Kind.COMPLAINT,
]


@dataclass
class ThreadItem:
    kind: str  # "message", "note" or "event"
    at: dt.datetime
    obj: object


THREAD_PAGE = 50
# Ties on the timestamp: messages, then notes, events and replies, each by id (the pane's order).
_THREAD_RANK = {"message": 0, "note": 1, "event": 2, "reply": 3}


class ThreadPage(list):
    """The latest items of a thread, oldest first; `earlier` is the cursor of the page before, or None."""

    earlier: str | None = None


def _thread_before(rank: int, cursor: tuple | None) -> Q:
    """Items of kind `rank` strictly before the cursor (at, rank, id) in the pane's order."""
    if cursor is None:
        return Q()
    at, c_rank, c_id = cursor
    if rank < c_rank:
        return Q(created_at__lte=at)
    if rank == c_rank:
        return Q(created_at__lt=at) | Q(created_at=at, id__lt=c_id)
    return Q(created_at__lt=at)


def encode_thread_cursor(item: ThreadItem) -> str:
    raw = json.dumps([item.at.isoformat(), _THREAD_RANK[item.kind], item.obj.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_thread_cursor(token: str) -> tuple:
    try:
        padded = token + "=" * (-len(token) % 4)
        at, rank, pk = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        return dt.datetime.fromisoformat(at), _bigint(rank), _bigint(pk)
    except (ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadCursor(
            "This link to earlier messages (before) is no longer valid; open the conversation again."
        ) from exc


def conversation_thread(
    *, conversation: Conversation, before: str | None = None, limit: int = THREAD_PAGE
) -> ThreadPage:
    """The latest `limit` customer messages, replies, notes and events (before the cursor), in time order.

    Each source is read newest first with a LIMIT (mention_thread_idx, note_thread_idx,
    conv_event_version_idx), keyset-paginated on (created_at, kind, id): a 500-message thread
    renders 50 items and an "Earlier messages" link, not all 500 (docs/benchmarks.md).
    """
    cursor = decode_thread_cursor(before) if before else None
    take = limit + 1
    messages = [
        ThreadItem("message", m.created_at, m)
        for m in conversation_messages(conversation=conversation)
        # The pane never shows the network's payload or edit history: not read, not decoded.
        .defer("raw", "edit_history")
        .filter(_thread_before(0, cursor))
        .order_by("-created_at", "-id")[:take]
    ]
    notes = [
        ThreadItem("note", n.created_at, n)
        for n in Note.objects.filter(Q(conversation=conversation) & _thread_before(1, cursor))
        .select_related("author")
        .order_by("-created_at", "-id")[:take]
    ]
    events = [
        ThreadItem("event", e.created_at, e)
        for e in ConversationEvent.objects.filter(
            Q(conversation=conversation, kind__in=THREAD_EVENT_KINDS) & _thread_before(2, cursor)
        )
        .select_related("actor")
        .order_by("-created_at", "-id")[:take]
    ]
    # The outbox: our replies not sent yet (a sent one is the outbound message in the thread).
    replies = [
        ThreadItem("reply", r.created_at, r)
        for r in Reply.objects.filter(Q(conversation=conversation) & _thread_before(3, cursor))
        .exclude(state__in=[Reply.State.SENT, Reply.State.CANCELLED, Reply.State.DRAFT])
        .select_related("author", "decided_by")
        .order_by("-created_at", "-id")[:take]
    ]
    newest_first = sorted(
        chain(messages, notes, events, replies),
        key=lambda item: (item.at, _THREAD_RANK[item.kind], item.obj.pk),
        reverse=True,
    )
    shown = newest_first[:limit]
    # What a lead did on the network (hid a comment, deleted the bank's reply) is marked on the
    # message itself; threads with no moderation event cost one small query.
    shown_messages = [item.obj for item in shown if item.kind == "message"]
    state = moderation_state(conversation) if shown_messages else {}
    for message in shown_messages:
        message.moderation = state.get(message.pk, "")
        message.is_hidden = message.moderation == "hidden"
    page = ThreadPage(reversed(shown))
    page.earlier = encode_thread_cursor(shown[-1]) if len(newest_first) > limit else None
    return page


def changes_since(*, conversation: Conversation, version: int, user) -> list[ConversationEvent]:
    """What other people (and customers) did after `version`; for the "changed" banner."""
    return list(
        ConversationEvent.objects.filter(conversation=conversation, version__gt=version)
        .exclude(actor=user)
        .exclude(kind=ConversationEvent.Kind.NOTE)
        .select_related("actor")
        .order_by("version", "id")
    )


@dataclass
class ThreadContext:
    """Other people's messages in the customer's public thread: context, never the conversation's."""

    messages: list[Mention]
    people: int
    more: bool


CONTEXT_MESSAGES = 20
CONTEXT_PEOPLE_CAP = 1000


def thread_context(*, conversation: Conversation, network_thread: str) -> ThreadContext | None:
    """The latest messages of other people in the network's thread (a viral thread is read bounded)."""
    if not network_thread:
        return None
    others = (
        Mention.objects.filter(network=conversation.network, network_thread=network_thread)
        .exclude(thread_key=conversation.thread_key)
        .exclude(author_id=conversation.customer_id)
    )
    latest = list(
        others.select_related("author")
        .defer("raw", "edit_history")
        .order_by("-created_at", "-id")[: CONTEXT_MESSAGES + 1]
    )
    if not latest:
        return None
    people = (
        Mention.objects.filter(pk__in=others.values("pk")[:CONTEXT_PEOPLE_CAP])
        .values("author_id")
        .distinct()
        .count()
    )
    return ThreadContext(
        messages=latest[:CONTEXT_MESSAGES][::-1], people=people, more=len(latest) > CONTEXT_MESSAGES
    )


def replies_awaiting_approval(*, limit: int = 200) -> list[Reply]:
    """The leads' approvals queue, oldest first (the partial index reply_awaiting_idx)."""
    return list(
        Reply.objects.filter(state=Reply.State.AWAITING_APPROVAL)
        .select_related("author", "conversation__customer", "conversation__account")
        .order_by("created_at", "id")[:limit]
    )


def replies_recently_decided(*, limit: int = 20) -> list[Reply]:
    return list(
        Reply.objects.filter(decided_at__isnull=False)
        .select_related("author", "decided_by", "conversation__customer")
        .order_by("-decided_at")[:limit]
    )


def reply_awaits_dispatch(*, reply_id: int) -> bool:
    """Queued, and no task carries it yet (the broker refused it): sending is delayed."""
    return Reply.objects.filter(pk=reply_id, state=Reply.State.QUEUED, dispatched_at__isnull=True).exists()


_MODERATION_KINDS = (
    ConversationEvent.Kind.HIDDEN,
    ConversationEvent.Kind.UNHIDDEN,
    ConversationEvent.Kind.DELETED,
)


def moderation_state(conversation) -> dict[int, str]:
    """Mention pk -> "hidden" or "deleted", from the thread's events (the latest action wins)."""
    state: dict[int, str] = {}
    events = (
        ConversationEvent.objects.filter(conversation=conversation, kind__in=_MODERATION_KINDS)
        .order_by("version", "id")
        .values_list("kind", "data")
    )
    for kind, data in events:
        mention = data.get("mention") if isinstance(data, dict) else None
        if not isinstance(mention, int):
            continue
        if kind == ConversationEvent.Kind.UNHIDDEN:
            state.pop(mention, None)
        else:
            state[mention] = "hidden" if kind == ConversationEvent.Kind.HIDDEN else "deleted"
    return state
