"""One beat at a time: a lock in Redis, held by the running `celery beat`.

Beat must run exactly once. The poll lease already stops a second beat from
polling an account twice, but every other schedule (SLA checks and their
notifications, rollups, spike alerts, the orphan sweep, the heartbeat) would
run twice. So a beat takes `LOCK_KEY` (one per queue) (SET NX with a time to live) before its
first tick and keeps extending it; a second beat started by mistake waits a
little (a crashed beat's lock runs out by itself) and then exits with a message
naming the beat that holds it.

- The lock lives `LOCK_TTL` seconds and is extended every `LOCK_TTL / 3`; a beat
  that was SIGKILLed blocks a new one for at most `LOCK_TTL` seconds.
- `BEAT_LOCK_WAIT` (seconds, default a little more than `LOCK_TTL`) is how long a
  starting beat waits for the lock, so a beat restarted right after a crash
  starts on its own instead of exiting.
- Redis unreachable for a while (a restart): the holder keeps ticking (its lock
  comes back with the append-only file, or is taken again when it is free). If
  another beat holds the lock by then, this one stops.
- A clean exit deletes the lock (only if it is still ours).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import socket
import threading
import time
import uuid

import redis

logger = logging.getLogger(__name__)

# One lock per deployment: deployments (and test runs) sharing a Redis use their own queue.
LOCK_KEY = "bankbuzz:beat:lock:{queue}"
LOCK_TTL = 30  # seconds

# 1: extended (ours); 2: taken again (it had expired or Redis lost it); 0: someone else's.
_EXTEND = """
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 2
end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class BeatLockHeld(SystemExit):
    """Another beat holds the lock: this one exits (status 1) with the reason."""


class BeatLock:
    def __init__(self, url: str, *, key: str, ttl: int = LOCK_TTL):
        self.client = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        self.ttl = ttl
        self.key = key
        self.token = f"{socket.gethostname()} pid {os.getpid()} {uuid.uuid4().hex[:8]}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def holder(self) -> str:
        value = self.client.get(self.key)
        return value.decode(errors="replace") if value else ""

    def acquire(self, *, wait: float) -> bool:
        deadline = time.monotonic() + wait
        while True:
            if self.client.set(self.key, self.token, nx=True, px=self.ttl * 1000):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))

    def extend(self) -> int:
        return int(self.client.eval(_EXTEND, 1, self.key, self.token, self.ttl * 1000))

    def release(self) -> None:
        self._stop.set()
        with contextlib.suppress(redis.RedisError):  # else it runs out by itself
            self.client.eval(_RELEASE, 1, self.key, self.token)

    def keep(self, on_lost) -> None:
        """Extend the lock in a thread until `release`; call `on_lost(holder)` if another beat has it."""

        def run() -> None:
            while not self._stop.wait(self.ttl / 3):
                try:
                    outcome = self.extend()
                except redis.RedisError as exc:
                    logger.warning("beat lock: Redis did not answer (%s); trying again", exc)
                    continue
                if outcome == 2:
                    logger.warning("beat lock: the lock had gone (Redis restarted?); taken again")
                elif outcome == 0:
                    on_lost(self.holder())
                    return

        self._thread = threading.Thread(target=run, name="beat-lock", daemon=True)
        self._thread.start()


def _wait_seconds() -> float:
    try:
        return max(0.0, float(os.environ.get("BEAT_LOCK_WAIT", LOCK_TTL + 10)))
    except ValueError:
        return LOCK_TTL + 10.0


def hold_for_beat(url: str, *, queue: str) -> BeatLock:
    """Take the beat lock or exit; keep it while this process runs."""
    lock = BeatLock(url, key=LOCK_KEY.format(queue=queue))
    wait = _wait_seconds()
    try:
        acquired = lock.acquire(wait=wait)
    except redis.RedisError as exc:
        raise BeatLockHeld(f"beat: cannot take the beat lock, Redis did not answer: {exc}") from None
    if not acquired:
        holder = lock.holder() or "another beat"
        message = (
            f"beat: another beat is already running ({holder}); waited {wait:.0f} s for its lock "
            f"{lock.key!r}. Run exactly one beat (see README, Operations). Exiting."
        )
        logger.critical(message)
        raise BeatLockHeld(message)
    logger.info("beat lock %r taken (%s)", lock.key, lock.token)

    def lost(holder: str) -> None:
        logger.critical("beat: the beat lock now belongs to %s; this beat stops", holder or "another beat")
        os.kill(os.getpid(), signal.SIGTERM)

    lock.keep(lost)
    atexit.register(lock.release)
    return lock
