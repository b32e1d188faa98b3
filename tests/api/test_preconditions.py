"""Every write over the API carries a precondition: the `version` read, or an Idempotency-Key.

Missing both: 428 with a clear JSON error. A key is answered with its first answer again; two
clients acting at once on the same version: one wins, the other gets 409.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from bankbuzz.api.models import IdempotencyKey
from escalations.models import Escalation
from inbox.models import Conversation, Note, Reply
from tests.factories import MentionFactory, SocialAccountFactory

REPLY = {"text": "Sorry Rosa, we are on it: please check your DMs.", "channel": "public"}


@pytest.fixture
def answerable(world):
    """world.urgent with the bank's X account, so a public reply has somewhere to go."""
    Conversation.objects.filter(pk=world.urgent.pk).update(account=SocialAccountFactory(network="x"))
    world.urgent.refresh_from_db()
    return world.urgent


def conv_url(conversation, action=""):
    return f"/api/v1/conversations/{conversation.pk}/{action}"


@pytest.mark.django_db
def test_a_write_without_version_or_key_is_refused_with_428(world, api):
    client = api(world.agent, keyed=False)
    response = client.post(conv_url(world.urgent, "claim/"), {}, format="json")
    assert response.status_code == 428
    assert response["Content-Type"] == "application/json"
    assert "version" in response.json()["detail"] and "Idempotency-Key" in response.json()["detail"]
    world.urgent.refresh_from_db()
    assert world.urgent.assignee_id is None

    # With the version read, it applies.
    seen = client.get(conv_url(world.urgent)).json()["version"]
    assert client.post(conv_url(world.urgent, "claim/"), {"version": seen}, format="json").status_code == 200


@pytest.mark.django_db
def test_writes_on_what_has_no_version_need_a_key(world, api):
    client = api(world.agent, keyed=False)
    seen = client.get(conv_url(world.urgent)).json()["version"]
    note = client.post(
        conv_url(world.urgent, "notes/"), {"text": "Calling her", "version": seen}, format="json"
    )
    assert note.status_code == 428 and "Idempotency-Key" in note.json()["detail"]
    assert client.post("/api/v1/tags/", {"name": "cards"}, format="json").status_code == 428
    assert not Note.objects.exists()
    keyed = client.post(
        conv_url(world.urgent, "notes/"),
        {"text": "Calling her"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="note-1",
    )
    assert keyed.status_code == 201


@pytest.mark.django_db
def test_the_same_key_again_gets_the_first_answer_and_nothing_is_done_twice(answerable, world, api):
    client = api(world.agent, keyed=False)
    first = client.post(conv_url(answerable, "reply/"), REPLY, format="json", HTTP_IDEMPOTENCY_KEY="crm-7781")
    assert first.status_code == 201, first.content
    # The client timed out and retries (its text edited in between would be a new request).
    again = client.post(conv_url(answerable, "reply/"), REPLY, format="json", HTTP_IDEMPOTENCY_KEY="crm-7781")
    assert again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Reply.objects.filter(conversation=answerable).count() == 1

    other = dict(REPLY, text="Something else entirely")
    reused = client.post(
        conv_url(answerable, "reply/"), other, format="json", HTTP_IDEMPOTENCY_KEY="crm-7781"
    )
    assert reused.status_code == 422 and "another request" in reused.json()["detail"]
    assert Reply.objects.filter(conversation=answerable).count() == 1


@pytest.mark.django_db
def test_keys_are_per_person_and_refusals_are_answered_again_too(answerable, world, api):
    amira, ben = api(world.agent, keyed=False), api(world.other_agent, keyed=False)
    refused = amira.post(
        conv_url(answerable, "assign/"), {"assignee": 999999}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert refused.status_code == 400
    again = amira.post(
        conv_url(answerable, "assign/"), {"assignee": 999999}, format="json", HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert (again.status_code, again.json()) == (400, refused.json())
    # Ben's "k1" is his own.
    assert (
        ben.post(conv_url(answerable, "claim/"), {}, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code
        == 200
    )
    assert IdempotencyKey.objects.filter(key="k1").count() == 2
    bad = amira.post(conv_url(answerable, "claim/"), {}, format="json", HTTP_IDEMPOTENCY_KEY="with space")
    assert bad.status_code == 400 and "Idempotency-Key" in bad.json()


@pytest.mark.django_db
def test_the_same_text_again_within_the_window_is_the_same_reply(answerable, world, api):
    client = api(world.agent)
    seen = client.get(conv_url(answerable)).json()["version"]
    first = client.post(conv_url(answerable, "reply/"), {**REPLY, "version": seen}, format="json")
    second = client.post(conv_url(answerable, "reply/"), {**REPLY, "version": seen}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["id"] == first.json()["id"]
    assert Reply.objects.filter(conversation=answerable).count() == 1


def _at_once(calls):
    """Run the calls in threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(30)
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_clients_replying_at_once_with_the_same_version_one_wins(answerable, world, api):
    amira, ben = api(world.agent, keyed=False), api(world.other_agent, keyed=False)
    seen = amira.get(conv_url(answerable)).json()["version"]
    responses = _at_once(
        [
            lambda: amira.post(conv_url(answerable, "reply/"), {**REPLY, "version": seen}, format="json"),
            lambda: ben.post(
                conv_url(answerable, "reply/"),
                {**REPLY, "text": "Hi Rosa, DM us.", "version": seen},
                format="json",
            ),
        ]
    )
    assert sorted(r.status_code for r in responses) == [201, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert "since you opened it" in loser.json()["detail"]
    assert Reply.objects.filter(conversation=answerable).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_claims_at_once_with_the_same_version_one_wins(world, api):
    amira, ben = api(world.agent, keyed=False), api(world.other_agent, keyed=False)
    seen = amira.get(conv_url(world.urgent)).json()["version"]
    responses = _at_once(
        [
            lambda c=c: c.post(conv_url(world.urgent, "claim/"), {"version": seen}, format="json")
            for c in (amira, ben)
        ]
    )
    assert sorted(r.status_code for r in responses) == [200, 409]
    winner = next(r for r in responses if r.status_code == 200)
    world.urgent.refresh_from_db()
    assert world.urgent.assignee.username == winner.json()["assignee"]["username"]


@pytest.mark.django_db
def test_an_escalation_step_on_a_stale_version_is_a_conflict(world, api):
    cards = api(world.cards_expert, keyed=False)
    url = f"/api/v1/escalations/{world.card_esc.pk}/"
    seen = cards.get(url).json()["version"]
    assert cards.post(url + "claim/", {}, format="json").status_code == 428
    claimed = cards.post(url + "claim/", {"version": seen}, format="json")
    assert claimed.status_code == 200 and claimed.json()["version"] > seen
    # An answer written on what was read before the claim is refused, and nothing changes.
    stale = cards.post(url + "answer/", {"answer": "Unblocked.", "version": seen}, format="json")
    assert stale.status_code == 409 and "changed since you read it" in stale.json()["detail"]
    assert Escalation.objects.get(pk=world.card_esc.pk).state == Escalation.State.OPEN
    fresh = cards.post(
        url + "answer/", {"answer": "Unblocked.", "version": claimed.json()["version"]}, format="json"
    )
    assert fresh.status_code == 200 and fresh.json()["state"] == "answered"


@pytest.mark.django_db
def test_a_reply_is_withdrawn_over_the_api_before_it_leaves(answerable, world, api):
    client = api(world.agent)
    reply = client.post(conv_url(answerable, "reply/"), REPLY, format="json").json()
    assert reply["state"] == "queued"
    assert (
        client.post(f"/api/v1/replies/{reply['id']}/withdraw/", format="json").json()["state"] == "cancelled"
    )
    again = client.post(f"/api/v1/replies/{reply['id']}/withdraw/", format="json")
    assert again.status_code == 400 and "Too late to withdraw" in again.json()["detail"]
    # Someone else's reply: only its author or a lead.
    theirs = api(world.other_agent).post(f"/api/v1/replies/{reply['id']}/withdraw/", format="json")
    assert theirs.status_code == 400
    assert api(world.agent, keyed=False).post(f"/api/v1/replies/{reply['id']}/withdraw/").status_code == 428


def _write_operations() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("post", "put", "patch", "delete")
    }


# Every write of the API, by someone allowed to do it, with a body that passes validation.
WRITES = {
    ("post", "/api/v1/conversations/{id}/assign/"): ("agent", "urgent", {"assignee": None}),
    ("post", "/api/v1/conversations/{id}/claim/"): ("agent", "urgent", {}),
    ("post", "/api/v1/conversations/{id}/notes/"): ("agent", "urgent", {"text": "Calling her"}),
    ("post", "/api/v1/conversations/{id}/priority/"): ("agent", "urgent", {"priority": 1}),
    ("post", "/api/v1/conversations/{id}/reply/"): ("agent", "urgent", REPLY),
    ("post", "/api/v1/conversations/{id}/status/"): ("agent", "urgent", {"status": "open"}),
    ("post", "/api/v1/conversations/{id}/tags/"): ("agent", "urgent", {"name": "cards"}),
    ("post", "/api/v1/conversations/{id}/untag/"): ("agent", "urgent", {"tag": 1}),
    ("post", "/api/v1/escalations/"): (
        "agent",
        None,
        {"conversation": 0, "department": 0, "question": "Why?"},
    ),
    ("post", "/api/v1/escalations/{id}/answer/"): ("cards_expert", "card_esc", {"answer": "Unblocked."}),
    ("post", "/api/v1/escalations/{id}/ask/"): ("cards_expert", "card_esc", {"question": "Which shop?"}),
    ("post", "/api/v1/escalations/{id}/claim/"): ("cards_expert", "card_esc", {}),
    ("post", "/api/v1/escalations/{id}/close/"): ("cards_expert", "card_esc", {"reason": "Done"}),
    ("post", "/api/v1/escalations/{id}/give-info/"): ("agent", "card_esc", {"text": "The corner shop"}),
    ("post", "/api/v1/escalations/{id}/transfer/"): (
        "cards_expert",
        "card_esc",
        {"department": 0, "reason": "Fraud"},
    ),
    ("post", "/api/v1/replies/{id}/withdraw/"): ("agent", "reply", None),
    ("post", "/api/v1/complaints/"): ("agent", None, {"conversation": 0}),
    ("post", "/api/v1/complaints/{id}/letters/"): (
        "agent",
        "complaint",
        {"kind": "acknowledgement", "channel": "email", "text": "Hello", "sent_on": "2026-01-05"},
    ),
    ("post", "/api/v1/tags/"): ("agent", None, {"name": "cards"}),
    ("patch", "/api/v1/tags/{id}/"): ("lead", "tag", {"name": "card"}),
    ("delete", "/api/v1/tags/{id}/"): ("lead", "tag", None),
}


def _complaint(world):
    from complaints import services
    from complaints.seed import seed_now

    seed_now()
    mention = MentionFactory(
        author=world.urgent.customer, account=world.urgent.account, thread_key=world.urgent.thread_key
    )
    return services.complaint_confirm(actor=world.agent, conversation=world.urgent, mention_ids=[mention.pk])


@pytest.mark.django_db
def test_every_write_of_the_api_needs_a_precondition(world, api):
    from inbox.models import Tag
    from inbox.reply_services import reply_submit

    assert set(WRITES) == _write_operations(), "a write of the API without a row here"
    Conversation.objects.filter(pk=world.urgent.pk).update(account=SocialAccountFactory(network="x"))
    world.urgent.refresh_from_db()
    world.tag = Tag.objects.create(name="cards")
    world.reply = reply_submit(
        actor=world.agent, conversation=world.urgent, channel="public", text="Hi", seen_version=None
    )
    world.complaint = _complaint(world)
    before = (Reply.objects.count(), Note.objects.count(), Tag.objects.count(), Escalation.objects.count())
    for (method, path), (who, target, body) in WRITES.items():
        if body is not None:
            body = dict(body)
            for field, obj in (("conversation", world.urgent), ("department", world.fraud)):
                if body.get(field) == 0:
                    body[field] = obj.pk
            if body.get("tag") == 1:
                body["tag"] = world.tag.pk
        url = path.format(id=getattr(world, target).pk) if target else path
        response = getattr(api(getattr(world, who), keyed=False), method)(url, body, format="json")
        assert response.status_code == 428, (method, path, response.status_code, response.content)
        assert response.json()["detail"]
    assert before == (
        Reply.objects.count(),
        Note.objects.count(),
        Tag.objects.count(),
        Escalation.objects.count(),
    )
    assert Reply.objects.get(pk=world.reply.pk).state == Reply.State.QUEUED
