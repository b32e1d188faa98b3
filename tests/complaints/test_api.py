"""The complaints API: token auth, role checks, confirm with an Idempotency-Key, letters."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from bankbuzz.api.tokens import api_token_create
from complaints import services
from complaints.models import Complaint


def api(user) -> APIClient:
    client = APIClient()
    _, raw = api_token_create(actor=user, name="tests", scope="write", days=30)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_confirm_list_read_and_record_a_final_response(agent, unhappy):
    client = api(agent)
    response = client.post(
        "/api/v1/complaints/", {"conversation": unhappy.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["regime"] == "uk-disp" and body["counts_from"] == "2026-09-01"
    assert {c["clock"] for c in body["clocks"]} >= {"Final response"}
    again = client.post(
        "/api/v1/complaints/", {"conversation": unhappy.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert again.status_code == 201 and Complaint.objects.count() == 1
    listed = client.get("/api/v1/complaints/?status=open").json()
    assert [c["reference"] for c in listed["results"]] == [body["reference"]]
    response = client.post(
        f"/api/v1/complaints/{body['id']}/letters/",
        {
            "kind": "final",
            "channel": "post",
            "text": "Final.",
            "sent_on": "2026-09-20",
            "outcome": "partly",
            "version": body["version"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "closed"


def test_refusals_are_clear(agent, manager, specialist, unhappy):
    assert (
        api(manager)
        .post("/api/v1/complaints/", {"conversation": unhappy.pk}, format="json", HTTP_IDEMPOTENCY_KEY="k")
        .status_code
        == 403
    )
    assert api(specialist).get("/api/v1/complaints/").status_code == 403
    client = api(agent)
    assert client.post("/api/v1/complaints/", {"conversation": unhappy.pk}, format="json").status_code == 428
    assert client.get("/api/v1/complaints/?status=nope").status_code == 400
    assert client.get("/api/v1/complaints/?cursor=abc").status_code == 400
    assert client.get("/api/v1/complaints/999999/").status_code == 404


@pytest.mark.parametrize(("role", "expected"), [("manager", "masked"), ("compliance", ["health"])])
def test_vulnerability_in_the_api_only_for_roles_that_may_see_it(request, agent, role, expected, unhappy):
    services.vulnerability_set(actor=agent, customer=unhappy.customer, drivers=["health"])
    complaint = services.complaint_confirm(actor=agent, conversation=unhappy)
    body = api(request.getfixturevalue(role)).get(f"/api/v1/complaints/{complaint.pk}/").json()
    assert body["vulnerability"] == expected


def test_stale_version_is_a_conflict(agent, unhappy):
    complaint = services.complaint_confirm(actor=agent, conversation=unhappy)
    response = api(agent).post(
        f"/api/v1/complaints/{complaint.pk}/letters/",
        {
            "kind": "acknowledgement",
            "channel": "email",
            "text": "Hi",
            "sent_on": str(dt.date(2026, 9, 2)),
            "version": complaint.version + 5,
        },
        format="json",
    )
    assert response.status_code == 409
