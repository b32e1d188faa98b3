"""The DEBUG-only sandbox panel on the connected-accounts page."""

import pytest
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from listening.models import SocialAccount
from listening.services import account_poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel_settings(settings, sandbox, sandbox_server):
    settings.DEBUG = True
    settings.SANDBOX_URL = sandbox_server.url
    return settings


def test_leads_switch_a_scenario_on_and_the_account_shows_it(
    client, lead, panel_settings, sandbox, x_account
):
    client.force_login(lead)
    html = client.get(reverse("listening:accounts")).content.decode()
    assert "Rate-limit storm" in html
    response = client.post(
        reverse("listening:sandbox_scenario"), {"network": "x", "name": "rate_limit_storm", "on": "1"}
    )
    assert response.status_code == 302
    assert [s["name"] for s in sandbox._call("GET", "/scenario")["active"]] == ["rate_limit_storm"]
    assert AuditEvent.objects.filter(verb="sandbox.scenario", actor=lead).exists()

    account_poll(account_id=x_account.pk)
    html = client.get(reverse("listening:accounts")).content.decode()
    assert "Rate limited until" in html
    assert 'aria-pressed="true"' in html

    client.post(reverse("listening:sandbox_scenario"), {"network": "x", "name": "steady"})
    assert sandbox._call("GET", "/scenario")["active"] == []


def test_an_unreachable_sandbox_is_said_plainly(client, lead, settings):
    settings.DEBUG = True
    settings.SANDBOX_URL = "http://127.0.0.1:9"
    client.force_login(lead)
    html = client.get(reverse("listening:accounts")).content.decode()
    assert "The sandbox cannot be reached" in html


def test_no_sandbox_panel_without_debug(client, lead, settings, sandbox):
    settings.DEBUG = False
    client.force_login(lead)
    assert "sandbox-title" not in client.get(reverse("listening:accounts")).content.decode()
    response = client.post(reverse("listening:sandbox_scenario"), {"network": "x", "name": "expired_token"})
    assert response.status_code == 404
    assert sandbox._call("GET", "/scenario")["active"] == []


@pytest.mark.parametrize("persona", ["agent", "manager", "outsider"])
def test_only_leads_and_admins_switch_scenarios(client, request, persona, panel_settings, sandbox):
    client.force_login(request.getfixturevalue(persona))
    response = client.post(reverse("listening:sandbox_scenario"), {"network": "x", "name": "expired_token"})
    assert response.status_code == 403
    assert sandbox._call("GET", "/scenario")["active"] == []


def test_unknown_scenarios_are_refused(client, lead, panel_settings):
    client.force_login(lead)
    response = client.post(reverse("listening:sandbox_scenario"), {"network": "x", "name": "reset"})
    assert response.status_code == 400
    assert SocialAccount.objects.count() == 0
