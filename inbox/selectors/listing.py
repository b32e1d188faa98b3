"""The list's pages of conversations, and what each row prints."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from inbox.models import Conversation, Tag
from inbox.permissions import conversations_visible_to
from inbox.selectors.filters import ListQuery, apply_filters
from inbox.selectors.sorting import SORTS, after_q, decode_cursor, encode_cursor, order_by_keys


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
        Prefetch("tags", queryset=Tag.objects.order_by(*Tag.ALPHABETICAL))
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
                "WHERE ct.conversation_id = ANY(%s) ORDER BY lower(t.name), t.name",
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
    tags: list[str]  # the first two, in name order
    more_tags: list[str]  # the rest, counted as "+N" on the row


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
            names = tag_names.get(conversation.pk, [])
        else:
            # Prefetched in name order (_list_rows).
            names = [tag.name for tag in conversation.tags.all()]
        conversation.row = RowDisplay(
            url=_detail_url(conversation.pk),
            iso=local.isoformat() if local else "",
            title_time=f"{local.day} {local:%b %Y, %H:%M}" if local else "",
            age=short_age(at),
            network_label=str(network_labels.get(conversation.network, conversation.network)),
            status_label=str(status_labels.get(conversation.status, conversation.status)),
            avatar=avatar_src(customer),
            initial=customer.display_name[:1].upper(),
            tags=names[:2],
            more_tags=names[2:],
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
        qs = qs.filter(after_q(keys, decode_cursor(cursor, query.sort)))
    qs = qs.order_by(*order_by_keys(keys))
    rows = list(_list_rows(qs, rows_only=rows_only)[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    next_cursor = encode_cursor(rows[-1], query.sort) if has_more else None
    return ConversationPage(conversations=decorate_rows(rows, rows_only=rows_only), next_cursor=next_cursor)


def conversation_rows(*, user, ids: list[int], rows_only: bool = False) -> list[Conversation]:
    """Given rows of the list, fresh (the live refresh of rows that changed)."""
    qs = _list_rows(conversations_visible_to(user).filter(pk__in=ids), rows_only=rows_only)
    return decorate_rows(list(qs), rows_only=rows_only)
