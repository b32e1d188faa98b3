"""Working on without Redis: what a page or an API call does when the cache or the broker is down.

Redis holds nothing that is a record (the database and the audit log are): presence and typing
hints, throttle counters and the Celery queue. So when it cannot be reached a request goes on:

- presence and typing go quiet (`cache_call` answers the default);
- throttles count in this process instead (`FallbackCache`): a limit per process, never none;
- an action that queues a task is saved, and the person is told that sending is delayed
  (`BROKER_ERRORS`, `DELAYED_NOTICE`); the sweeps hand it to a worker once Redis is back.

After a failure this process leaves Redis alone for `RETRY_AFTER` seconds, so an outage costs
one connect timeout per process and interval, not one per cache call. The outage and the
recovery are logged once each, not on every request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis.exceptions
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from kombu.exceptions import OperationalError as KombuOperationalError

logger = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_AFTER = 10.0  # seconds
CACHE_ERRORS: tuple[type[BaseException], ...] = (redis.exceptions.RedisError, OSError)
# What publishing a task raises when Redis is down (kombu wraps the socket errors). Not OSError:
# a network call that fails inside the same action must not pass for a delayed send.
BROKER_ERRORS: tuple[type[BaseException], ...] = (KombuOperationalError, redis.exceptions.RedisError)
DELAYED_NOTICE = (
    "Saved, but sending is delayed: the message queue cannot be reached just now. "
    "It goes out once, by itself, as soon as the queue is back; do not send it again "
    "(you can withdraw it until then)."
)


class Circuit:
    """Whether this process should try Redis now; says so in the log when that changes."""

    def __init__(self, what: str):
        self.what = what
        self._lock = threading.Lock()
        self._down = False
        self._retry_at = 0.0

    def should_try(self) -> bool:
        return not self._down or time.monotonic() >= self._retry_at

    def failed(self, exc: BaseException) -> None:
        with self._lock:
            was_down, self._down = self._down, True
            self._retry_at = time.monotonic() + RETRY_AFTER
        if not was_down:
            logger.warning(
                "%s unreachable (%s): working without it, retrying every %d s",
                self.what,
                type(exc).__name__,
                RETRY_AFTER,
            )

    def succeeded(self) -> None:
        if not self._down:
            return
        with self._lock:
            was_down, self._down = self._down, False
        if was_down:
            logger.warning("%s reachable again", self.what)

    @property
    def down(self) -> bool:
        return self._down

    def reset(self) -> None:
        with self._lock:
            self._down, self._retry_at = False, 0.0


cache_circuit = Circuit("the cache (Redis)")


@receiver(setting_changed)
def _forget_outage(*, setting: str, **kwargs) -> None:
    # Another cache (a new configuration) is a new start: what failed before says nothing of it.
    if setting == "CACHES":
        cache_circuit.reset()


def cache_call(call: Callable[[], T], default: T) -> T:
    """`call()` against the cache, or `default` while the cache cannot be reached."""
    if not cache_circuit.should_try():
        return default
    try:
        value = call()
    except CACHE_ERRORS as exc:
        cache_circuit.failed(exc)
        return default
    cache_circuit.succeeded()
    return value


_MISSING = object()


class FallbackCache:
    """The shared cache, or this process's memory while the shared cache is unreachable.

    For counters that must never stop counting (the API throttles): each process then counts
    on its own, so the limit holds per process during an outage instead of disappearing.
    """

    def __init__(self, name: str):
        self.local = LocMemCache(f"bankbuzz-fallback-{name}", {"OPTIONS": {"MAX_ENTRIES": 10_000}})

    def get(self, key: str, default=None):
        value = cache_call(lambda: cache.get(key, _MISSING), _MISSING)
        if value is _MISSING:
            return self.local.get(key, default) if cache_circuit.down else default
        return value

    def set(self, key: str, value, timeout=None) -> None:
        if cache_call(lambda: cache.set(key, value, timeout) or True, False):
            return
        self.local.set(key, value, timeout)
