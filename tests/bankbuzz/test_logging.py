"""Logs an on-call person can follow: a request id from the proxy to the worker, the user id, JSON."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import uuid

import pytest
import redis
from django.conf import settings
from django.test import Client
from django.urls import reverse
from pythonjsonlogger.json import JsonFormatter

from bankbuzz.logcontext import ContextFilter, request_id_var, user_id_var
from tests.bankbuzz.test_settings import GOOD_PRODUCTION
from tests.factories import ConversationFactory, MentionFactory

ID = "lb-2f1c9a7e-4d3b-4a8e-9f00-1234567890ab"


@pytest.mark.django_db
def test_a_request_id_is_made_returned_and_taken_only_from_a_trusted_proxy(client):
    made = client.get("/accounts/login/")
    assert len(made["X-Request-ID"]) == 32
    assert client.get("/accounts/login/")["X-Request-ID"] != made["X-Request-ID"]

    # The test client comes from 127.0.0.1, a trusted proxy by default.
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID=ID)["X-Request-ID"] == ID
    # Anyone else's id is replaced, and so is anything that does not look like an id.
    outsider = Client(REMOTE_ADDR="203.0.113.5")
    assert outsider.get("/accounts/login/", HTTP_X_REQUEST_ID=ID)["X-Request-ID"] != ID
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="<script>\n")["X-Request-ID"] != "<script>\n"


@pytest.fixture
def json_lines():
    """The root logger's lines, formatted as production formats them."""
    options = dict(settings.LOGGING["formatters"]["json"])
    options.pop("()")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(options.pop("format"), **options))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)


@pytest.mark.django_db
def test_a_log_line_is_json_with_the_request_id_and_user_id_and_no_name(client, agent, json_lines):
    client.force_login(agent)
    response = client.get("/inbox/c/999999/", HTTP_X_REQUEST_ID=ID)  # a 404, which Django logs
    assert response.status_code == 404

    [line] = [line for line in json_lines() if line["logger"] == "django.request"]
    assert line["level"] == "WARNING" and line["message"].startswith("Not Found")
    assert line["request_id"] == ID and line["user_id"] == str(agent.pk)
    assert line["time"].endswith("+00:00")
    assert "amira" not in json.dumps(line) and "Khan" not in json.dumps(line)


def log_format(**overrides: str) -> str:
    env = {
        k: v for k, v in os.environ.items() if k not in GOOD_PRODUCTION and k not in ("LOG_FORMAT", "DEBUG")
    }
    env.update(GOOD_PRODUCTION, **overrides)
    code = "from django.conf import settings; print(settings.LOG_FORMAT)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip() or result.stderr.strip().splitlines()[-1]


def test_production_logs_json_debug_logs_text_and_a_wrong_format_is_refused():
    assert log_format() == "json"
    assert log_format(DEBUG="1") == "text"
    assert log_format(DEBUG="1", LOG_FORMAT="json") == "json"
    assert "LOG_FORMAT='xml' must be json or text" in log_format(LOG_FORMAT="xml")


@pytest.mark.django_db(transaction=True)
def test_a_task_queued_by_a_request_carries_its_request_id(client, agent, x_account):
    """The reply's send task, as it sits in Redis: the request's id and user id in its headers."""
    conversation = ConversationFactory(account=x_account)
    MentionFactory(author=conversation.customer, account=x_account, thread_key=conversation.thread_key)
    client.force_login(agent)
    form = {"version": conversation.version, "saved_reply": "", "channel": "public", "text": "Sorry! DM us."}
    queue = settings.CELERY_TASK_DEFAULT_QUEUE
    broker = redis.Redis.from_url(settings.REDIS_URL)
    before = broker.llen(queue)
    try:
        response = client.post(reverse("inbox:reply", args=[conversation.pk]), form, HTTP_X_REQUEST_ID=ID)
        assert response.status_code == 302
        messages = [json.loads(raw) for raw in broker.lrange(queue, 0, -1)]
    finally:
        # Leave the queue as it was: nobody consumes it in this test.
        if before:
            broker.ltrim(queue, 0, before - 1)
        else:
            broker.delete(queue)
    [sent] = [m for m in messages if m["headers"]["task"] == "inbox.send_reply"]
    assert sent["headers"]["bankbuzz_request_id"] == ID
    assert sent["headers"]["bankbuzz_user_id"] == str(agent.pk)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_the_worker_logs_a_task_with_the_id_of_the_request_that_queued_it(celery_worker):
    from listening.tasks import poll_account

    request_id = f"req-{uuid.uuid4().hex}"
    request_token, user_token = request_id_var.set(request_id), user_id_var.set("4242")
    try:
        poll_account.apply_async(args=[987_654_321], queue=celery_worker.queue)
    finally:
        request_id_var.reset(request_token)
        user_id_var.reset(user_token)

    from tests.inbox.replying import wait_for

    line = wait_for(
        lambda: next((ln for ln in celery_worker.log().splitlines() if request_id in ln), None),
        what=f"a worker log line with the request id\n{celery_worker.log()[-3000:]}",
    )
    assert "u=4242" in line and "poll of account 987654321 skipped" in line
