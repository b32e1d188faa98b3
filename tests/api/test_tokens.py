"""Personal API tokens: made on the profile page and shown once, stored hashed, scoped, expiring,
revocable; a token passes no second factor again (its owner passed it to make the token)."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from bankbuzz.api.models import ApiToken
from bankbuzz.audit.models import AuditEvent
from tests.api.conftest import KeyedClient

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> APIClient:
    client = KeyedClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def make_on_profile(client, user, *, scope="read", days=30, name="CRM sync") -> str:
    client.force_login(user)
    profile = client.get(reverse("accounts:profile"))
    assert profile.status_code == 200
    assert b"API tokens" in profile.content
    response = client.post(reverse("api:token_create"), {"name": name, "scope": scope, "days": days})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    raw = response.context["raw"]
    assert raw.startswith("bbz_") and raw in response.content.decode()
    return raw


def test_shown_once_and_stored_hashed(client, world):
    raw = make_on_profile(client, world.agent)
    token = ApiToken.objects.get(user=world.agent)
    assert token.digest == hashlib.sha256(raw.encode()).hexdigest()
    # Nowhere in the database in clear, and the profile shows only its prefix.
    assert not ApiToken.objects.filter(prefix=raw).exists()
    page = client.get(reverse("accounts:profile")).content.decode()
    assert raw not in page and token.prefix in page
    event = AuditEvent.objects.get(verb="api_token.create")
    assert raw not in str(event.after)
    assert bearer(raw).get("/api/v1/me/").json()["username"] == "amira"


def test_token_needs_no_second_factor_but_session_does(client, world):
    raw = make_on_profile(client, world.agent)
    # No session at all: the token alone is enough.
    assert bearer(raw).get("/api/v1/conversations/").status_code == 200
    # A session that passed only the password gets nothing from the API.
    half = APIClient()
    half.force_login(world.agent)  # the plain client: no second factor in the session
    assert half.get("/api/v1/conversations/").status_code in (302, 401, 403)


def test_read_scope_reads_but_does_not_write(client, world):
    raw = make_on_profile(client, world.agent, scope="read")
    api = bearer(raw)
    assert api.get(f"/api/v1/conversations/{world.urgent.pk}/").status_code == 200
    response = api.post(f"/api/v1/conversations/{world.urgent.pk}/claim/", {}, format="json")
    assert response.status_code == 403
    assert "read" in response.json()["detail"]
    world.urgent.refresh_from_db()
    assert world.urgent.assignee_id is None


def test_write_scope_writes_with_the_owners_rights_only(client, world):
    manager_raw = make_on_profile(client, world.manager, scope="write")
    # A manager reads the inbox but does not work it: a write token does not change that.
    response = bearer(manager_raw).post(f"/api/v1/conversations/{world.urgent.pk}/claim/", {}, format="json")
    assert response.status_code == 403


def test_expired_and_revoked_tokens_stop_working(client, world):
    raw = make_on_profile(client, world.agent)
    token = ApiToken.objects.get(user=world.agent)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = bearer(raw).get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")

    raw2 = make_on_profile(client, world.agent, name="second")
    token2 = ApiToken.objects.get(name="second")
    assert bearer(raw2).get("/api/v1/me/").status_code == 200
    response = client.post(reverse("api:token_revoke", args=[token2.pk]))
    assert response.status_code == 302
    assert bearer(raw2).get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(verb="api_token.revoke", object_id=str(token2.pk)).exists()


def test_someone_elses_token_cannot_be_revoked(client, world):
    make_on_profile(client, world.other_agent)
    theirs = ApiToken.objects.get(user=world.other_agent)
    client.force_login(world.agent)
    assert client.post(reverse("api:token_revoke", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_inactive_user_and_garbage_tokens_are_refused(client, world):
    raw = make_on_profile(client, world.agent)
    world.agent.is_active = False
    world.agent.save()
    assert bearer(raw).get("/api/v1/me/").status_code == 401
    for junk in ("bbz_nope", "not-a-token", "bbz_" + "x" * 200):
        assert bearer(junk).get("/api/v1/me/").status_code == 401
    assert APIClient().get("/api/v1/me/").status_code == 401


def test_invalid_lifetime_or_scope_is_refused(client, world):
    client.force_login(world.agent)
    for data in ({"name": "x", "scope": "admin", "days": 30}, {"name": "x", "scope": "read", "days": 5000}):
        response = client.post(reverse("api:token_create"), data)
        assert response.status_code == 302
    assert not ApiToken.objects.exists()


def test_throttled_per_token(world, api, settings):
    settings.API_THROTTLE_RATE = "3/min"
    first, second = api(world.agent), api(world.agent)
    assert [first.get("/api/v1/me/").status_code for _ in range(4)] == [200, 200, 200, 429]
    # Another token of the same person has its own budget.
    assert second.get("/api/v1/me/").status_code == 200
