"""The outbox on the real stack: a Celery worker over Redis, PostgreSQL and the sandbox's X.

A reply saved while the broker was unreachable goes out exactly once when beat's relay runs
after the broker is back; a reply withdrawn while its task waits in the broker is never posted.
"""

from __future__ import annotations

import pytest

from inbox import reply_services as rs
from inbox.models import Reply
from inbox.reply_tasks import dispatch_replies, send_reply
from tests.inbox.replying import broker_unreachable, sandbox_conversation, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TEXT = "Sorry about that! Please DM us and we will look into it."


@pytest.fixture
def conv(celery_worker, sandbox, x_account, django_capture_on_commit_callbacks):
    return sandbox_conversation(
        sandbox, x_account, django_capture_on_commit_callbacks, text="@northbridgebank my card was declined"
    )


def test_a_reply_saved_in_a_broker_outage_is_sent_once_by_the_relay(celery_worker, sandbox, conv, agent):
    with broker_unreachable():
        reply = rs.reply_submit(
            actor=agent, conversation=conv, channel="public", text=TEXT, seen_version=None
        )
    reply.refresh_from_db()
    assert reply.state == Reply.State.QUEUED and reply.dispatched_at is None

    # Beat's relay runs on the worker once the broker is back (twice: the second finds nothing to do).
    for _ in range(2):
        dispatch_replies.apply_async(queue=celery_worker.queue)
    sent = wait_for(
        lambda: Reply.objects.filter(pk=reply.pk, state=Reply.State.SENT).first(),
        seconds=60,
        what=f"the worker to send the reply\n{celery_worker.log()[-3000:]}",
    )
    wait_for(lambda: celery_worker.log().count("inbox.dispatch_replies") >= 4, what="both relay runs")
    posts = sandbox.sent("x")
    assert len(posts) == 1 and posts[0]["id"] == sent.external_id and posts[0]["text"] == TEXT


def test_a_reply_withdrawn_with_its_task_in_the_broker_is_never_posted(celery_worker, sandbox, conv, agent):
    reply = rs.reply_submit(actor=agent, conversation=conv, channel="public", text=TEXT, seen_version=None)
    rs.reply_withdraw(actor=agent, reply=reply)
    # The task that was already on its way reaches a worker after the withdrawal.
    send_reply.apply_async(args=[reply.pk], queue=celery_worker.queue)
    wait_for(
        lambda: "succeeded" in celery_worker.log() and "'skipped'" in celery_worker.log(),
        what=f"the worker to take the task\n{celery_worker.log()[-3000:]}",
    )
    reply.refresh_from_db()
    assert reply.state == Reply.State.CANCELLED
    assert sandbox.sent("x") == []
