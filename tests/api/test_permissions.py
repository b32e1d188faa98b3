"""Object-level permissions of every endpoint, with two people of different departments.

Cards' specialist and Fraud's specialist each see their own department's escalation and get 404
for the other's (its existence does not leak); the social team sees the inbox, specialists do not.
No writable field moves an object to another department, conversation or owner.
"""

from __future__ import annotations

import pytest

from escalations.models import Escalation
from inbox.models import Conversation, Note, Tag

pytestmark = pytest.mark.django_db

# (method, path with {card_esc} {fraud_esc} {conv} {tag} {mention}, body)
ESCALATION_READS = [
    ("get", "/api/v1/escalations/{esc}/", None),
]
ESCALATION_EXPERT_WRITES = [
    ("post", "/api/v1/escalations/{esc}/claim/", {}),
    ("post", "/api/v1/escalations/{esc}/ask/", {"question": "Which card?"}),
    ("post", "/api/v1/escalations/{esc}/answer/", {"answer": "A fraud block; lifted now."}),
    ("post", "/api/v1/escalations/{esc}/transfer/", {"department": "{other_dept}", "reason": "Theirs"}),
    ("post", "/api/v1/escalations/{esc}/close/", {"reason": "done"}),
]


def _fill(value, **ids):
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, dict):
        return {
            k: (int(_fill(v, **ids)) if v in ("{other_dept}",) else _fill(v, **ids)) for k, v in value.items()
        }
    return value


def _call(client, method, path, body):
    if method == "get":
        return client.get(path)
    return getattr(client, method)(path, body or {}, format="json")


@pytest.mark.parametrize(("method", "path", "body"), ESCALATION_READS + ESCALATION_EXPERT_WRITES)
def test_each_specialist_works_only_their_departments_escalations(world, api, method, path, body):
    cards, fraud = api(world.cards_expert), api(world.fraud_expert)
    # Another department's escalation: 404 for reads and writes, and nothing changes.
    before = Escalation.objects.values_list("id", "state", "department_id", "assignee_id").order_by("id")
    before = list(before)
    for client, foreign, other in (
        (cards, world.fraud_esc, world.cards),
        (fraud, world.card_esc, world.fraud),
    ):
        response = _call(client, method, _fill(path, esc=foreign.pk), _fill(body, other_dept=str(other.pk)))
        assert response.status_code == 404, (path, response.content)
    assert (
        list(Escalation.objects.values_list("id", "state", "department_id", "assignee_id").order_by("id"))
        == before
    )
    # Their own: allowed.
    response = _call(
        cards, method, _fill(path, esc=world.card_esc.pk), _fill(body, other_dept=str(world.fraud.pk))
    )
    assert response.status_code == 200, (path, response.content)


def test_queue_lists_only_own_department(world, api):
    for user, mine, theirs in (
        (world.cards_expert, world.card_esc, world.fraud_esc),
        (world.fraud_expert, world.fraud_esc, world.card_esc),
    ):
        ids = [row["id"] for row in api(user).get("/api/v1/escalations/").json()["results"]]
        assert mine.pk in ids and theirs.pk not in ids
    ids = [row["id"] for row in api(world.agent).get("/api/v1/escalations/").json()["results"]]
    assert {world.card_esc.pk, world.fraud_esc.pk} <= set(ids)


def test_read_only_roles_and_outsiders_cannot_act_on_escalations(world, api):
    for user, status in ((world.manager, 403), (world.compliance, 403), (world.outsider, 403)):
        response = api(user).post(f"/api/v1/escalations/{world.card_esc.pk}/claim/", {}, format="json")
        assert response.status_code in (status, 404)
    assert api(world.outsider).get(f"/api/v1/escalations/{world.card_esc.pk}/").status_code == 404
    # The social team answers the expert's question; a specialist does not.
    assert (
        api(world.cards_expert)
        .post(f"/api/v1/escalations/{world.card_esc.pk}/give-info/", {"text": "x"}, format="json")
        .status_code
        == 403
    )


def test_writable_fields_do_not_move_an_escalation(world, api):
    cards = api(world.cards_expert)
    response = cards.post(
        f"/api/v1/escalations/{world.card_esc.pk}/answer/",
        {
            "answer": "Unblocked.",
            "department": world.fraud.pk,
            "conversation": world.fraud_conv.pk,
            "requested_by": world.other_agent.pk,
            "assignee": world.fraud_expert.pk,
        },
        format="json",
    )
    assert response.status_code == 200
    world.card_esc.refresh_from_db()
    assert world.card_esc.department_id == world.cards.pk
    assert world.card_esc.conversation_id == world.card_conv.pk
    assert world.card_esc.requested_by_id == world.agent.pk
    assert world.card_esc.assignee_id == world.cards_expert.pk


def test_escalating_needs_a_conversation_one_may_work(world, api):
    body = {"conversation": world.urgent.pk, "department": world.cards.pk, "question": "Why declined?"}
    assert api(world.cards_expert).post("/api/v1/escalations/", body, format="json").status_code == 404
    assert api(world.manager).post("/api/v1/escalations/", body, format="json").status_code == 403
    response = api(world.agent).post("/api/v1/escalations/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["department"]["id"] == world.cards.pk
    # The Fraud expert cannot see what was just escalated to Cards.
    assert api(world.fraud_expert).get(f"/api/v1/escalations/{response.json()['id']}/").status_code == 404


# --- The inbox: the social team's; specialists (of any department) do not see it -----------------

INBOX_ENDPOINTS = [
    ("get", "/api/v1/conversations/", None, 403),
    ("get", "/api/v1/conversations/{conv}/", None, 404),
    ("post", "/api/v1/conversations/{conv}/claim/", {}, 404),
    ("post", "/api/v1/conversations/{conv}/assign/", {"assignee": None}, 404),
    ("post", "/api/v1/conversations/{conv}/status/", {"status": "open"}, 404),
    ("post", "/api/v1/conversations/{conv}/priority/", {"priority": 2}, 404),
    ("post", "/api/v1/conversations/{conv}/tags/", {"name": "cards"}, 404),
    ("post", "/api/v1/conversations/{conv}/untag/", {"tag": "{tag}"}, 404),
    ("post", "/api/v1/conversations/{conv}/notes/", {"text": "Checking"}, 404),
    ("get", "/api/v1/tags/", None, 403),
    ("get", "/api/v1/tags/{tag}/", None, 403),
    ("get", "/api/v1/mentions/", None, 403),
    ("get", "/api/v1/mentions/{mention}/", None, 403),
    ("get", "/api/v1/saved-replies/", None, 403),
]


@pytest.mark.parametrize(("method", "path", "body", "specialist_status"), INBOX_ENDPOINTS)
def test_inbox_endpoints_agent_yes_specialists_no(world, api, method, path, body, specialist_status):
    from listening.models import Mention

    tag = Tag.objects.create(name="cards")
    world.urgent.tags.add(tag)
    mention = Mention.objects.filter(thread_key=world.urgent.thread_key).first()
    ids = {"conv": world.urgent.pk, "tag": tag.pk, "mention": mention.pk}
    filled_body = {
        k: (int(v.format(**ids)) if isinstance(v, str) and v.startswith("{") else v)
        for k, v in (body or {}).items()
    }
    for specialist in (world.cards_expert, world.fraud_expert):
        response = _call(api(specialist), method, path.format(**ids), filled_body)
        assert response.status_code == specialist_status, (path, response.content)
    response = _call(api(world.agent), method, path.format(**ids), filled_body)
    assert response.status_code in (200, 201), (path, response.content)


def test_specialists_read_their_escalations_conversation_masked(world, api):
    data = api(world.cards_expert).get(f"/api/v1/escalations/{world.card_esc.pk}/").json()
    assert data["conversation"]["id"] == world.card_conv.pk
    assert data["customer_messages"]


def test_writable_fields_do_not_move_a_note_or_change_its_author(world, api):
    response = api(world.agent).post(
        f"/api/v1/conversations/{world.urgent.pk}/notes/",
        {"text": "Calling her", "conversation": world.card_conv.pk, "author": world.other_agent.pk},
        format="json",
    )
    assert response.status_code == 201
    note = Note.objects.get(pk=response.json()["id"])
    assert (note.conversation_id, note.author_id) == (world.urgent.pk, world.agent.pk)


def test_assign_only_to_people_who_work_the_inbox(world, api):
    client = api(world.agent)
    url = f"/api/v1/conversations/{world.urgent.pk}/assign/"
    assert client.post(url, {"assignee": world.cards_expert.pk}, format="json").status_code == 400
    assert client.post(url, {"assignee": 999999}, format="json").status_code == 400
    response = client.post(url, {"assignee": world.other_agent.pk}, format="json")
    assert response.status_code == 200
    assert response.json()["assignee"]["username"] == "ben"


def test_stale_version_is_a_conflict(world, api):
    url = f"/api/v1/conversations/{world.urgent.pk}/"
    seen = api(world.agent).get(url).json()["version"]
    assert api(world.other_agent).post(url + "claim/", {}, format="json").status_code == 200
    response = api(world.agent).post(url + "status/", {"status": "resolved", "version": seen}, format="json")
    assert response.status_code == 409
    world.urgent.refresh_from_db()
    assert world.urgent.status == Conversation.Status.OPEN


def test_departments_dashboard_and_audit_export(world, api):
    for user in (world.cards_expert, world.fraud_expert, world.agent):
        assert api(user).get("/api/v1/departments/").status_code == 200
        assert api(user).get(f"/api/v1/departments/{world.cards.pk}/").status_code == 200
    assert api(world.outsider).get("/api/v1/departments/").status_code == 403
    # The dashboard: each specialist sees only their department's escalation figures.
    cards = api(world.cards_expert).get("/api/v1/dashboard/").json()
    assert cards["conversations"] is None and cards["escalations"]["opened"] == 1
    assert api(world.outsider).get("/api/v1/dashboard/").status_code == 403
    assert api(world.manager).get("/api/v1/dashboard/").json()["escalations"]["opened"] == 2
    # The audit export: compliance only (and administrators, as on the page).
    query = "start=2020-01-01&end=2020-01-02&format=jsonl"
    for user in (world.cards_expert, world.agent, world.manager):
        assert api(user).get(f"/api/v1/audit/export/?{query}").status_code == 403
    response = api(world.compliance).get(f"/api/v1/audit/export/?{query}")
    assert response.status_code == 200
    assert b'"trailer"' in b"".join(response.streaming_content)
