"""Facebook and LinkedIn polled through the services and the sandbox, with the real
facebook-sdk and requests on the wire: threads, our own posts, and every fault scenario."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bankbuzz.accounts.models import Notification
from inbox.models import Conversation
from listening import tasks
from listening.models import Mention, QuarantinedItem, SocialAccount
from listening.services import TransientPollError, account_poll
from listening.threads import customer_thread_key

pytestmark = pytest.mark.django_db

NETWORKS = ["facebook", "linkedin", "instagram"]


@pytest.fixture
def account(request, network):
    return request.getfixturevalue(f"{network}_account")


def requests_made(sandbox, network: str) -> int:
    return sum(sandbox.requests().get(network, {}).values())


def poll(account, callbacks):
    with callbacks(execute=True):
        return account_poll(account_id=account.pk)


# --- the happy path -------------------------------------------------------------------


def test_facebook_comments_thread_on_their_post_and_messenger_on_its_conversation(
    sandbox, facebook_account, django_capture_on_commit_callbacks
):
    comment = sandbox.post(network="facebook", kind="comment", text="My card was declined", customer=1)
    reply = sandbox.post(
        network="facebook", kind="comment", in_reply_to=comment["id"], text="Same here today", customer=2
    )
    ours = sandbox.post(
        network="facebook", kind="comment", in_reply_to=comment["id"], author="bank", text="Sorry! DM us."
    )
    first = sandbox.post(network="facebook", kind="message", text="Can you call me back?", customer=5)
    second = sandbox.post(network="facebook", kind="message", text="It is about my mortgage", customer=5)

    outcome = poll(facebook_account, django_capture_on_commit_callbacks)
    assert outcome.status == "ok"

    stored = {m.external_id: m for m in Mention.objects.all()}
    # Two customers in one post's comments: one network thread, two conversations; the page's
    # answer to the first joins the first's.
    assert stored[comment["id"]].network_thread == stored[reply["id"]].network_thread == comment["thread"]
    first_key = customer_thread_key(comment["thread"], stored[comment["id"]].author.external_id)
    second_key = customer_thread_key(comment["thread"], stored[reply["id"]].author.external_id)
    assert first_key != second_key
    assert stored[comment["id"]].thread_key == stored[ours["id"]].thread_key == first_key
    assert stored[reply["id"]].thread_key == second_key
    assert stored[reply["id"]].in_reply_to == comment["id"]
    assert stored[ours["id"]].direction == Mention.Direction.OUT
    assert stored[first["id"]].kind == stored[second["id"]].kind == Mention.Kind.DIRECT
    assert stored[first["id"]].thread_key == stored[second["id"]].thread_key == f"m:{first['thread']}"
    # Enrichment ran at ingest.
    assert stored[comment["id"]].sentiment_label

    threads = set(Conversation.objects.values_list("thread_key", flat=True))
    assert threads == {first_key, second_key, f"m:{first['thread']}"}

    # The next poll stores nothing twice.
    assert poll(facebook_account, django_capture_on_commit_callbacks).new_mentions == 0
    assert Mention.objects.count() == len(stored)


def test_the_pages_own_post_and_comments_never_open_a_conversation(
    sandbox, facebook_account, django_capture_on_commit_callbacks
):
    post = sandbox.post(network="facebook", kind="page_post", text="New branch hours from Monday")
    own = sandbox.post(network="facebook", kind="comment", in_reply_to=post["id"], author="bank", text="PS")
    poll(facebook_account, django_capture_on_commit_callbacks)
    stored = Mention.objects.get(external_id=own["id"])
    assert stored.direction == Mention.Direction.OUT
    assert Mention.objects.get(external_id=post["id"]).direction == Mention.Direction.OUT
    assert not Conversation.objects.exists()


def test_linkedin_comments_and_replies_thread_on_their_post(
    sandbox, linkedin_account, django_capture_on_commit_callbacks
):
    comment = sandbox.post(network="linkedin", text="Are you hiring in Leeds?", customer=3)
    reply = sandbox.post(network="linkedin", in_reply_to=comment["id"], text="Asking too", customer=4)
    ours = sandbox.post(network="linkedin", in_reply_to=comment["id"], author="bank", text="Yes, see careers")

    outcome = poll(linkedin_account, django_capture_on_commit_callbacks)
    assert outcome.status == "ok"
    stored = {m.external_id: m for m in Mention.objects.all()}
    assert stored[comment["id"]].network_thread == stored[reply["id"]].network_thread == comment["thread"]
    first_key = customer_thread_key(comment["thread"], stored[comment["id"]].author.external_id)
    second_key = customer_thread_key(comment["thread"], stored[reply["id"]].author.external_id)
    assert stored[comment["id"]].thread_key == stored[ours["id"]].thread_key == first_key
    assert stored[reply["id"]].thread_key == second_key
    assert stored[reply["id"]].in_reply_to == comment["id"]
    assert stored[ours["id"]].direction == Mention.Direction.OUT
    assert stored[comment["id"]].author.name  # the commenter's name was looked up
    # The organisation's own posts are stored as outbound and open nothing.
    assert all(m.direction == "out" for m in stored.values() if m.kind == Mention.Kind.POST)
    assert set(Conversation.objects.values_list("thread_key", flat=True)) == {first_key, second_key}

    later = sandbox.post(network="linkedin", text="And in York?", customer=5)
    assert poll(linkedin_account, django_capture_on_commit_callbacks).new_mentions == 1
    assert Mention.objects.filter(external_id=later["id"]).exists()


# --- one test per fault scenario, per network -------------------------------------------


@pytest.mark.parametrize("network", NETWORKS)
def test_rate_limited_shows_until_when_and_wastes_no_request(sandbox, network, account, client, lead):
    sandbox.scenario("rate_limit_storm", network=network)
    assert account_poll(account_id=account.pk).status == "rate_limited"
    account.refresh_from_db()
    assert account.health == SocialAccount.Health.RATE_LIMITED
    assert account.rate_limited_until > timezone.now()
    assert account.rate_limit_remaining == 0

    made = requests_made(sandbox, network)
    assert account_poll(account_id=account.pk).status == "skipped"
    assert requests_made(sandbox, network) == made

    client.force_login(lead)
    html = client.get("/listening/accounts/").content.decode()
    local = timezone.localtime(account.rate_limited_until)
    assert f"Rate limited until {local:%H:%M}" in html


@pytest.mark.parametrize("network", NETWORKS)
def test_expired_token_needs_reauthorisation_and_tells_leads_and_admins(
    sandbox, network, account, lead, administrator, agent, django_capture_on_commit_callbacks
):
    sandbox.scenario("expired_token", network=network)
    assert poll(account, django_capture_on_commit_callbacks).status == "needs_reauth"
    account.refresh_from_db()
    assert account.health == SocialAccount.Health.NEEDS_REAUTH
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"laura", "ada"}
    made = requests_made(sandbox, network)
    assert account_poll(account_id=account.pk).status == "skipped"
    assert requests_made(sandbox, network) == made


@pytest.mark.parametrize("network", NETWORKS)
def test_server_errors_are_retried_with_backoff_a_bounded_number_of_times(sandbox, network, account):
    sandbox.scenario("server_errors", network=network)
    sandbox.session.delete(f"{sandbox.url}/_sandbox/requests", timeout=5)
    # apply() runs the task and its retries in this process, one after the other.
    result = tasks.poll_account.apply(args=[account.pk])
    assert isinstance(result.result, TransientPollError)
    attempts = tasks.poll_account.max_retries + 1
    assert requests_made(sandbox, network) == attempts  # the first call fails each time: no more
    account.refresh_from_db()
    assert account.health == SocialAccount.Health.FAILING
    assert account.poll_lease_until is None


@pytest.mark.parametrize("network", NETWORKS)
def test_a_hanging_network_times_out_instead_of_hanging_the_worker(sandbox, settings, network, account):
    settings.NETWORK_HTTP_TIMEOUT = 0.3
    sandbox.scenario("hanging", network=network, hang_seconds=3)
    with pytest.raises(TransientPollError, match="timed out"):
        account_poll(account_id=account.pk)
    account.refresh_from_db()
    assert account.health == SocialAccount.Health.FAILING
    assert "timed out" in account.last_error


@pytest.mark.parametrize("network", NETWORKS)
def test_recovery_after_server_errors(sandbox, network, account):
    sandbox.scenario("server_errors", network=network)
    with pytest.raises(TransientPollError):
        account_poll(account_id=account.pk)
    sandbox.clear_scenarios()
    sandbox.post(network=network, text="Back again")
    assert account_poll(account_id=account.pk).status == "ok"
    account.refresh_from_db()
    assert account.health == SocialAccount.Health.OK


@pytest.mark.parametrize("network", NETWORKS)
def test_malformed_items_are_quarantined_and_the_rest_kept(sandbox, network, account):
    posted = [sandbox.post(network=network, text=f"Question number {n}", customer=n)["id"] for n in range(4)]
    sandbox.scenario("malformed", network=network, variant="missing_fields")
    outcome = account_poll(account_id=account.pk)
    assert outcome.status == "ok"
    assert QuarantinedItem.objects.filter(account=account).exists()
    sandbox.clear_scenarios()
    # Once the network behaves, everything not yet stored or quarantined arrives.
    account_poll(account_id=account.pk)
    stored = set(Mention.objects.values_list("external_id", flat=True))
    quarantined = set(QuarantinedItem.objects.values_list("external_id", flat=True))
    assert set(posted) <= stored | quarantined


def test_backoff_is_jittered_and_capped():
    for retries in range(12):
        for _ in range(20):
            wait = tasks.backoff(retries)
            assert 10 <= wait <= tasks.MAX_BACKOFF
    assert max(tasks.backoff(10) for _ in range(50)) > 60
