"""The search text of conversations, and the raw SQL helpers that write rows in batches."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db import connection
from django.db.models import NOT_PROVIDED

from inbox.models import Conversation
from listening.enrichment.stored import masked_text
from listening.models import Mention

# How many messages of a thread feed its search vector (the newest), and how much of each.
SEARCH_MESSAGES = 200


SEARCH_CHARS_PER_MESSAGE = 2000


def _values(rows: list[tuple], casts: list[str]) -> tuple[str, list]:
    """A `VALUES` list of `rows` with one placeholder a value, and its flat parameters."""
    row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
    return ", ".join([row] * len(rows)), [value for values in rows for value in values]


_PLAIN = frozenset({str, int, float, bool, type(None), dt.datetime})


def _db_value(field, value):
    """What the ORM would send for `value` (the plain types psycopg2 adapts as they are).

    A field that masks card numbers (`bankbuzz.cardmask`) gets every value, text included.
    """
    if type(value) in _PLAIN and not getattr(field, "masks_cards", False):
        return value
    return field.get_db_prep_save(value, connection)


# The search vector of a VALUES row `v` with the customer (`who`) and the thread (`body`): see
# `conversation_reindex`.
SEARCH_VECTOR_SQL = (
    "setweight(to_tsvector('simple'::regconfig, v.who), 'A')"
    " || setweight(to_tsvector('english'::regconfig, v.body), 'B')"
    " || setweight(to_tsvector('simple'::regconfig, v.body), 'C')"
)


def _search_row(conversation: Conversation, texts: dict[tuple[str, str], str]) -> tuple[str, str, str]:
    """(search_handle, who, body) of a conversation: its customer and its thread's masked text."""
    customer = conversation.customer
    who = f"{customer.handle} {customer.handle.replace('_', ' ')} {customer.name}"
    return customer.handle.lower()[:100], who, texts.get((conversation.network, conversation.thread_key), "")


def thread_texts(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The masked text of each thread's newest `SEARCH_MESSAGES` messages, newest first (one query)."""
    keys = list(keys)
    if not keys:
        return {}
    values, params = _values(keys, ["varchar", "varchar"])
    texts: dict[tuple[str, str], list[str]] = {key: [] for key in keys}
    with connection.cursor() as cursor:
        # Through the (network, thread_key, created_at) index, however long the thread.
        cursor.execute(
            f"""
            SELECT t.network, t.thread_key, m.text, m.pii_findings, m.has_pii
            FROM (VALUES {values}) AS t (network, thread_key)
            CROSS JOIN LATERAL (
                SELECT id, text, pii_findings, has_pii, created_at FROM {Mention._meta.db_table}
                WHERE network = t.network AND thread_key = t.thread_key
                ORDER BY created_at DESC, id DESC LIMIT %s
            ) AS m
            ORDER BY t.network, t.thread_key, m.created_at DESC, m.id DESC
            """,  # noqa: S608 - table name from the model, values bound
            [*params, SEARCH_MESSAGES],
        )
        for network, thread_key, text, findings, has_pii in cursor.fetchall():
            if has_pii:
                text = masked_text(text, json.loads(findings) if isinstance(findings, str) else findings)
            texts[(network, thread_key)].append(text[:SEARCH_CHARS_PER_MESSAGE])
    return {key: "\n".join(parts) for key, parts in texts.items()}


def insert_conversations(
    conversations: list[Conversation], texts: dict[tuple[str, str], str]
) -> list[Conversation]:
    """INSERT the new conversations, search vectors included, in one statement (a few for huge threads).

    Returns those that were inserted. A thread another worker opened meanwhile is left
    out (ON CONFLICT DO NOTHING waits for that worker's commit); the caller applies its
    messages to that conversation. Rows go in sorted by thread, so two workers inserting
    the same threads wait on each other in the same order and cannot deadlock.
    """
    conversations = sorted(conversations, key=lambda c: (c.network, c.thread_key))
    search = ("search_handle", "search_vector")
    fields = [f for f in _inserted_fields(Conversation) if f.name not in search]
    rows = [
        (*(_db_value(f, f.pre_save(c, True)) for f in fields), *_search_row(c, texts)) for c in conversations
    ]
    casts = [*(f.cast_db_type(connection) for f in fields), "varchar", "text", "text"]
    columns = ", ".join(f.column for f in fields)
    ids = {}
    with connection.cursor() as cursor:
        for batch in _text_batches(rows):
            values, params = _values(batch, casts)
            cursor.execute(
                f"""
                INSERT INTO {Conversation._meta.db_table} ({columns}, search_handle, search_vector)
                SELECT {", ".join(f"v.{f.column}" for f in fields)}, v.handle, {SEARCH_VECTOR_SQL}
                FROM (VALUES {values}) AS v ({columns}, handle, who, body)
                ON CONFLICT (network, thread_key) DO NOTHING
                RETURNING id, network, thread_key
                """,  # noqa: S608 - table and column names from the model, values bound
                params,
            )
            ids.update({(network, thread_key): pk for pk, network, thread_key in cursor.fetchall()})
    inserted = []
    for conversation in conversations:
        pk = ids.get((conversation.network, conversation.thread_key))
        if pk is not None:
            conversation.pk = pk
            conversation._state.adding = False
            inserted.append(conversation)
    return inserted


def insert_rows(
    model,
    rows: list[dict],
    *,
    now: dt.datetime,
    skip_conflicts: bool = False,
    returning: tuple[str, ...] = (),
) -> list[tuple]:
    """One INSERT of `rows` (field name -> value); other fields get their defaults, as with the ORM.

    `skip_conflicts`: a row that would break a unique constraint is left out (`ON CONFLICT DO
    NOTHING`). `returning`: the columns of the rows inserted, as tuples.
    """
    if not rows:
        return []
    fields = _inserted_fields(model)
    columns = [(f, f.attname, f.name) for f in fields]  # a field's names in a row, looked up once
    values = []
    for row in rows:
        out = []
        for f, attname, name in columns:
            if attname in row:
                value = row[attname]
            elif name in row:
                value = row[name]
            else:
                value = _default(f, now)
            out.append(_db_value(f, value))
        values.append(tuple(out))
    sql, params = _values(values, [f.cast_db_type(connection) for f in fields])
    tail = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    tail += f" RETURNING {', '.join(returning)}" if returning else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {model._meta.db_table} ({', '.join(f.column for f in fields)}) VALUES {sql}{tail}",  # noqa: S608
            params,
        )
        return cursor.fetchall() if returning else []


def _inserted_fields(model) -> list:
    """The columns an INSERT names: not the id, nor a column the database fills (`db_default`)."""
    return [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and getattr(f, "db_default", NOT_PROVIDED) is NOT_PROVIDED
    ]


def _default(field, now: dt.datetime):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def conversation_reindex(*, conversation: Conversation) -> None:
    """Rebuild the conversation's search vector from its thread and its customer.

    Only *masked* text is indexed: the search box must not become a way to find
    who posted a given card number, nor a second copy of it.
    The text goes in twice, English-stemmed ("declined" finds "decline") and as is
    (names, handles, other languages); the search query is matched against both.
    """
    update_conversations([conversation], thread_texts([(conversation.network, conversation.thread_key)]))


def update_conversations(
    conversations: list[Conversation], texts: dict[tuple[str, str], str], *, fields: Iterable[str] = ()
) -> None:
    """One UPDATE of the conversations' search vectors and of their `fields` as they are in memory.

    The caller holds the row locks of the conversations whose `fields` it writes.
    """
    columns = [Conversation._meta.get_field(name) for name in fields]
    rows = [
        (c.pk, *_search_row(c, texts), *(_db_value(f, getattr(c, f.attname)) for f in columns))
        for c in conversations
    ]
    casts = ["bigint", "varchar", "text", "text", *(f.cast_db_type(connection) for f in columns)]
    names = "".join(f", {f.column}" for f in columns)
    assign = "".join(f", {f.column} = v.{f.column}" for f in columns)
    with connection.cursor() as cursor:
        for batch in _text_batches(rows, body=3):
            values, params = _values(batch, casts)
            cursor.execute(
                f"""
                UPDATE {Conversation._meta.db_table} AS c
                SET search_handle = v.handle, search_vector = {SEARCH_VECTOR_SQL}{assign}
                FROM (VALUES {values}) AS v (id, handle, who, body{names})
                WHERE c.id = v.id
                """,  # noqa: S608 - table and column names from the model, values bound
                params,
            )


STATEMENT_TEXT = 4_000_000  # characters of thread text one statement carries, at most


def _text_batches(rows: list[tuple], *, body: int = -1) -> Iterable[list[tuple]]:
    """`rows` in batches whose thread texts (`row[body]`) stay within `STATEMENT_TEXT` together.

    A page of short threads is one batch; a page of long ones (a backlog of long Facebook
    threads) is a few statements, not one statement of hundreds of megabytes.
    """
    batch: list[tuple] = []
    size = 0
    for row in rows:
        if batch and size + len(row[body]) > STATEMENT_TEXT:
            yield batch
            batch, size = [], 0
        batch.append(row)
        size += len(row[body])
    if batch:
        yield batch
