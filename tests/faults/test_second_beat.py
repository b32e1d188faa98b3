"""Drill 7: a second `celery beat` started by mistake does not send the schedules twice.

The first beat holds a lock in Redis (`bankbuzz.beatlock`); a second one waits
`BEAT_LOCK_WAIT` seconds for it and exits with a message naming the holder, before
its first tick. When the first beat stops cleanly the lock is free at once; when it
dies, the lock runs out after its time to live.
"""

from __future__ import annotations

import time
import uuid

import pytest
from django.conf import settings

from bankbuzz.beatlock import BeatLock
from tests.faults.drills import base_env, celery_beat, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


@pytest.mark.long_drill
def test_a_second_beat_exits_and_the_first_keeps_ticking(sandbox_server, tmp_path):
    queue = f"bankbuzz-beat-{uuid.uuid4().hex[:8]}"
    env = base_env(sandbox_server.url, BEAT_LOCK_WAIT="2")
    first = celery_beat(env, queue, tmp_path / "beat-1.log")
    try:
        first.wait_log("beat lock 'bankbuzz:beat:lock:")
        second = celery_beat(env, queue, tmp_path / "beat-2.log", wait_ready=False)
        try:
            second.process.wait(60)
        finally:
            second.stop()
        log = second.log()
        assert second.process.returncode == 1, log[-3000:]
        assert "another beat is already running" in log
        assert f"pid {first.process.pid}" in log, "the message names the beat holding the lock"
        assert "Sending due task" not in log, "the second beat must exit before its first tick"

        # The first beat is untouched and keeps sending (the heartbeat runs every 15 s).
        assert first.alive()
        first.wait_log("Sending due task heartbeat", seconds=30)
    finally:
        first.stop()
    assert first.process.returncode == 0, first.log()[-3000:]

    # A clean stop gives the lock back: the next beat starts at once.
    started = time.monotonic()
    third = celery_beat({**env, "BEAT_LOCK_WAIT": "0"}, queue, tmp_path / "beat-3.log")
    try:
        assert time.monotonic() - started < 30
        third.wait_log("Sending due task heartbeat", seconds=30)
    finally:
        third.stop()


def test_a_dead_beats_lock_runs_out_and_a_lost_lock_is_noticed():
    key = f"bankbuzz:beat:lock:test-{uuid.uuid4().hex[:8]}"
    dead = BeatLock(settings.REDIS_URL, key=key, ttl=1)
    assert dead.acquire(wait=0)
    other = BeatLock(settings.REDIS_URL, key=key, ttl=1)
    assert not other.acquire(wait=0)
    # The holder dies without releasing: its lock runs out by itself.
    assert other.acquire(wait=3)
    assert dead.extend() == 0, "the old holder learns that the lock is someone else's"
    assert other.extend() == 1
    other.client.delete(key)  # as if Redis lost it
    assert other.extend() == 2, "taken again when it has gone"
    lost = []
    other.keep(lost.append)
    dead.client.set(key, "intruder")
    wait_for(lambda: lost, seconds=3, what="the lost lock to be noticed")
    assert lost == ["intruder"]
    other.release()
    assert other.client.get(key) == b"intruder", "release never deletes someone else's lock"
    other.client.delete(key)
