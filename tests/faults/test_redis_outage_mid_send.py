"""Drill: Redis goes down while an agent answers a customer from the browser.

A private Redis carries the cache and the queue of a real worker and of this test process (the
"browser" is Django's test client in it, logged in with both factors). Redis is SIGKILLed; for
the whole outage (`FAULTS_REDIS_DOWN_SECONDS`, 30 by default):

- the inbox, the conversation and the API answer 200 (presence goes quiet, throttles count in
  the process);
- the reply the agent sends is saved as queued and the page says that sending is delayed (not a
  500, which would make the agent send it again);
- nothing reaches X.

Redis comes back; the outbox relay (beat's `inbox.dispatch_replies`, every 5 s, sent here as beat
would) hands the reply to the worker, and X receives it exactly once, however often the relay and
the recovery sweep run after.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from bankbuzz.api.tokens import api_token_create
from bankbuzz.degrade import DELAYED_NOTICE
from inbox.models import Reply
from inbox.reply_tasks import dispatch_replies, recover_replies
from tests.faults.drills import PrivateRedis, base_env, celery_worker, point_this_process_at, wait_for
from tests.inbox.replying import sandbox_conversation
from tests.security.auth import VerifiedClient

pytestmark = [pytest.mark.faults, pytest.mark.long_drill, pytest.mark.django_db(transaction=True)]

DOWN_SECONDS = float(os.environ.get("FAULTS_REDIS_DOWN_SECONDS", "30"))


@pytest.fixture
def private_redis():
    redis_server = PrivateRedis()
    redis_server.start()
    yield redis_server
    redis_server.close()


def pages_answer(browser, api, conversation) -> list[int]:
    return [
        browser.get(reverse("inbox:list")).status_code,
        browser.get(reverse("inbox:detail", args=[conversation.pk])).status_code,
        browser.post(
            reverse("inbox:live", args=[conversation.pk]),
            {"typing": "reply", "seen": conversation.version, "v": conversation.version},
            HTTP_HX_REQUEST="true",
        ).status_code,
        api.get("/api/v1/conversations/").status_code,
        api.get(f"/api/v1/conversations/{conversation.pk}/").status_code,
    ]


def test_a_reply_sent_during_a_redis_outage_goes_out_once_when_redis_returns(
    sandbox,
    sandbox_server,
    x_account,
    agent,
    private_redis,
    settings,
    tmp_path,
    django_capture_on_commit_callbacks,
):
    # (A transactional test: the poll's on-commit work runs at its real commit.)
    conversation = sandbox_conversation(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        text="@northbridgebank my card was declined at the till",
    )
    queue = settings.CELERY_TASK_DEFAULT_QUEUE  # where this process queues the reply's task
    restore_broker = point_this_process_at(settings, private_redis.url)
    worker = celery_worker(
        base_env(sandbox_server.url, REDIS_URL=private_redis.url), queue, tmp_path / "w.log"
    )
    browser = VerifiedClient()
    browser.force_login(agent)
    _token, raw = api_token_create(actor=agent, name="crm", scope="read", days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    try:
        assert pages_answer(browser, api, conversation) == [200] * 5

        private_redis.stop(signal.SIGKILL)
        down_at = time.monotonic()
        assert pages_answer(browser, api, conversation) == [200] * 5
        text = "So sorry! Please send us a DM and we will check the card right away."
        form = {"version": conversation.version, "saved_reply": "", "channel": "public", "text": text}
        sent_in_outage = browser.post(
            reverse("inbox:reply", args=[conversation.pk]), form, HTTP_HX_REQUEST="true"
        )
        assert sent_in_outage.status_code == 200
        assert DELAYED_NOTICE in sent_in_outage.content.decode()
        [reply] = Reply.objects.filter(conversation=conversation)
        assert reply.state == Reply.State.QUEUED
        # Redis stays down (30 s, the drill): every page keeps answering, nothing is sent.
        while time.monotonic() - down_at < DOWN_SECONDS:
            assert pages_answer(browser, api, conversation) == [200] * 5
            time.sleep(1)
        assert sandbox.sent("x") == []
        assert Reply.objects.get(pk=reply.pk).state == Reply.State.QUEUED
        outage = time.monotonic() - down_at

        private_redis.server.start()
        worker.wait_log("Connected to", count=2, seconds=90)
        assert sandbox.sent("x") == [], "nothing was queued, so nothing goes before the relay"
        dispatch_replies.apply_async(queue=queue)
        wait_for(
            lambda: Reply.objects.filter(pk=reply.pk, state=Reply.State.SENT).exists(),
            seconds=90,
            what=lambda: f"the reply to be sent\n{worker.log()[-3000:]}",
            interval=0.2,
        )
        # Later relays and sweeps find nothing to send.
        for task in (dispatch_replies, recover_replies, dispatch_replies):
            result = task.apply_async(queue=queue)
            worker.wait_log(f"[{result.id}] succeeded", seconds=60)
    finally:
        worker.stop()
        restore_broker()

    sent = sandbox.sent("x")
    assert len(sent) == 1 and sent[0]["text"] == text, sent
    reply.refresh_from_db()
    assert reply.external_id == sent[0]["id"]
    assert Reply.objects.filter(conversation=conversation).count() == 1
    print(f"\nDRILL redis outage mid-send: pages 200 for {outage:.1f} s down; reply sent once after")
