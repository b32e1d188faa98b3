"""Drill 3: Redis (the broker) crashes and restarts in the middle of a run, append-only file on.

A private Redis (never the machine's shared one), started the way `make run` starts
its own (`--appendonly yes`, `appendfsync everysec`), carries the queue of a running
worker and beat. Thirty tasks wait in a queue no worker consumes yet; Redis is
SIGKILLed (a crash, not a clean shutdown) and started again three seconds later.

- No queued task is lost: the thirty are still queued, and a new worker runs each once.
- The worker reconnects by itself and runs new tasks.
- Beat reconnects by itself and keeps sending (the heartbeat), still holding its lock.
"""

from __future__ import annotations

import signal
import time
import uuid

import pytest

from tests.faults.drills import PrivateRedis, base_env, celery_beat, celery_worker, sender, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.long_drill, pytest.mark.django_db(transaction=True)]

QUEUED = 30
NO_ACCOUNT = 987_654_321  # a poll of an account that does not exist: skipped ("ignored"), quickly


@pytest.fixture
def private_redis():
    redis_server = PrivateRedis()
    redis_server.start()
    yield redis_server
    redis_server.close()


def ran(log: str, task_id: str) -> int:
    """How often the worker finished the task (a skipped poll ends "ignored", not "succeeded")."""
    return log.count(f"[{task_id}] succeeded") + log.count(f"[{task_id}] ignored")


def succeeded(log: str, task_id: str) -> bool:
    return ran(log, task_id) > 0


def test_redis_restarted_mid_run_loses_no_queued_task(sandbox_server, private_redis, tmp_path):
    env = base_env(sandbox_server.url, REDIS_URL=private_redis.url, BEAT_LOCK_WAIT="0")
    queue = f"bankbuzz-redis-{uuid.uuid4().hex[:8]}"
    parked = f"{queue}-parked"
    app = sender(private_redis.url)
    worker = celery_worker(env, queue, tmp_path / "worker.log")
    beat = celery_beat(env, queue, tmp_path / "beat.log")
    second = None
    try:
        beat.wait_log("Sending due task heartbeat", seconds=30)
        ids = [
            app.send_task("listening.poll_account", args=[NO_ACCOUNT], queue=parked).id for _ in range(QUEUED)
        ]
        client = private_redis.client()
        assert client.llen(parked) == QUEUED
        lock_before = client.get(f"bankbuzz:beat:lock:{queue}")
        assert lock_before
        time.sleep(1.5)  # appendfsync everysec: what is a second old is on disk

        private_redis.restart(sig=signal.SIGKILL, down_seconds=3)
        restarted = time.monotonic()
        client = private_redis.client()
        assert client.llen(parked) == QUEUED, "queued tasks were lost with the crash"

        # The worker reconnects by itself (Celery retries the broker connection).
        worker.wait_log("Connected to", count=2, seconds=60)
        after = [app.send_task("listening.poll_account", args=[NO_ACCOUNT], queue=queue).id for _ in range(5)]
        wait_for(
            lambda: all(succeeded(worker.log(), task_id) for task_id in after),
            seconds=60,
            what=lambda: f"the reconnected worker to run new tasks\n{worker.log()[-3000:]}",
            interval=0.2,
        )
        # Beat reconnects by itself: it keeps sending, and its heartbeat reaches the worker.
        sent_before = beat.log().count("Sending due task heartbeat")
        ran_before = worker.log().count("Task bankbuzz.heartbeat[")
        beat.wait_log("Sending due task heartbeat", count=sent_before + 1, seconds=40)
        worker.wait_log("Task bankbuzz.heartbeat[", count=ran_before + 1, seconds=30)
        assert beat.alive(), "beat must survive the restart"
        lock_after = client.get(f"bankbuzz:beat:lock:{queue}")
        assert lock_after == lock_before, "the beat lock came back with the append-only file"

        # A worker for the parked queue runs every task that was queued before the crash, once.
        second = celery_worker(env, parked, tmp_path / "worker-parked.log")
        wait_for(
            lambda: all(succeeded(second.log(), task_id) for task_id in ids),
            seconds=90,
            what=lambda: f"the parked tasks to run\n{second.log()[-3000:]}",
            interval=0.2,
        )
        recovered = time.monotonic() - restarted
        log = second.log()
        assert all(ran(log, task_id) == 1 for task_id in ids)
        assert client.llen(parked) == 0
    finally:
        for process in (second, beat, worker):
            if process is not None:
                process.stop()
    print(f"\nDRILL redis: {QUEUED} queued tasks kept through a SIGKILL; ran {recovered:.1f} s after restart")
