"""Re-processing a quarantined item: read it again from the network (or its stored copy),
store it once, take it out of the quarantine, audit it. Administrators only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from inbox.models import Conversation
from listening.models import Mention, QuarantinedItem
from listening.services import account_poll, quarantined_item_reprocess

pytestmark = pytest.mark.django_db

NETWORKS = ["x", "facebook", "linkedin", "instagram"]


@pytest.fixture
def account(request, network):
    return request.getfixturevalue(f"{network}_account")


def post_something(sandbox, network: str, count: int = 3) -> list[str]:
    return [
        sandbox.post(network=network, text=f"Help with my card please, number {n}", customer=n)["id"]
        for n in range(count)
    ]


def quarantine_one(sandbox, network, account, variant="missing_fields") -> QuarantinedItem:
    sandbox.scenario("malformed", network=network, variant=variant)
    account_poll(account_id=account.pk)
    sandbox.clear_scenarios()
    item = QuarantinedItem.objects.filter(account=account).exclude(external_id="").first()
    assert item is not None, "the malformed scenario quarantined nothing with an id"
    return item


@pytest.mark.parametrize("network", NETWORKS)
def test_a_damaged_item_is_read_again_from_the_network_and_stored_once(
    sandbox, network, account, administrator, django_capture_on_commit_callbacks
):
    posted = post_something(sandbox, network)
    item = quarantine_one(sandbox, network, account)
    assert item.external_id in posted
    assert not Mention.objects.filter(external_id=item.external_id).exists()

    with django_capture_on_commit_callbacks(execute=True):
        outcome = quarantined_item_reprocess(actor=administrator, item=item)
    assert outcome.status == "stored", outcome.detail
    assert "network" in outcome.detail
    mention = Mention.objects.get(external_id=item.external_id)
    assert mention.account == account
    assert Conversation.objects.filter(thread_key=mention.thread_key).exists()
    item.refresh_from_db()
    assert item.reprocessed_at is not None
    assert item.reprocess_attempts == 1
    event = AuditEvent.objects.get(verb="quarantined_item.reprocess")
    assert event.actor == administrator
    assert event.after["status"] == "stored"

    # A second click, or the next poll, stores nothing twice.
    assert quarantined_item_reprocess(actor=administrator, item=item).status == "already_done"
    account_poll(account_id=account.pk)
    assert Mention.objects.filter(external_id=item.external_id).count() == 1


def test_the_stored_copy_is_used_when_the_network_cannot_give_the_item_again(
    sandbox, x_account, administrator
):
    """X has no look-up of one direct message: a DM whose payload is readable now (say, after a
    parser fix) is stored from the quarantined copy."""
    event = sandbox.post(network="x", kind="dm", text="Is my transfer through?")
    raw = {
        "id": event["id"],
        "event_type": "MessageCreate",
        "text": "Is my transfer through?",
        "sender_id": "1111111111",
        "dm_conversation_id": event["thread"],
        "created_at": "2026-01-05T10:00:00.000Z",
    }
    item = QuarantinedItem.objects.create(
        account=x_account, stream="dm_events", external_id=event["id"], reason="old parser bug", raw=raw
    )
    outcome = quarantined_item_reprocess(actor=administrator, item=item)
    assert outcome.status == "stored", outcome.detail
    assert "stored copy" in outcome.detail
    assert Mention.objects.get(external_id=event["id"]).thread_key == f"dm:{event['thread']}"


def test_an_item_that_is_still_unreadable_stays_quarantined(sandbox, x_account, administrator):
    item = QuarantinedItem.objects.create(
        account=x_account, stream="dm_events", external_id="", reason="no id", raw={"text": 5}
    )
    outcome = quarantined_item_reprocess(actor=administrator, item=item)
    assert outcome.status == "unreadable"
    item.refresh_from_db()
    assert item.reprocessed_at is None
    assert item.reprocess_attempts == 1
    assert item.outcome.startswith("Still unreadable")


def test_a_deleted_post_falls_back_to_the_stored_copy_and_says_so(sandbox, x_account, administrator):
    item = QuarantinedItem.objects.create(
        account=x_account, stream="mentions", external_id="1999999999999999999", reason="bad", raw={"id": 1}
    )
    outcome = quarantined_item_reprocess(actor=administrator, item=item)
    assert outcome.status == "unreadable"
    assert "no longer has this post" in outcome.detail


def test_network_trouble_leaves_the_item_as_it_was(sandbox, x_account, administrator):
    post_something(sandbox, "x")
    item = quarantine_one(sandbox, "x", x_account)
    sandbox.scenario("server_errors", network="x")
    outcome = quarantined_item_reprocess(actor=administrator, item=item)
    assert outcome.status == "network_error"
    item.refresh_from_db()
    assert item.reprocessed_at is None
    assert "try again later" in item.outcome


def test_the_account_page_offers_re_processing_to_administrators(client, sandbox, x_account, administrator):
    post_something(sandbox, "x")
    item = quarantine_one(sandbox, "x", x_account)
    client.force_login(administrator)
    url = reverse("listening:quarantine_reprocess", args=[x_account.pk, item.pk])
    assert url in client.get(reverse("listening:account", args=[x_account.pk])).content.decode()
    response = client.post(url, follow=True)
    assert "Stored: from the network" in response.content.decode()
    assert Mention.objects.filter(external_id=item.external_id).exists()


def test_leads_see_no_quarantine_and_cannot_re_process(client, sandbox, x_account, lead):
    item = QuarantinedItem.objects.create(
        account=x_account, stream="mentions", external_id="1", reason="bad", raw={"id": 1}
    )
    client.force_login(lead)
    url = reverse("listening:quarantine_reprocess", args=[x_account.pk, item.pk])
    assert url not in client.get(reverse("listening:account", args=[x_account.pk])).content.decode()
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 405
    item.refresh_from_db()
    assert item.reprocess_attempts == 0
