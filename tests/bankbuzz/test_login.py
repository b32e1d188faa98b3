import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from tests.conftest import PASSWORD
from tests.security.auth import current_code, totp_device


@pytest.mark.parametrize("url", ["/", "/inbox/", "/accounts/me/"])
def test_every_page_needs_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def _password(client, username="amira", password=PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


def test_login_then_logout_ends_the_session_on_the_server(agent):
    client = Client()
    totp_device(agent)
    before = client.get(reverse("accounts:login")) and client.cookies.get("sessionid")
    response = _password(client)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:verify"))
    client.post(reverse("accounts:verify"), {"code": current_code(agent)})
    session_key = client.session.session_key
    assert before is None or before.value != session_key
    assert client.get("/inbox/").status_code == 200

    assert Session.objects.filter(session_key=session_key).exists()
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get("/inbox/").status_code == 302
    verbs = list(AuditEvent.objects.filter(actor=agent).order_by("id").values_list("verb", flat=True))
    assert verbs[-2:] == ["user.login", "user.logout"]


def test_a_new_session_key_on_login_and_again_after_the_second_factor(agent):
    client = Client()
    totp_device(agent)
    client.get(reverse("accounts:login"))
    session = client.session
    session["planted"] = "by an attacker"  # session fixation: a key known before login
    session.save()
    planted = session.session_key
    _password(client)
    after_password = client.session.session_key
    assert after_password != planted
    client.post(reverse("accounts:verify"), {"code": current_code(agent)})
    assert client.session.session_key not in (planted, after_password)
    assert not Session.objects.filter(session_key=planted).exists()


def test_wrong_password_says_so(client, agent):
    response = _password(client, password="nope")
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
