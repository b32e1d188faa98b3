import json
import logging

from django.core.cache import cache

from bankbuzz import health
from bankbuzz.health import HEARTBEAT_KEY


def test_healthz_needs_no_login_and_names_each_part(client, db):
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert set(body) == {"database", "redis", "workers", "beat", "warnings"}
    assert body["warnings"] == []  # the default API versions are current
    assert body["database"] == "ok"
    assert body["redis"] == "ok"


def test_healthz_is_503_when_no_worker_answers(client, db):
    cache.delete(HEARTBEAT_KEY)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert json.loads(response.content)["beat"] == "no heartbeat yet"


def test_healthz_reports_a_dead_redis_without_crashing(client, db, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["redis"] == "unreachable"
    assert body["database"] == "ok"
    assert "127.0.0.1:1" not in response.content.decode()


def test_live_answers_without_the_database_a_host_check_or_a_login(client):
    # No `db` fixture: any query would fail the test. A load balancer addresses the container,
    # not the bank's host name.
    response = client.get("/healthz/live", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert json.loads(response.content) == {"process": "ok"}


def test_ready_needs_the_database_and_not_redis(client, db, redis_unreachable):
    response = client.get("/healthz/ready", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200
    assert json.loads(response.content) == {"database": "ok"}
    # The full view still says what is wrong.
    full = client.get("/healthz")
    assert full.status_code == 503 and json.loads(full.content)["redis"] == "unreachable"


def test_a_failing_probe_is_one_warning_not_an_error_per_probe(client, db, redis_unreachable, caplog):
    health._last_status.clear()
    caplog.set_level(logging.INFO)
    for _ in range(3):
        assert client.get("/healthz").status_code == 503
    warnings = [r for r in caplog.records if r.name == "bankbuzz.health"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "unreachable" in warnings[0].getMessage()
    assert not [r for r in caplog.records if r.name == "django.request"], "no error per probe"
