"""Reads of the shared inbox that span relations.

Every list read is keyset-paginated (never OFFSET) and every count is capped with a
LIMIT-ed subquery (never an exact COUNT over the table). By what they read: `saved_views`,
`sorting` (sorts and list cursors), `filters`, `listing` (the list's pages and rows), `counts`,
`people`, `thread` (one conversation), `replies` (approvals and the outbox).
"""

from inbox.selectors.counts import COUNT_CAP, NEW_CAP, capped_counts, new_since_count, view_counts
from inbox.selectors.cursors import BadCursor
from inbox.selectors.filters import PHRASE_RE, ListQuery, apply_filters, search_q
from inbox.selectors.listing import (
    ConversationPage,
    RowDisplay,
    conversation_list,
    conversation_rows,
    decorate_rows,
)
from inbox.selectors.people import inbox_readers, inbox_workers
from inbox.selectors.replies import replies_awaiting_approval, replies_recently_decided, reply_awaits_dispatch
from inbox.selectors.saved_views import DEFAULT_VIEW, SAVED_VIEWS, SavedView, Status
from inbox.selectors.sorting import DEFAULT_SORT, SORTS, after_q, decode_cursor, encode_cursor, order_by_keys
from inbox.selectors.thread import (
    CONTEXT_MESSAGES,
    CONTEXT_PEOPLE_CAP,
    THREAD_EVENT_KINDS,
    THREAD_PAGE,
    ThreadContext,
    ThreadItem,
    ThreadPage,
    changes_since,
    conversation_messages,
    conversation_thread,
    decode_thread_cursor,
    encode_thread_cursor,
    moderation_state,
    thread_context,
)

__all__ = [
    "CONTEXT_MESSAGES",
    "CONTEXT_PEOPLE_CAP",
    "COUNT_CAP",
    "DEFAULT_SORT",
    "DEFAULT_VIEW",
    "NEW_CAP",
    "PHRASE_RE",
    "SAVED_VIEWS",
    "SORTS",
    "THREAD_EVENT_KINDS",
    "THREAD_PAGE",
    "BadCursor",
    "ConversationPage",
    "ListQuery",
    "RowDisplay",
    "SavedView",
    "Status",
    "ThreadContext",
    "ThreadItem",
    "ThreadPage",
    "after_q",
    "apply_filters",
    "capped_counts",
    "changes_since",
    "conversation_list",
    "conversation_messages",
    "conversation_rows",
    "conversation_thread",
    "decode_cursor",
    "decode_thread_cursor",
    "decorate_rows",
    "encode_cursor",
    "encode_thread_cursor",
    "inbox_readers",
    "inbox_workers",
    "moderation_state",
    "new_since_count",
    "order_by_keys",
    "replies_awaiting_approval",
    "replies_recently_decided",
    "reply_awaits_dispatch",
    "search_q",
    "thread_context",
    "view_counts",
]
