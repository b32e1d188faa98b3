"""Account health a lead can act on: the token's end (entered with it), warned 14 days ahead,
beside the last and next poll, the API version and its end of life, and the rate budget."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from devtools.sandbox import world
from listening.models import SocialAccount
from listening.tokens import token_status

pytestmark = pytest.mark.django_db


def test_the_token_warns_fourteen_days_ahead_and_after_it_expired(instagram_account):
    today = dt.date(2027, 3, 1)
    instagram_account.token_expires_on = today + dt.timedelta(days=15)
    assert token_status(instagram_account, today=today).warning == ""
    instagram_account.token_expires_on = today + dt.timedelta(days=14)
    assert token_status(instagram_account, today=today).warning == "the token expires in 14 days: renew it"
    instagram_account.token_expires_on = today
    assert "expired on 01 Mar 2027" in token_status(instagram_account, today=today).warning


def test_a_lead_enters_the_tokens_end_with_the_token_and_the_pages_warn(client, lead, instagram_account):
    client.force_login(lead)
    soon = timezone.localdate() + dt.timedelta(days=10)
    response = client.post(
        reverse("listening:account", args=[instagram_account.pk]),
        {"access_token": world.DEMO_TOKEN, "token_expires_on": soon.isoformat()},
    )
    assert response.status_code == 302
    instagram_account.refresh_from_db()
    assert instagram_account.token_expires_on == soon
    assert instagram_account.get_credentials() == {
        "access_token": world.DEMO_TOKEN
    }  # the date is no credential
    event = AuditEvent.objects.get(verb="social_account.token_expiry_set")
    assert event.after == {"token_expires_on": soon.isoformat()}

    for url in (reverse("listening:accounts"), reverse("listening:account", args=[instagram_account.pk])):
        html = client.get(url).content.decode()
        assert "The token expires in 10 days: renew it" in html
        assert "Graph API v25.0" in html and "until 29 Jul 2028" in html


def test_the_date_alone_can_be_updated_and_x_has_no_date_field(client, lead, instagram_account, x_account):
    client.force_login(lead)
    later = timezone.localdate() + dt.timedelta(days=59)
    client.post(
        reverse("listening:account", args=[instagram_account.pk]),
        {"access_token": "", "token_expires_on": later.isoformat()},
    )
    assert SocialAccount.objects.get(pk=instagram_account.pk).token_expires_on == later
    assert instagram_account.get_credentials() == world.DEMO_CREDENTIALS["instagram"]
    assert (
        "token_expires_on"
        not in client.get(reverse("listening:account", args=[x_account.pk])).content.decode()
    )


def test_the_health_page_shows_last_and_next_poll_version_and_rate_budget(
    client, lead, sandbox, instagram_account, django_capture_on_commit_callbacks
):
    from listening.services import account_poll

    sandbox.post(network="instagram", text="Hello")
    with django_capture_on_commit_callbacks(execute=True):
        account_poll(account_id=instagram_account.pk)
    instagram_account.refresh_from_db()
    client.force_login(lead)
    html = client.get(reverse("listening:accounts")).content.decode()
    assert instagram_account.last_success_at is not None and "ago" in html
    assert instagram_account.rate_limit_remaining is not None
    assert "Graph API v25.0" in html and "not known" in html  # no token date entered
