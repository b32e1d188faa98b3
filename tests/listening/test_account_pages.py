import pytest
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from devtools.sandbox import world
from listening.models import Mention, SocialAccount
from listening.services import account_poll

pytestmark = pytest.mark.django_db


def test_health_page_shows_state_and_counts_to_leads(client, lead, x_account):
    SocialAccount.objects.filter(pk=x_account.pk).update(health="failing", last_error="HTTP 503 from X")
    client.force_login(lead)
    html = client.get(reverse("listening:accounts")).content.decode()
    assert "@northbridgebank" in html
    assert "Failing" in html
    assert "HTTP 503 from X" in html


@pytest.mark.parametrize("persona", ["agent", "specialist", "manager", "outsider"])
def test_other_roles_cannot_manage_accounts(client, request, persona, x_account):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(reverse("listening:accounts")).status_code == 403
    assert client.get(reverse("listening:account", args=[x_account.pk])).status_code == 403


def test_credentials_are_never_shown_back(client, administrator, x_account):
    client.force_login(administrator)
    html = client.get(reverse("listening:account", args=[x_account.pk])).content.decode()
    assert world.DEMO_TOKEN not in html


def test_new_credentials_resume_a_stopped_account_and_are_audited_without_values(client, lead, x_account):
    SocialAccount.objects.filter(pk=x_account.pk).update(health="needs_reauth")
    client.force_login(lead)
    response = client.post(
        reverse("listening:account", args=[x_account.pk]), {"bearer_token": "fresh-token-123"}
    )
    assert response.status_code == 302
    x_account.refresh_from_db()
    assert x_account.health == "ok"
    assert x_account.get_credentials()["bearer_token"] == "fresh-token-123"
    assert x_account.get_credentials()["oauth2_user_token"] == world.DEMO_TOKEN  # blank keeps the old one
    event = AuditEvent.objects.get(verb="social_account.credentials_set")
    assert "fresh-token-123" not in str(event.after)
    assert event.after["keys_changed"] == ["bearer_token"]


def test_an_empty_credentials_form_is_refused(client, lead, x_account):
    client.force_login(lead)
    response = client.post(reverse("listening:account", args=[x_account.pk]), {})
    assert "Enter at least one new value" in response.content.decode()


def test_test_connection_reports_what_works(client, lead, sandbox, x_account):
    client.force_login(lead)
    html = client.post(reverse("listening:account_test", args=[x_account.pk])).content.decode()
    assert "Reading:</strong> ✓" in html


def test_test_connection_reports_a_refused_token(client, lead, sandbox, x_account):
    sandbox.scenario("expired_token", network="x")
    client.force_login(lead)
    html = client.post(reverse("listening:account_test", args=[x_account.pk])).content.decode()
    assert "refused the token" in html


def test_leads_switch_retweets_on_and_the_next_poll_stores_them(client, lead, sandbox, x_account):
    original = sandbox.post(network="x", text="@northbridgebank your app is great", customer=1)
    retweet = sandbox.post(network="x", kind="retweet", retweet_of=original["id"], customer=2)
    client.force_login(lead)
    assert (
        "Store retweets too" in client.get(reverse("listening:account", args=[x_account.pk])).content.decode()
    )
    client.post(reverse("listening:account_retweets", args=[x_account.pk]), {"include_retweets": "1"})
    x_account.refresh_from_db()
    assert x_account.include_retweets is True
    assert AuditEvent.objects.get(verb="social_account.retweets_set").after == {"include_retweets": True}
    account_poll(account_id=x_account.pk)
    assert Mention.objects.filter(external_id=retweet["id"]).exists()


def test_retweets_are_left_out_by_default(sandbox, x_account):
    original = sandbox.post(network="x", text="@northbridgebank your app is great", customer=1)
    retweet = sandbox.post(network="x", kind="retweet", retweet_of=original["id"], customer=2)
    account_poll(account_id=x_account.pk)
    assert Mention.objects.filter(external_id=original["id"]).exists()
    assert not Mention.objects.filter(external_id=retweet["id"]).exists()


def test_the_health_page_shows_the_rate_budget_and_items_counts(client, lead, sandbox, x_account):
    sandbox.post(network="x", text="@northbridgebank hello")
    account_poll(account_id=x_account.pk)
    x_account.refresh_from_db()
    assert x_account.rate_limit_remaining is not None
    client.force_login(lead)
    html = client.get(reverse("listening:accounts")).content.decode()
    assert f'<td class="num" data-label="Rate budget left">{x_account.rate_limit_remaining}</td>' in html
