"""Incidents over the REST API (read-only, with their figures) and their webhooks."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bankbuzz.api import webhooks
from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from inbox.models import Reply
from incidents import services
from incidents.models import Incident, IncidentConversation

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(world):
    """Open over "declined": Rosa's and Jane's conversations join; Tom's (a payment he did not make) not."""
    return services.incident_open(actor=world.lead, name="Cards declined", terms=["declined"], networks=["x"])


def test_the_list_shows_each_incident_with_its_counts(api, world, incident):
    members = {m.conversation_id: m for m in IncidentConversation.objects.filter(incident=incident)}
    assert set(members) == {world.urgent.pk, world.card_conv.pk}
    # Jane was answered by the incident reply; Rosa's message was held back for a person.
    reply = Reply.objects.create(
        conversation=world.card_conv, author=world.lead, channel="public", text="Sorry, Jane: we are on it.",
        state=Reply.State.SENT, sent_at=timezone.now(), external_id="sent-1",
    )  # fmt: skip
    IncidentConversation.objects.filter(pk=members[world.card_conv.pk].pk).update(reply=reply)
    IncidentConversation.objects.filter(pk=members[world.urgent.pk].pk).update(
        held_reason="The customer's message reads as fraud: a person answers it."
    )
    older = services.incident_open(actor=world.lead, name="Older", terms=["nothing matches"], networks=["x"])
    services.incident_resolve(actor=world.lead, incident=older)

    response = api(world.agent, "read").get("/api/v1/incidents/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["name"] for r in rows] == ["Older", "Cards declined"]
    row = rows[1]
    assert (row["members_count"], row["answered_count"], row["held_count"]) == (2, 1, 1)
    assert row["state"] == "open" and row["terms"] == ["declined"] and row["networks"] == ["x"]

    resolved = api(world.manager, "read").get("/api/v1/incidents/", {"state": "resolved"}).json()
    assert [r["name"] for r in resolved["results"]] == ["Older"]

    # Keyset pages: one a page, the cursor leads to the next and the last has none.
    client = api(world.agent, "read")
    first = client.get("/api/v1/incidents/", {"limit": 1}).json()
    assert [r["name"] for r in first["results"]] == ["Older"] and first["next_cursor"]
    second = client.get("/api/v1/incidents/", {"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [r["name"] for r in second["results"]] == ["Cards declined"] and second["next_cursor"] is None


def test_one_incident_has_its_figures(api, world, incident):
    IncidentConversation.objects.filter(incident=incident, conversation=world.urgent).update(
        held_reason="Held: a person answers it."
    )
    response = api(world.compliance, "read").get(f"/api/v1/incidents/{incident.pk}/")
    assert response.status_code == 200
    data = response.json()
    assert data["name"] == "Cards declined" and data["members_count"] == 2
    assert data["held_count"] == 1 and data["waiting_count"] == 1
    assert data["by_network"] == {"x": 2}
    assert data["status_links"] == {} and data["replies"] == {}
    assert data["opened_by"] == world.lead.display_name


def test_who_may_read_incidents_and_bad_input(api, world, incident):
    assert api(world.cards_expert, "read").get("/api/v1/incidents/").status_code == 403
    assert api(world.cards_expert, "read").get(f"/api/v1/incidents/{incident.pk}/").status_code == 403
    assert api(world.outsider, "read").get("/api/v1/incidents/").status_code == 403
    client = api(world.agent, "read")
    assert client.get("/api/v1/incidents/999999/").status_code == 404
    assert client.get("/api/v1/incidents/", {"state": "burning"}).status_code == 400
    assert client.get("/api/v1/incidents/", {"cursor": "x'--"}).status_code == 400
    assert client.get("/api/v1/incidents/", {"limit": "0"}).status_code == 400
    # Read-only: no writes over the API, with or without an Idempotency-Key.
    assert api(world.lead).post("/api/v1/incidents/", {"name": "x"}, format="json").status_code == 405
    assert api(world.lead, keyed=False).post("/api/v1/incidents/", {}, format="json").status_code == 405
    assert api(world.lead).delete(f"/api/v1/incidents/{incident.pk}/").status_code == 405


def test_opening_and_resolving_tell_the_webhooks(world):
    WebhookEndpoint.objects.create(
        name="Status page",
        url="https://status.bank.example/hook",
        events=["incident.opened", "incident.resolved"],
        secret_encrypted=webhooks.encrypt_secret("whsec_x"),
    )
    incident = services.incident_open(
        actor=world.lead, name="Cards declined", terms=["declined"], networks=["x"]
    )
    opened = WebhookDelivery.objects.get(event="incident.opened")
    assert opened.payload["data"]["id"] == incident.pk
    assert opened.payload["data"]["name"] == "Cards declined"
    assert opened.payload["data"]["conversations"] == 2
    assert opened.payload["data"]["url"] == f"/api/v1/incidents/{incident.pk}/"
    # The customers' words never leave in a webhook.
    assert "declined twice" not in str(opened.payload)
    assert not WebhookDelivery.objects.filter(event="incident.resolved").exists()

    services.incident_resolve(actor=world.lead, incident=incident)
    resolved = WebhookDelivery.objects.get(event="incident.resolved")
    assert resolved.payload["data"]["state"] == Incident.State.RESOLVED
    assert resolved.payload["data"]["resolved_at"] and resolved.payload["data"]["follow_up"] is False
