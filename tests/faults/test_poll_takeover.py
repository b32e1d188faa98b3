"""Drills: a worker is SIGKILLed mid-poll, or stopped for a deploy mid-poll.

Two real workers and a real beat polling the bank's X account every `INTERVAL` seconds, with a
backlog long enough that a poll is caught while it reads X.

- SIGKILL (a crash, an OOM kill, `docker stop` past its grace): the dead poll's lease is no
  longer renewed, runs out within `POLL_LEASE_SECONDS`, and the other worker's poll of the
  account claims it and succeeds within one poll interval of the kill. Nothing is stored twice.
- SIGTERM (a deploy, `docker stop`): Celery's warm shutdown takes no new task and lets the poll
  finish; the poll gives its lease back as it ends, and the worker exits by itself.
"""

from __future__ import annotations

import datetime as dt
import signal
import uuid

import pytest
from django.db.models import Count
from django.utils import timezone

from listening.models import Mention, SocialAccount
from listening.services import account_schedule_sync
from listening.tasks import poll_account
from tests.faults.drills import base_env, celery_beat, celery_worker, wait_for, x_reads

pytestmark = [pytest.mark.faults, pytest.mark.long_drill, pytest.mark.django_db(transaction=True)]

INTERVAL = 20  # seconds between polls of the account (60 in production; compressed here)
LEASE = 6  # POLL_LEASE_SECONDS for the drill's workers (30 in production, under the interval)


def account(pk: int) -> SocialAccount:
    return SocialAccount.objects.get(pk=pk)


def poll_sends(beat_log: str) -> list[dt.datetime]:
    """When beat sent a poll, from its text log (`LOG_FORMAT=text`: local time first)."""
    return [
        dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").astimezone()
        for line in beat_log.splitlines()
        if "Sending due task Poll x account" in line
    ]


def assert_nothing_doubled() -> None:
    doubles = Mention.objects.values("network", "external_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not doubles.exists()


def test_a_poll_killed_mid_read_is_taken_over_within_one_interval(
    sandbox, sandbox_server, x_account, tmp_path
):
    SocialAccount.objects.filter(pk=x_account.pk).update(poll_interval=INTERVAL)
    account_schedule_sync(account=account(x_account.pk))
    sandbox.generate(800, network="x")
    sandbox.session.delete(f"{sandbox.url}/_sandbox/requests", timeout=5)
    queue = f"bankbuzz-takeover-{uuid.uuid4().hex[:8]}"
    env = base_env(sandbox_server.url, BEAT_LOCK_WAIT="0", POLL_LEASE_SECONDS=str(LEASE), LOG_FORMAT="text")
    workers = [celery_worker(env, queue, tmp_path / f"worker-{n}.log") for n in (1, 2)]
    beat = None
    try:
        beat = celery_beat(env, queue, tmp_path / "beat.log")
        # Beat's first poll: caught while it reads X, before anything is stored.
        wait_for(lambda: x_reads(sandbox) >= 2, seconds=90, what="a worker to read X")
        [polling] = [w for w in workers if "Task listening.poll_account[" in w.log()]
        polling.stop(signal.SIGKILL)
        killed_at = timezone.now()
        assert Mention.objects.count() == 0, "the kill came after the commit: make the backlog larger"
        assert account(x_account.pk).poll_lease_until is not None, "the dead poll's lease is still held"

        # The survivor's first successful poll after the kill: when it claimed the account.
        def claimed_after_kill():
            current = account(x_account.pk)
            if current.last_success_at and current.last_success_at > killed_at:
                return current.last_poll_at
            return None

        claimed = wait_for(
            claimed_after_kill,
            seconds=INTERVAL * 4,
            what=lambda: f"another worker's poll to succeed\n{beat.log()[-1500:]}",
            interval=0.1,
        )
    finally:
        for process in (beat, *workers):
            if process is not None:
                process.stop()
    took = (claimed - killed_at).total_seconds()
    # Not a stopwatch (the machine is loaded) but the schedule: the first poll beat sent after the
    # kill (or its one retry as the lease ran out) is the one that took the account over, so the
    # account was polled again within one interval of the kill.
    sent = [at for at in poll_sends(beat.log()) if killed_at < at <= claimed]
    assert len(sent) <= 1, f"{len(sent)} polls sent after the kill before one took the account over"
    assert Mention.objects.count() > 0
    assert_nothing_doubled()
    print(f"\nDRILL poll takeover: polled again {took:.1f} s after the SIGKILL (lease {LEASE} s)")


def test_a_worker_stopped_mid_poll_finishes_it_and_gives_the_lease_back(
    sandbox, sandbox_server, x_account, tmp_path
):
    sandbox.generate(800, network="x")
    sandbox.session.delete(f"{sandbox.url}/_sandbox/requests", timeout=5)
    queue = f"bankbuzz-deploy-{uuid.uuid4().hex[:8]}"
    worker = celery_worker(base_env(sandbox_server.url), queue, tmp_path / "worker.log")
    try:
        poll_account.apply_async(args=[x_account.pk], queue=queue)
        wait_for(lambda: x_reads(sandbox) >= 2, seconds=60, what="the worker to read X")
        assert account(x_account.pk).poll_lease_until is not None
        worker.process.send_signal(signal.SIGTERM)  # what `docker stop` sends first
        after_stop = poll_account.apply_async(args=[x_account.pk], queue=queue)
        exit_code = worker.process.wait(150)  # compose gives 200 s (stop_grace_period)
    finally:
        worker.stop(signal.SIGKILL)
    log = worker.log()
    assert exit_code == 0, log[-3000:]
    assert "warm shutdown" in log.lower(), log[-3000:]
    stopped = account(x_account.pk)
    assert stopped.poll_lease_until is None, "the stopped worker's poll gave its lease back"
    assert stopped.last_success_at is not None, "the poll it was running finished"
    assert f"[{after_stop.id}] succeeded" not in log, "a stopping worker takes no new task"
    assert Mention.objects.count() > 0
    assert_nothing_doubled()
