"""`manage.py flush` (how transactional and browser tests are cleaned up) survives a reader's deadlock."""

from __future__ import annotations

import re
import threading
import time

import psycopg2
import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import connection

from bankbuzz.accounts.models import User

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_for(params: dict, table: str) -> bool:
    """Whether someone waits for the exclusive lock on `table` (the flush, behind the reader)."""
    with psycopg2.connect(**params) as conn, conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " WHERE c.relname = %s AND l.mode = 'AccessExclusiveLock' AND NOT l.granted",
            [table],
        )
        waiting = cursor.fetchone()[0] > 0
    conn.close()
    return waiting


def test_a_flush_that_deadlocks_with_a_reader_tries_again_and_empties_the_tables(agent):
    """The last request of a browser test can still be reading when the test's flush starts.

    The reader holds the last table the TRUNCATE locks, and asks for the first once the flush
    waits behind it: a deadlock. The reader's own deadlock check waits longer, so PostgreSQL ends
    the flush's statement, as it did in a CI run; the flush then tries again and empties everything.
    """
    tables = re.findall(r'"(\w+)"', sql_flush(no_style(), connection)[0])
    first, last = tables[0], tables[-1]
    params = connection.get_connection_params()
    failures: list[BaseException] = []
    holding = threading.Event()

    def reader() -> None:
        try:
            conn = psycopg2.connect(**params)
            with conn.cursor() as cursor:
                cursor.execute("SET deadlock_timeout = '20s'")
                cursor.execute(f'SELECT 1 FROM "{last}" LIMIT 1')
                holding.set()
                deadline = time.monotonic() + 60
                while not _waiting_for(params, last):
                    assert time.monotonic() < deadline, "the flush never waited for the reader"
                    time.sleep(0.05)
                cursor.execute(f'SELECT 1 FROM "{first}" LIMIT 1')
            conn.commit()
            conn.close()
        except BaseException as exc:
            failures.append(exc)
            holding.set()

    thread = threading.Thread(target=reader)
    thread.start()
    assert holding.wait(30)
    call_command("flush", interactive=False, verbosity=0)
    thread.join(60)
    assert failures == []
    assert not User.objects.exists()
