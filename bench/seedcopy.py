"""The seed's fast path to COPY: preformatted text lines streamed into one COPY per table.

`bench.seed` builds each row as one line of COPY's text format from a template of the table's
columns (the constant columns written once into the template), so a row costs one
`str.format` call instead of a dict, a tuple and a conversion per value. The lines are pulled by
psycopg while PostgreSQL parses what it has already received, so Python and the server work at
the same time on the machine's two cores.
"""

from __future__ import annotations

import json
import string
import tempfile
import threading
import time
from collections.abc import Iterable
from itertools import islice
from types import SimpleNamespace

from django.db import connection

# Lines handed to psycopg at a time (a few MB of text).
LINES_PER_READ = 5_000


def copy_escape(value: str) -> str:
    """A string as one value of COPY's text format."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def json_value(value) -> str:
    """`value` as JSON inside a COPY line (as `bench.seed._text_value` writes a dict or list)."""
    return copy_escape(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


class _Lines:
    """A file-like object for `copy_expert` whose read() returns the next lines of an iterator."""

    def __init__(self, lines: Iterable[str]):
        self.lines = iter(lines)
        self.count = 0

    def read(self, size: int = -1) -> str:
        batch = list(islice(self.lines, LINES_PER_READ))
        self.count += len(batch)
        return "".join(batch)

    readline = read


def copy_lines(table: str, columns: list[str], lines: Iterable[str]) -> int:
    """One COPY of preformatted lines (each ending in a newline) into `table`; returns the row count."""
    sql = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
    source = _Lines(lines)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, source, size=1 << 20)
    return source.count


def copy_file(table: str, columns: list[str], spool) -> None:
    """COPY a spooled file of lines (see `Spool`) into `table`."""
    spool.seek(0)
    sql = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(sql, spool, size=1 << 20)


def spool():
    """A temporary file for lines of a table written while another table streams."""
    return tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", buffering=1 << 20)


def line_template(table, row_keys: Iterable[str], *, text_keys: Iterable[str] = (), constants=None) -> str:
    """A `str.format` template of one COPY line of `table` (a `bench.seed.Table`).

    `row_keys`: attnames given per row, already in COPY text format; `text_keys`: attnames read
    from the `t` argument (a `text_columns` namespace); `constants`: attname -> value for every
    row. Any other column gets its model default, and a column without one is an error, as in
    `Table.row`.
    """
    from bench.seed import _text_value

    row_keys, text_keys, constants = set(row_keys), set(text_keys), constants or {}
    parts = []
    for field, column in zip(table.fields, table.columns, strict=True):
        if field.attname in row_keys:
            parts.append("{" + field.attname + "}")
        elif field.attname in text_keys:
            parts.append("{t." + field.attname + "}")
        else:
            if field.attname in constants:
                value = constants[field.attname]
            elif column in table.defaults:
                value = table.defaults[column]
            else:
                raise RuntimeError(
                    f"bench seed does not know how to fill {table.model.__name__}.{field.name}"
                )
            parts.append(_text_value(value).replace("{", "{{").replace("}", "}}"))
    return "\t".join(parts) + "\n"


def line_function(template: str):
    """`template.format` as a compiled f-string (the template is parsed once, not at every row).

    The template is ours (`line_template`): placeholders are column attnames, or `t.<attname>`.
    """
    names = sorted({name.split(".")[0] for _, name, _, _ in string.Formatter().parse(template) if name})
    source = f"lambda *, {', '.join(names)}: f{template!r}"
    return eval(source, {})  # noqa: S307 - built from our own model's column names


TEXT_KEYS = (
    "text",
    "lang",
    "sentiment_score",
    "sentiment_label",
    "pii_findings",
    "has_pii",
    "priority_hint",
    "intent",
    "is_spam",
    "sentiment_confidence",
    "intent_confidence",
    "lang_confidence",
    "needs_reply",
    "needs_reply_confidence",
)


def text_columns(text, masked_by_text: dict[str, str]) -> SimpleNamespace:
    """The columns a mention and its conversation take from one enriched text, formatted once."""
    from bench.seed import _text_value

    columns = {key: _text_value(getattr(text, key)) for key in TEXT_KEYS}
    masked = masked_by_text.get(text.text, text.text)
    return SimpleNamespace(
        **columns,
        json=json_value(text.text),
        lang_json=json.dumps(text.lang or "en"),
        doc=copy_escape(masked[:2000]),
        preview=copy_escape(text.masked[:280]),
        sentiment_label_raw=text.sentiment_label,
    )


def _constraints(table: str) -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype = 'f'",
            [f'"{table}"'],
        )
        return list(cursor.fetchall())


class LoadWindow:
    """Drop the secondary indexes and foreign keys of some tables for a bulk load; build them after.

    Checking a foreign key row by row during COPY costs a trigger and a lookup per row; adding it
    back afterwards checks all rows in one join. The indexes are built again two at a time (one
    extra connection), the largest first, with parallel workers for the B-trees.
    """

    def __init__(self, *tables: str, log=print):
        self.tables = tables
        self.log = log
        self.indexes: list[tuple[str, str]] = []
        self.foreign_keys: list[tuple[str, str, str]] = []

    def __enter__(self):
        from bench.seed import secondary_indexes

        with connection.cursor() as cursor:
            for table in self.tables:
                for name, definition in _constraints(table):
                    self.foreign_keys.append((table, name, definition))
                    cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
                for name, definition in secondary_indexes(table):
                    self.indexes.append((table, definition))
                    cursor.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:  # a failed seed leaves its (throwaway) database as it stopped
            return
        started = time.monotonic()
        sizes = {}
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute("SELECT pg_relation_size(%s::regclass)", [f'"{table}"'])
                sizes[table] = cursor.fetchone()[0]
        # GIN indexes first (they are built by one process), then the rest by table size.
        work = sorted(self.indexes, key=lambda item: (" USING gin " not in item[1], -sizes[item[0]]))
        run_two_at_a_time([definition for _table, definition in work])
        built = time.monotonic()
        with connection.cursor() as cursor:
            for table, name, definition in self.foreign_keys:
                cursor.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        self.log(
            f"  {len(self.indexes)} indexes built in {built - started:.1f} s,"
            f" {len(self.foreign_keys)} foreign keys checked in {time.monotonic() - built:.1f} s"
        )


def run_two_at_a_time(statements: list[str]) -> None:
    """Run DDL statements on this connection and one more, each taking the next from the list."""
    from django.db import connections

    queue = list(reversed(statements))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker(conn) -> None:
        try:
            with conn.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '512MB'")
                while True:
                    with lock:
                        if not queue or errors:
                            return
                        statement = queue.pop()
                    cursor.execute(statement)
        except BaseException as error:  # re-raised in the caller's thread
            errors.append(error)

    def second() -> None:
        other = connections.create_connection("default")
        try:
            worker(other)
        finally:
            other.close()

    if connection.in_atomic_block:  # a second connection would wait for this transaction's locks
        worker(connection)
        if errors:
            raise errors[0]
        return
    helper = threading.Thread(target=second)
    helper.start()
    worker(connection)
    helper.join()
    if errors:
        raise errors[0]
