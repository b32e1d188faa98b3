"""Exactly once, end to end: the outbox relay, a broker outage, double submits and withdrawing.

Through the sandbox with the real client libraries, and a real Redis as the broker (publishing
to a closed port stands for the outage).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox import reply_services as rs
from inbox.models import ConversationEvent, Reply
from inbox.replies import outbox
from tests.factories import ConversationFactory
from tests.inbox.replying import broker_unreachable, drain_queue, queue_depth, sandbox_conversation

State = Reply.State
TEXT = "Sorry about that! Please DM us and we will look into it."


@pytest.fixture
def conv(sandbox, x_account, django_capture_on_commit_callbacks):
    return sandbox_conversation(
        sandbox, x_account, django_capture_on_commit_callbacks, text="@northbridgebank my card was declined"
    )


@pytest.fixture(autouse=True)
def _empty_queue():
    drain_queue()
    yield
    drain_queue()


def submit(conversation, actor, text=TEXT, **kw):
    kw.setdefault("channel", "public")
    kw.setdefault("seen_version", None)
    return rs.reply_submit(actor=actor, conversation=conversation, text=text, **kw)


@pytest.mark.django_db
def test_a_reply_queued_while_the_broker_is_down_goes_out_once_when_it_is_back(
    sandbox, conv, agent, django_capture_on_commit_callbacks
):
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        reply = submit(conv, agent)  # the on-commit relay meets the outage: no error, nothing stamped
    reply.refresh_from_db()
    assert reply.state == State.QUEUED and reply.dispatched_at is None
    assert queue_depth() == 0

    # The broker is back: beat's relay hands it over once, however often it runs.
    assert rs.replies_dispatch() == [reply.pk]
    assert rs.replies_dispatch() == []
    assert queue_depth() == 1
    reply.refresh_from_db()
    assert reply.dispatched_at is not None

    assert rs.reply_send(reply_id=reply.pk) == "sent"
    assert rs.reply_send(reply_id=reply.pk) == "skipped"  # a second message for it posts nothing
    assert len(sandbox.sent("x")) == 1


@pytest.mark.django_db
def test_the_on_commit_relay_publishes_at_once_and_beat_does_not_publish_again(
    conv, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = submit(conv, agent)
    reply.refresh_from_db()
    assert reply.dispatched_at is not None and queue_depth() == 1
    assert rs.replies_dispatch() == []
    assert queue_depth() == 1


@pytest.mark.django_db
def test_a_retried_failed_reply_is_handed_over_again(
    sandbox, conv, agent, django_capture_on_commit_callbacks
):
    reply = submit(conv, agent)
    assert rs.replies_dispatch() == [reply.pk]
    sandbox.scenario("expired_token", network="x")
    assert rs.reply_send(reply_id=reply.pk) == "failed"
    sandbox.clear_scenarios()
    with django_capture_on_commit_callbacks(execute=True):
        rs.reply_retry(actor=agent, reply=reply)
    reply.refresh_from_db()
    assert reply.state == State.QUEUED and reply.dispatched_at is not None
    assert queue_depth() == 2
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    assert len(sandbox.sent("x")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_relays_never_take_the_same_reply(agent):
    conversation = ConversationFactory()
    reply = Reply.objects.create(
        conversation=conversation,
        author=agent,
        channel="public",
        text=TEXT,
        in_reply_to="1",
        state=State.QUEUED,
        queued_at=timezone.now(),
    )
    holding, release = threading.Event(), threading.Event()

    def other_relay():
        try:
            with transaction.atomic():
                Reply.objects.select_for_update().filter(pk=reply.pk).first()
                holding.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_relay)
    thread.start()
    assert holding.wait(30)
    try:
        assert rs.replies_dispatch() == []  # the row is another relay's: skipped, not waited for
    finally:
        release.set()
        thread.join(30)
    assert rs.replies_dispatch() == [reply.pk]


@pytest.mark.django_db
def test_the_same_text_again_is_the_same_reply(conv, agent, settings):
    settings.REPLY_DUPLICATE_WINDOW = 120
    first = submit(conv, agent)
    again = submit(conv, agent, seen_version=1)
    assert again.pk == first.pk and again.resubmitted
    assert Reply.objects.filter(conversation=conv).count() == 1
    assert ConversationEvent.objects.filter(conversation=conv, kind="reply_queued").count() == 1
    other = submit(conv, agent, text=TEXT + " Thanks!")
    assert other.pk != first.pk and not other.resubmitted


@pytest.mark.django_db
def test_outside_the_window_or_after_a_failure_it_is_a_new_reply(sandbox, conv, agent, settings):
    settings.REPLY_DUPLICATE_WINDOW = 0
    first = submit(conv, agent)
    assert submit(conv, agent).pk != first.pk
    settings.REPLY_DUPLICATE_WINDOW = 120
    Reply.objects.filter(conversation=conv).update(state=State.FAILED, error="refused")
    assert submit(conv, agent).pk not in {r.pk for r in Reply.objects.filter(state=State.FAILED)}


@pytest.mark.django_db
def test_a_queued_reply_withdrawn_is_never_sent_although_its_task_is_in_the_broker(
    sandbox, conv, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reply = submit(conv, agent)
    assert queue_depth() == 1  # its task is on its way

    rs.reply_withdraw(actor=agent, reply=reply)
    reply.refresh_from_db()
    assert reply.state == State.CANCELLED
    event = AuditEvent.objects.get(verb="reply.withdraw")
    assert event.actor_id == agent.pk and event.before == {"state": "queued"}

    assert rs.reply_send(reply_id=reply.pk) == "skipped"  # the task arrives: nothing to send
    assert rs.replies_dispatch() == []
    assert sandbox.sent("x") == []
    with pytest.raises(rs.ReplyError, match="Too late to withdraw: it is cancelled"):
        rs.reply_withdraw(actor=agent, reply=reply)


@pytest.mark.django_db
def test_a_failed_reply_can_be_withdrawn_a_sending_one_cannot(sandbox, conv, agent, other_agent):
    reply = submit(conv, agent)
    assert outbox.REPLIES.claim(reply.pk, timezone.now())  # a worker is sending it
    with pytest.raises(rs.ReplyError, match="Too late to withdraw: it is sending"):
        rs.reply_withdraw(actor=agent, reply=reply)
    Reply.objects.filter(pk=reply.pk).update(state=State.FAILED, error="refused")
    with pytest.raises(rs.ReplyError, match="Only its author or a lead"):
        rs.reply_withdraw(actor=other_agent, reply=reply)
    assert rs.reply_withdraw(actor=agent, reply=reply).state == State.CANCELLED


@pytest.mark.django_db
def test_the_conversation_pane_withdraws_a_queued_reply(client, conv, agent):
    reply = submit(conv, agent)
    client.force_login(agent)
    page = client.get(f"/inbox/c/{conv.pk}/").content.decode()
    assert f'hx-post="/inbox/replies/{reply.pk}/withdraw/"' in page
    response = client.post(f"/inbox/replies/{reply.pk}/withdraw/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "Withdrawn: it will not be sent." in response.content.decode()
    reply.refresh_from_db()
    assert reply.state == State.CANCELLED
    assert f"/inbox/replies/{reply.pk}/withdraw/" not in client.get(f"/inbox/c/{conv.pk}/").content.decode()


@pytest.mark.django_db
def test_a_reply_sent_from_the_page_during_an_outage_says_sending_is_delayed(
    client, conv, agent, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    form = {
        "version": conv.version,
        "channel": "public",
        "text": TEXT,
        "saved_reply": "",
        "override_reason": "",
        "switch": "",
    }
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/inbox/c/{conv.pk}/reply/", form, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "sending is delayed" in response.content.decode()
    # The agent, seeing no confirmation, sends it again: the same reply, not a second.
    again = client.post(f"/inbox/c/{conv.pk}/reply/", form, HTTP_HX_REQUEST="true")
    assert again.status_code == 200
    assert "it is the same one, not a second" in again.content.decode()
    assert Reply.objects.filter(conversation=conv).count() == 1
