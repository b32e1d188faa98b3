"""Polling an account through the sandbox with the real tweepy: each network misbehaviour
leaves the account in a state a person can read, and loses nothing."""

import pytest
from django.utils import timezone

from bankbuzz.accounts.models import Notification
from inbox.models import Conversation
from listening.models import Mention, QuarantinedItem, SocialAccount
from listening.services import TransientPollError, account_poll

pytestmark = pytest.mark.django_db


def mentions_requests(sandbox) -> int:
    return sum(count for path, count in sandbox.requests().get("x", {}).items() if "mentions" in path)


def test_a_poll_stores_new_mentions_and_opens_conversations(
    sandbox, x_account, django_capture_on_commit_callbacks
):
    first = sandbox.post(network="x", text="@northbridgebank is the app down? cannot log in")
    second = sandbox.post(network="x", text="@northbridgebank thanks for sorting my card out", customer=2)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = account_poll(account_id=x_account.pk)
    assert (outcome.status, outcome.new_mentions) == ("ok", 2)
    assert set(Mention.objects.values_list("external_id", flat=True)) == {first["id"], second["id"]}
    assert Conversation.objects.count() == 2
    x_account.refresh_from_db()
    assert x_account.health == SocialAccount.Health.OK
    assert x_account.last_success_at is not None
    assert x_account.poll_lease_until is None


def test_polling_twice_stores_each_item_once(sandbox, x_account):
    sandbox.post(network="x", text="@northbridgebank fees question")
    account_poll(account_id=x_account.pk)
    sandbox.post(network="x", text="@northbridgebank another fees question")
    outcome = account_poll(account_id=x_account.pk)
    assert outcome.new_mentions == 1
    assert Mention.objects.count() == 2


def test_a_lost_commit_rereads_the_page_and_stores_it_once(sandbox, x_account):
    """A crash between fetch and commit leaves the cursor behind: the next poll reads the same
    page again and the unique constraint absorbs the overlap."""
    sandbox.post(network="x", text="@northbridgebank first")
    account_poll(account_id=x_account.pk)
    SocialAccount.objects.filter(pk=x_account.pk).update(cursors={})  # as if the cursor never moved
    sandbox.post(network="x", text="@northbridgebank second")
    outcome = account_poll(account_id=x_account.pk)
    assert outcome.new_mentions == 1
    assert Mention.objects.count() == 2


def test_rate_limited_account_waits_for_the_reset_without_wasting_requests(sandbox, x_account):
    sandbox.scenario("rate_limit_storm", network="x")
    outcome = account_poll(account_id=x_account.pk)
    assert outcome.status == "rate_limited"
    x_account.refresh_from_db()
    assert x_account.health == SocialAccount.Health.RATE_LIMITED
    assert x_account.rate_limited_until > timezone.now()
    assert "Rate limited until" in x_account.last_error

    made = mentions_requests(sandbox)
    assert account_poll(account_id=x_account.pk).status == "skipped"
    assert mentions_requests(sandbox) == made


def test_expired_token_stops_polling_and_tells_leads_and_admins_once(
    sandbox, x_account, lead, administrator, agent, django_capture_on_commit_callbacks
):
    sandbox.scenario("expired_token", network="x")
    with django_capture_on_commit_callbacks(execute=True):
        assert account_poll(account_id=x_account.pk).status == "needs_reauth"
    x_account.refresh_from_db()
    assert x_account.health == SocialAccount.Health.NEEDS_REAUTH
    told = set(Notification.objects.values_list("recipient__username", flat=True))
    assert told == {"laura", "ada"}
    assert "needs re-authorisation" in Notification.objects.first().text
    # Polling has stopped: no further requests, no second notification.
    assert account_poll(account_id=x_account.pk).status == "skipped"
    assert Notification.objects.count() == 2


def test_server_errors_are_transient_and_recorded(sandbox, x_account):
    sandbox.scenario("server_errors", network="x")
    with pytest.raises(TransientPollError):
        account_poll(account_id=x_account.pk)
    x_account.refresh_from_db()
    assert x_account.health == SocialAccount.Health.FAILING
    assert x_account.last_error
    assert x_account.poll_lease_until is None


def test_a_malformed_item_is_quarantined_and_the_rest_of_the_page_kept(sandbox, x_account):
    for number in range(3):
        sandbox.post(network="x", text=f"@northbridgebank message {number}")
    sandbox.scenario("malformed", network="x", variant="missing_fields")
    outcome = account_poll(account_id=x_account.pk)
    assert outcome.status == "ok"
    stored = Mention.objects.count()
    quarantined = QuarantinedItem.objects.count()
    assert quarantined >= 1
    assert stored + quarantined >= 3


def test_recovery_after_a_storm(sandbox, x_account):
    sandbox.scenario("server_errors", network="x")
    with pytest.raises(TransientPollError):
        account_poll(account_id=x_account.pk)
    sandbox.clear_scenarios()
    sandbox.post(network="x", text="@northbridgebank back again")
    assert account_poll(account_id=x_account.pk).status == "ok"
    x_account.refresh_from_db()
    assert x_account.health == SocialAccount.Health.OK
