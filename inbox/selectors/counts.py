"""Counts of the saved views and of what is new: each capped, never an exact COUNT over the table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.db.models import QuerySet

from bankbuzz.accounts import roles
from inbox.permissions import conversations_visible_to
from inbox.selectors.filters import ListQuery, apply_filters
from inbox.selectors.saved_views import SAVED_VIEWS

COUNT_CAP = 1000
NEW_CAP = 99


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
