"""Two gaps in the audit trail: a locked-out login, and personal data in the Django admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_a_locked_out_login_is_in_the_audit_log_with_username_and_address(agent, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(3):
        client.post(reverse("accounts:login"), {"username": "amira", "password": "guess-one"})
    assert (
        client.post(reverse("accounts:login"), {"username": "amira", "password": "guess-two"}).status_code
        == 429
    )
    events = AuditEvent.objects.filter(verb="user.locked_out").order_by("id")
    assert events.count() >= 2, "the lockout itself and the attempt made while locked"
    event = events.last()
    assert event.actor is None and event.actor_label == "system"
    assert event.after == {"username": "amira", "ip": "203.0.113.9"}
    assert event.client_address == "203.0.113.9"
    assert not AuditEvent.objects.filter(after__icontains="guess").exists()
