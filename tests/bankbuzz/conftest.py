"""Redis unreachable, as in an outage: the cache and the broker on a port where nothing listens."""

from __future__ import annotations

import socket

import pytest


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _use_broker(app, url: str) -> None:
    app.conf.broker_url = url
    # Forget the pools, never close them: kombu keeps one per broker URL for the whole process,
    # and the one of the URL we come back to must still work.
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def redis_unreachable(settings):
    """The cache and the broker both point at a port where nothing listens, as in an outage."""
    from bankbuzz.celery import app

    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "bankbuzz",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    before = app.conf.broker_url
    _use_broker(app, url)
    yield url
    _use_broker(app, before)
