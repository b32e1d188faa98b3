import pytest
from django.urls import reverse

from tests.conftest import PASSWORD


@pytest.mark.parametrize("url", ["/", "/inbox/", "/accounts/me/"])
def test_every_page_needs_a_login(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_login_then_logout_ends_the_session_on_the_server(client, agent):
    response = client.post(reverse("accounts:login"), {"username": "amira", "password": PASSWORD})
    assert response.status_code == 302
    session_key = client.session.session_key
    assert client.get("/inbox/").status_code == 200

    from django.contrib.sessions.models import Session

    assert Session.objects.filter(session_key=session_key).exists()
    client.post(reverse("accounts:logout"))
    assert not Session.objects.filter(session_key=session_key).exists()
    assert client.get("/inbox/").status_code == 302


def test_wrong_password_says_so(client, agent):
    response = client.post(reverse("accounts:login"), {"username": "amira", "password": "nope"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()
