"""Two gaps in the audit trail: a locked-out login, and personal data in the Django admin."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


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


def _card_mention():
    from tests.factories import MentionFactory

    return MentionFactory(
        text="My card 4111 1111 1111 1111 was declined",
        raw={"tweet": {"text": "My card 4111 1111 1111 1111 was declined"}},
        has_pii=True,
        pii_findings=[
            {"kind": "card", "start": 8, "end": 27, "valid": True, "preview": "•••• •••• •••• 1111"}
        ],
    )


def test_the_admin_shows_a_message_masked_and_cannot_change_it(client, administrator):
    mention = _card_mention()
    client.force_login(administrator)
    html = client.get(reverse("admin:listening_mention_change", args=[mention.pk])).content.decode()
    assert "Text (personal data masked)" in html
    assert "4111 1111 1111 1111" not in html and "1111" in html
    changed = client.post(reverse("admin:listening_mention_change", args=[mention.pk]), {"text": "edited"})
    assert changed.status_code == 403
    mention.refresh_from_db()
    assert mention.text.startswith("My card")


def test_opening_an_unmasked_admin_page_is_recorded(client, administrator, lead):
    from listening.models import QuarantinedItem
    from tests.factories import SocialAccountFactory

    item = QuarantinedItem.objects.create(
        account=SocialAccountFactory(), stream="mentions", reason="bad", raw={"text": "card 4111111111111111"}
    )
    client.force_login(administrator)
    assert client.get(reverse("admin:listening_quarantineditem_change", args=[item.pk])).status_code == 200
    # A reply's admin page shows its text masked (tests/api/test_masking.py): nothing to record.
    events = AuditEvent.objects.filter(verb="quarantine.view_raw")
    assert sorted(events.values_list("verb", "object_id", "actor")) == [
        ("quarantine.view_raw", str(item.pk), administrator.pk),
    ]
