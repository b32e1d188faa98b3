"""Without Redis (cache and broker on a port nothing listens on), pages and the API keep working.

Presence goes quiet, throttles count in the process (and still refuse), a login still locks
after the wrong passwords (django-axes counts in the database), and a reply sent meanwhile is
saved with a clear "delayed" notice instead of a 500.
"""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from bankbuzz.api.tokens import api_token_create
from bankbuzz.degrade import DELAYED_NOTICE
from inbox.models import Reply
from tests.factories import ConversationFactory, MentionFactory


def a_conversation(account=None):
    conversation = ConversationFactory(account=account)
    MentionFactory(
        author=conversation.customer,
        account=account,
        thread_key=conversation.thread_key,
        text="card declined",
    )
    return conversation


@pytest.mark.django_db
def test_inbox_conversation_and_presence_answer_200_without_redis(client, agent, redis_unreachable, caplog):
    conversation = a_conversation()
    client.force_login(agent)
    caplog.set_level(logging.WARNING, logger="bankbuzz.degrade")

    assert client.get(reverse("inbox:list")).status_code == 200
    page = client.get(reverse("inbox:detail", args=[conversation.pk]))
    assert page.status_code == 200
    assert "card declined" in page.content.decode()
    live = client.post(
        reverse("inbox:live", args=[conversation.pk]),
        {"typing": "reply", "seen": conversation.version, "v": conversation.version},
        HTTP_HX_REQUEST="true",
    )
    assert live.status_code == 200
    # Said once, not on every request.
    outages = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(outages) == 1


@pytest.mark.django_db
def test_the_api_answers_200_and_still_throttles_without_redis(agent, redis_unreachable, settings):
    settings.API_THROTTLE_RATE = "3/min"
    conversation = a_conversation()
    _token, raw = api_token_create(actor=agent, name="crm", scope="read", days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")

    assert api.get("/api/v1/conversations/").status_code == 200
    assert api.get(f"/api/v1/conversations/{conversation.pk}/").status_code == 200
    assert api.get("/api/v1/me/").status_code == 200
    refused = api.get("/api/v1/conversations/")
    assert refused.status_code == 429, "an outage must not lift the limit"
    assert "Retry-After" in refused


@pytest.mark.django_db
def test_a_login_still_locks_after_wrong_passwords_without_redis(agent, redis_unreachable, settings):
    assert settings.AXES_HANDLER == "axes.handlers.database.AxesDatabaseHandler"
    settings.AXES_FAILURE_LIMIT = 3
    browser = Client(REMOTE_ADDR="203.0.113.20")
    for _ in range(2):
        answer = browser.post(reverse("accounts:login"), {"username": "amira", "password": "wrong-guess"})
        assert answer.status_code == 200  # the form again, with the error
    # The third wrong password locks the username, and the right one no longer gets in.
    assert browser.post(reverse("accounts:login"), {"username": "amira", "password": "x"}).status_code == 429
    right = browser.post(
        reverse("accounts:login"), {"username": "amira", "password": "correct-horse-battery"}
    )
    assert right.status_code == 429


@pytest.mark.django_db(transaction=True)
def test_a_reply_sent_while_the_broker_is_down_is_saved_and_said_to_be_delayed(
    client, agent, x_account, redis_unreachable
):
    conversation = a_conversation(x_account)
    client.force_login(agent)
    form = {
        "version": conversation.version,
        "saved_reply": "",
        "channel": "public",
        "text": "Sorry to hear that! Please send us a DM and we will look into it.",
    }
    answer = client.post(reverse("inbox:reply", args=[conversation.pk]), form, HTTP_HX_REQUEST="true")

    assert answer.status_code == 200
    assert DELAYED_NOTICE in answer.content.decode()
    [reply] = Reply.objects.filter(conversation=conversation)
    assert reply.state == Reply.State.QUEUED and reply.text == form["text"]
