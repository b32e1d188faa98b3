import json

from django.core.cache import cache

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
