"""In-app notifications: notify(), the menu, marking read."""

import pytest
from django.core import mail

from bankbuzz.accounts.models import Notification
from bankbuzz.accounts.notifications import notify, unread_count

pytestmark = pytest.mark.django_db


def test_notify_once_per_active_person_and_email_after_commit(
    agent, other_agent, eager_emails, django_capture_on_commit_callbacks
):
    other_agent.is_active = False
    other_agent.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[agent, agent, other_agent], verb="test", text="Hello", url="/inbox/")
    assert Notification.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["amira@bank.example"]]


def test_in_app_only(agent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(recipients=[agent], verb="test", text="Hello", url="/inbox/", email=False)
    assert callbacks == []


def test_unread_count_is_capped(agent):
    notify(recipients=[agent], verb="t", text="x", url="/", email=False)
    Notification.objects.bulk_create(
        [Notification(recipient=agent, verb="t", text="x", url="/") for _ in range(120)]
    )
    assert unread_count(agent) == 100


def test_the_menu_badge_and_opening_one(client, agent, other_agent):
    [mine] = notify(
        recipients=[agent], verb="t", text="Ben mentioned you", url="/inbox/?view=mine", email=False
    )
    [theirs] = notify(recipients=[other_agent], verb="t", text="secret", url="/inbox/", email=False)
    client.force_login(agent)
    assert ">1<" in client.get("/accounts/notifications/badge/").content.decode()
    menu = client.get("/accounts/notifications/", HTTP_HX_REQUEST="true").content.decode()
    assert "Ben mentioned you" in menu and "secret" not in menu
    response = client.post(f"/accounts/notifications/{mine.pk}/open/")
    assert response["Location"] == "/inbox/?view=mine"
    mine.refresh_from_db()
    assert mine.read_at is not None
    # Somebody else's notification: not found for this user, nothing marked.
    client.post(f"/accounts/notifications/{theirs.pk}/open/")
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_only_local_urls_are_followed(client, agent):
    [bad] = notify(recipients=[agent], verb="t", text="x", url="https://evil.example/", email=False)
    client.force_login(agent)
    assert client.post(f"/accounts/notifications/{bad.pk}/open/")["Location"] == "/"


def test_mark_all_read(client, agent):
    notify(recipients=[agent], verb="t", text="a", url="/", email=False)
    notify(recipients=[agent], verb="t", text="b", url="/", email=False)
    client.force_login(agent)
    client.post("/accounts/notifications/read-all/")
    assert unread_count(agent) == 0
