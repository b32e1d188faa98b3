"""Drill 4: PostgreSQL stops in the middle of a poll and comes back a few seconds later.

A private PostgreSQL (never the machine's shared one) holds the drill's database. A
real worker starts polling an 800-post backlog on X; while it reads the network, the
database stops; it is down when the worker comes to store the page, and starts again.
The task retries by itself and the retry polls (it is not shut out by the lease of the
poll that failed); every item ends up stored exactly once with consistent cursors.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest
from django.db import connections
from django.db.models import Count

from listening.connectors.base import connector_for
from listening.models import Mention, QuarantinedItem, SocialAccount
from listening.tasks import poll_account
from tests.faults.drills import ROOT, PrivatePostgres, base_env, celery_worker, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.long_drill]

ALIAS = "drill_pg"


def x_reads(sandbox) -> int:
    counts = sandbox.requests().get("x", {})
    return sum(n for endpoint, n in counts.items() if "mentions" in endpoint or "dm_events" in endpoint)


@pytest.fixture
def private_db(django_db_blocker):
    pg = PrivatePostgres()
    url = pg.start()
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1"}
    migrate = [sys.executable, "manage.py", "migrate", "--noinput", "-v0"]
    subprocess.run(migrate, cwd=ROOT, env=env, check=True)
    created = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from devtools.sandbox import world\n"
         "from listening.services import social_account_create\n"
         "a = social_account_create(actor=None, network='x', external_id=world.BANK_X['user_id'],"
         " handle=world.BANK_X['handle'], name=world.BANK_X['name'],"
         " credentials=world.DEMO_CREDENTIALS['x'])\n"
         "print(a.pk)"],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    account_id = int(created.stdout.strip().splitlines()[-1])
    import dj_database_url

    parsed = dj_database_url.parse(url)
    connections.settings[ALIAS] = {
        **connections.settings["default"],
        **{key: parsed[key] for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")},
    }
    with django_db_blocker.unblock():
        yield pg, url, account_id
        connections[ALIAS].close()
    del connections.settings[ALIAS]
    pg.close()


def test_postgres_restarted_mid_poll_the_task_retries_and_nothing_is_lost(
    sandbox, sandbox_server, private_db, tmp_path
):
    pg, url, account_id = private_db
    accounts = SocialAccount.objects.using(ALIAS)
    sandbox.generate(800, network="x")
    sandbox.session.delete(f"{sandbox.url}/_sandbox/requests", timeout=5)

    queue = f"bankbuzz-pg-{uuid.uuid4().hex[:8]}"
    worker = celery_worker(base_env(sandbox_server.url, DATABASE_URL=url), queue, tmp_path / "worker.log")
    try:
        poll_account.apply_async(args=[account_id], queue=queue)
        # Mid-poll: the worker holds the lease and reads X; nothing is stored yet.
        wait_for(lambda: x_reads(sandbox) >= 2, seconds=30, what="the worker to read X")
        pg.stop()
        stopped_at = time.monotonic()
        # Down long enough that the store, and the release of the lease, fail.
        worker.wait_log("Retry in", seconds=60)
        time.sleep(max(0.0, 3 - (time.monotonic() - stopped_at)))
        pg.start_again()
        down = time.monotonic() - stopped_at
        connections[ALIAS].close()
        assert Mention.objects.using(ALIAS).count() == 0, "the page was stored before the stop"

        # The retry (10 to 20 s later) polls: it is not shut out by the failed poll's lease.
        wait_for(
            lambda: accounts.get(pk=account_id).last_success_at is not None,
            seconds=60,
            what=lambda: f"the retried poll to succeed\n{worker.log()[-3000:]}",
            interval=0.5,
        )
        # Drain what is left of the backlog, as beat would.
        for _ in range(12):
            wait_for(lambda: accounts.get(pk=account_id).poll_lease_until is None, seconds=60, what="release")
            cursors = accounts.get(pk=account_id).cursors
            if not cursors.get("mentions_page") and not cursors.get("dm_events_page"):
                break
            before = accounts.get(pk=account_id).last_success_at
            poll_account.apply_async(args=[account_id], queue=queue)
            wait_for(
                lambda b=before: accounts.get(pk=account_id).last_success_at != b,
                seconds=60,
                what="a poll",
                interval=0.2,
            )
        log = worker.log()
    finally:
        worker.stop()

    assert "retry: Retry in" in log and "PollDatabaseError(" in log, log[-3000:]
    assert "succeeded in" in log and "skipped:" not in log, "the retry polled (not shut out by the lease)"
    info = accounts.get(pk=account_id).as_account_info()
    everything = connector_for(info.__class__(**{**info.__dict__, "options": {"max_pages": 100}})).fetch({})
    expected = {i.external_id for i in everything.items} | {q.external_id for q in everything.quarantined}
    assert len(expected) > 300
    stored = set(Mention.objects.using(ALIAS).values_list("external_id", flat=True))
    quarantined = set(QuarantinedItem.objects.using(ALIAS).values_list("external_id", flat=True))
    assert expected <= stored | quarantined, f"lost: {sorted(expected - stored - quarantined)[:5]}"
    doubles = (
        Mention.objects.using(ALIAS).values("network", "external_id").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not doubles.exists()
    cursors = accounts.get(pk=account_id).cursors
    mention_ids = [
        int(i)
        for i in Mention.objects.using(ALIAS).exclude(kind="direct").values_list("external_id", flat=True)
    ]
    assert int(cursors["mentions"]) == max(mention_ids)
    print(f"\nDRILL postgres down {down:.1f} s; stored {len(stored)}, quarantined {len(quarantined)}")
