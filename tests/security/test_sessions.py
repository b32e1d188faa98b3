"""Login throttling (django-axes), idle and absolute session timeouts, htmx polls that do not count."""

from __future__ import annotations

import time

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from bankbuzz.accounts.middleware import ACTIVE_AT, LOGIN_AT
from tests.conftest import PASSWORD
from tests.factories import ConversationFactory
from tests.security.auth import VerifiedClient, current_code, totp_device


def _password(client, password, username="amira"):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_username_with_a_clear_message(agent, settings):
    settings.AXES_FAILURE_LIMIT = 5
    client = Client()
    for _ in range(4):
        assert _password(client, "wrong").status_code == 200
    response = _password(client, "wrong")
    assert response.status_code == 429
    html = response.content.decode()
    assert "Too many wrong passwords" in html and "15 minutes" in html
    # The right password does not help now, nor another address.
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    locked = _password(elsewhere, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in elsewhere.session


def test_the_lockout_does_not_lock_colleagues(agent, other_agent):
    client = Client()
    for _ in range(5):
        _password(client, "wrong")
    totp_device(other_agent)
    response = _password(Client(), PASSWORD, username="ben")
    assert response.status_code == 302


def test_a_locked_out_attempt_is_logged_without_the_password(agent, caplog):
    client = Client()
    with caplog.at_level("WARNING"):
        for _ in range(6):
            _password(client, "hunter2-secret-guess")
    assert "hunter2-secret-guess" not in caplog.text


def _age(client, **seconds_ago):
    session = client.session
    now = time.time()
    for key, ago in seconds_ago.items():
        session[{"login": LOGIN_AT, "active": ACTIVE_AT}[key]] = now - ago
    session.save()
    return session.session_key


def test_idle_timeout_logs_out_and_ends_the_session_on_the_server(client, agent, settings):
    settings.SESSION_IDLE_TIMEOUT = 30 * 60
    client.force_login(agent)
    key = _age(client, login=3600, active=31 * 60)
    response = client.get("/inbox/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not Session.objects.filter(session_key=key).exists()
    page = client.get(response["Location"]).content.decode()
    assert "logged out after 30 minutes without activity" in page


def test_absolute_timeout_ends_even_a_busy_session(client, agent, settings):
    settings.SESSION_ABSOLUTE_TIMEOUT = 10 * 3600
    client.force_login(agent)
    _age(client, login=10 * 3600 + 5, active=1)
    response = client.get("/inbox/")
    assert response["Location"].startswith(reverse("accounts:login"))


def test_activity_keeps_a_session_alive(client, agent):
    client.force_login(agent)
    _age(client, login=3600, active=29 * 60)
    assert client.get("/inbox/").status_code == 200
    assert time.time() - client.session[ACTIVE_AT] < 5


@pytest.mark.parametrize(
    ("name", "method", "data"),
    [
        ("inbox:poll", "get", {}),
        ("accounts:notification_badge", "get", {}),
        ("inbox:live", "post", {"seen": "1", "v": "1"}),
    ],
)
def test_background_polls_do_not_count_as_activity(client, agent, name, method, data):
    conversation = ConversationFactory()
    url = reverse(name, args=[conversation.pk]) if name == "inbox:live" else reverse(name)
    client.force_login(agent)
    _age(client, login=3600, active=20 * 60)
    before = client.session[ACTIVE_AT]
    response = getattr(client, method)(url, data, headers={"HX-Request": "true"})
    assert response.status_code in (200, 204)
    assert client.session[ACTIVE_AT] == before


def test_typing_in_the_composer_counts_as_activity(client, agent):
    conversation = ConversationFactory()
    client.force_login(agent)
    _age(client, login=3600, active=20 * 60)
    client.post(
        reverse("inbox:live", args=[conversation.pk]),
        {"typing": "reply", "seen": "1", "v": "1"},
        headers={"HX-Request": "true"},
    )
    assert time.time() - client.session[ACTIVE_AT] < 5


def test_a_poll_after_the_timeout_sends_the_whole_page_to_the_login(client, agent):
    client.force_login(agent)
    _age(client, login=3600, active=3 * 3600)
    response = client.get(reverse("accounts:notification_badge"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_a_poll_of_a_session_ended_elsewhere_gets_a_full_page_redirect(agent):
    client = VerifiedClient()
    client.force_login(agent)
    client.post(reverse("accounts:logout"))
    response = client.get(reverse("inbox:poll"), headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(reverse("accounts:login"))


def test_a_full_login_starts_both_clocks(agent):
    client = Client()
    totp_device(agent)
    _password(client, PASSWORD)
    client.post(reverse("accounts:verify"), {"code": current_code(agent)})
    assert time.time() - client.session[LOGIN_AT] < 5
