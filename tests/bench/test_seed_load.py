"""The seed's fast load: the rows it writes as preformatted COPY lines read back as written, and
the indexes and foreign keys it drops for the load are all there again afterwards."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection

from bench.seed import NETWORK_WEIGHTS, SEED, STATUS_WEIGHTS, THREAD_LENGTHS, Table, _text_value, picker
from bench.seedcopy import copy_lines, line_function, line_template

pytestmark = pytest.mark.django_db(transaction=True)

LOADED = (
    "listening_author",
    "listening_mention",
    "inbox_conversation",
    "inbox_conversationevent",
    "inbox_conversation_tags",
    "escalations_escalation",
)


def _schema() -> set[tuple[str, str]]:
    """Every index (name, columns, unique, partial) and foreign key of the tables the seed loads.

    Not the index's whole definition: PostgreSQL writes a rebuilt index's predicate in another,
    equivalent form (`ARRAY[...]::text[]` becomes `ARRAY[(...)::text, ...]`).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.relname, concat_ws(' ', i.relname, x.indkey::text, x.indisunique,"
            " x.indpred IS NOT NULL, pg_get_indexdef(x.indexrelid, 1, true))"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relname = ANY(%s)"
            " UNION ALL SELECT conrelid::regclass::text, conname || ' ' || pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
            [list(LOADED), list(LOADED)],
        )
        return set(cursor.fetchall())


def test_the_weighted_choices_draw_what_random_choices_draws():
    # The seed's data for a given SEED stay the same as before its fast path.
    fast, slow = random.Random(SEED), random.Random(SEED)
    for weighted in (NETWORK_WEIGHTS, STATUS_WEIGHTS, tuple(((lo, hi), w) for lo, hi, w in THREAD_LENGTHS)):
        draw = picker(fast, weighted)
        values, weights = [w[0] for w in weighted], [w[-1] for w in weighted]
        assert [draw() for _ in range(2000)] == [
            slow.choices(values, weights=weights)[0] for _ in range(2000)
        ]


def test_a_copy_line_reads_back_as_the_values_it_was_made_of():
    from listening.models import Author

    table = Table(Author, {"id": 1})
    keys = ("id", "network", "external_id", "handle", "name", "followers", "verified", "first_seen_at")
    seen = dt.datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=dt.UTC)
    line = line_function(line_template(table, keys, constants={"profile_url": "https://x.example/{a}"}))
    # What COPY's text format and a format template both read specially: tab, newline,
    # backslash, \N, braces; and text that is not ASCII.
    name = "Zoë {O'Brien}\tof\nLine\\two \\N"
    row = line(
        id=7,
        network="x",
        external_id="x-7",
        handle="zoe_obrien7",
        name=_text_value(name),
        followers=_text_value(None),
        verified="t",
        first_seen_at=seen.isoformat(),
    )
    assert copy_lines(Author._meta.db_table, table.columns, [row]) == 1

    author = Author.objects.get(pk=7)
    assert (author.name, author.handle, author.followers, author.verified) == (
        name,
        "zoe_obrien7",
        None,
        True,
    )
    assert author.first_seen_at == seen
    assert author.profile_url == "https://x.example/{a}"
    assert author.avatar_url == ""  # a column the template does not name gets its model default


def test_the_seed_puts_back_every_index_and_foreign_key_it_drops_for_the_load():
    from bench.seed import seed
    from listening.models import Mention

    before = _schema()
    seeded = seed(0, log=lambda _message: None, pool_size=20, conversations_target=300, history_days=730)

    assert _schema() == before
    assert Mention.objects.count() == seeded.mentions
    # The conversations carry the tags of their links, and the links' triggers are back on.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM inbox_conversation c WHERE c.tag_ids IS DISTINCT FROM coalesce("
            " (SELECT array_agg(t.tag_id ORDER BY t.tag_id) FROM inbox_conversation_tags t"
            "  WHERE t.conversation_id = c.id), '{}')"
        )
        assert cursor.fetchone()[0] == 0
        cursor.execute("SELECT count(*) FROM inbox_conversation WHERE tag_ids <> '{}'")
        assert cursor.fetchone()[0] > 50
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'inbox_conversation_tags'::regclass"
            " AND NOT tgisinternal AND tgenabled = 'O'"
        )
        assert cursor.fetchone()[0] == 3
    # The raw payload is built from pieces: it is the JSON the network would have sent.
    mention = Mention.objects.filter(network="x", direction="in").select_related("author").first()
    assert mention.raw["tweet"]["id"] == mention.external_id
    assert mention.raw["tweet"]["text"] == mention.text
    assert mention.raw["author"] == {
        "id": str(mention.author_id),
        "username": mention.author.handle,
        "name": mention.author.name,
    }
