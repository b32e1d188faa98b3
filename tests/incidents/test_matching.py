"""Conversations join an incident by its terms: when it opens, and as customers write."""

from __future__ import annotations

import pytest

from bankbuzz.audit.models import AuditEvent
from inbox.models import Conversation
from incidents import services
from incidents.models import IncidentConversation
from listening.models import Mention
from tests.incidents.conftest import customer, poll, post_and_poll

pytestmark = pytest.mark.django_db(transaction=True)


def members(incident) -> set[int]:
    return set(
        IncidentConversation.objects.filter(incident=incident, removed_at__isnull=True).values_list(
            "conversation_id", flat=True
        )
    )


def test_open_conversations_that_match_join_at_once_and_new_ones_as_they_arrive(
    sandbox, x_account, lead, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    before, unrelated, _happy = post_and_poll(
        sandbox,
        x_account,
        capture,
        [
            {"text": "@northbridgebank is the app down? I cannot log in", "author": customer(1)},
            {"text": "@northbridgebank my card was declined at the shop", "author": customer(2)},
            {"text": "@northbridgebank so happy with the new savings account", "author": customer(3)},
        ],
    )
    incident = services.incident_open(
        actor=lead, name="App outage", terms="app down, log in", networks=["x", "facebook"]
    )
    # "app" inside "happy" is not the word "app".
    assert members(incident) == {before.pk}
    assert before.tags.filter(pk=incident.tag_id).exists()

    (later,) = post_and_poll(
        sandbox, x_account, capture, [{"text": "@northbridgebank App DOWN again??", "author": customer(4)}]
    )
    (other,) = post_and_poll(
        sandbox, x_account, capture, [{"text": "@northbridgebank what are your fees?", "author": customer(5)}]
    )
    assert members(incident) == {before.pk, later.pk}
    assert unrelated.pk not in members(incident) and other.pk not in members(incident)
    assert AuditEvent.objects.filter(verb="incident.open", object_id=str(incident.pk)).exists()


def test_a_conversation_taken_out_stays_out_and_one_added_by_hand_stays_in(
    sandbox, x_account, lead, agent, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    matched, unmatched = post_and_poll(
        sandbox,
        x_account,
        capture,
        [
            {"text": "@northbridgebank the app is down", "author": customer(1)},
            {"text": "@northbridgebank nothing loads on my phone", "author": customer(2)},
        ],
    )
    incident = services.incident_open(actor=lead, name="App outage", terms=["app is down"], networks=["x"])
    services.incident_conversation_remove(actor=agent, incident=incident, conversation=matched)
    services.incident_conversation_add(actor=agent, incident=incident, conversation=unmatched)
    assert members(incident) == {unmatched.pk}
    assert not matched.tags.filter(pk=incident.tag_id).exists()

    # The customer writes again in the same thread with the terms: the agent's decision holds.
    first = Mention.objects.filter(network="x", thread_key=matched.thread_key).earliest("created_at")
    sandbox.post(
        network="x",
        kind="reply",
        text="@northbridgebank the app is down still",
        author=customer(1),
        in_reply_to=first.external_id,
    )
    poll(x_account, capture)
    assert members(incident) == {unmatched.pk}
    assert Conversation.objects.filter(pk=matched.pk).exists()


def test_only_leads_open_incidents_and_bad_input_is_refused(lead, agent):
    with pytest.raises(services.IncidentError, match="Only social leads"):
        services.incident_open(actor=agent, name="Outage", terms="app down", networks=["x"])
    with pytest.raises(services.IncidentError, match="listening term"):
        services.incident_open(actor=lead, name="Outage", terms=" , ", networks=["x"])
    with pytest.raises(services.IncidentError, match="network"):
        services.incident_open(actor=lead, name="Outage", terms="app down", networks=["myspace"])
