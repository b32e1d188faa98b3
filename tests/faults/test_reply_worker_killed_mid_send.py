"""Drill: a Celery worker is SIGKILLed while X holds the answer to our reply.

X has stored the reply (the sandbox records it before it answers) but the worker dies
before it can record the tweet id, so the reply is left "sending". A new worker takes
it over once the dead worker's lease has run out, asks X whether the reply is there
(`find_sent`) and records it instead of posting it again: the sandbox received exactly one post.
"""

from __future__ import annotations

import signal
import uuid

import pytest
from django.utils import timezone

from inbox import reply_services
from inbox.models import Reply
from inbox.reply_tasks import recover_replies, send_reply
from listening.models import Mention
from listening.services import account_poll
from tests.faults.test_worker_killed_mid_poll import start_worker, stop, wait_for

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def test_a_worker_killed_mid_send_posts_once(sandbox, sandbox_server, x_account, agent, tmp_path):
    from inbox.models import Conversation

    posted = sandbox.post(network="x", text="@northbridgebank my card was declined at the till")
    assert account_poll(account_id=x_account.pk).status == "ok"
    conversation = wait_for(
        # The customer's conversation: the one their post joined (its key names them too).
        lambda: Conversation.objects.filter(
            network="x",
            thread_key__in=Mention.objects.filter(network="x", external_id=posted["id"]).values("thread_key"),
        ).first(),
        seconds=10,
        what="the conversation",
    )
    queue = f"bankbuzz-faults-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    log_path.write_text("")
    # X stores the reply, then hangs before answering: the worker is killed while it waits.
    sandbox.scenario("hanging", network="x", params={"hang_seconds": 30})

    first = start_worker(sandbox_server.url, queue, log_path)
    try:
        reply = reply_services.reply_submit(
            actor=agent,
            conversation=conversation,
            channel="public",
            text="So sorry! Please send us a DM and we will check the card right away.",
            seen_version=None,
        )
        # reply_submit queued the task on commit, on the default queue: send it to this worker too.
        send_reply.apply_async(args=[reply.pk], queue=queue)
        wait_for(lambda: sandbox.sent("x"), seconds=30, what="X to receive the reply")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    with log_path.open("a") as log:
        log.write("\nKILLED-MARK\n")
    sandbox.clear_scenarios()

    reply.refresh_from_db()
    assert reply.state == Reply.State.SENDING and reply.external_id == ""
    # Until the lease runs out, nobody touches it (the worker might only be slow).
    assert reply_services.replies_recover() == []
    assert reply_services.reply_send(reply_id=reply.pk) == "skipped"

    second = start_worker(sandbox_server.url, queue, log_path)
    try:
        # The lease runs out (expired here rather than waiting two minutes); beat's sweep sends it on.
        Reply.objects.filter(pk=reply.pk).update(lease_until=timezone.now())
        recover_replies.apply_async(queue=queue)
        wait_for(
            lambda: Reply.objects.filter(pk=reply.pk, state=Reply.State.SENT).exists(),
            seconds=60,
            what=f"the reply to be recorded as sent\n{log_path.read_text()[-3000:]}",
            interval=0.1,
        )
    finally:
        stop(second)

    sent = sandbox.sent("x")
    assert len(sent) == 1, sent
    reply.refresh_from_db()
    assert reply.external_id == sent[0]["id"] and reply.attempts == 2
    assert Mention.objects.filter(network="x", external_id=reply.external_id, direction="out").count() == 1
