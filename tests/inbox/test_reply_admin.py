"""The admin shows replies and saved replies; changes go through the services (state-guarded, audited)."""

import pytest

from inbox import reply_services
from inbox.models import SavedReply

pytestmark = pytest.mark.django_db


def test_replies_and_saved_replies_are_listed_but_not_changed_in_the_admin(client, administrator, lead):
    saved = reply_services.saved_reply_create(
        actor=lead, title="Thanks", body="Thank you!", shortcut="thanks"
    )
    client.force_login(administrator)
    for url in ("/admin/inbox/reply/", "/admin/inbox/savedreply/"):
        assert client.get(url).status_code == 200
    page = client.get(f"/admin/inbox/savedreply/{saved.pk}/change/")
    assert page.status_code == 200 and b"View saved reply" in page.content
    assert b'name="_save"' not in page.content
    assert client.get("/admin/inbox/reply/add/").status_code == 403
    assert client.get("/admin/inbox/savedreply/add/").status_code == 403
    response = client.post(f"/admin/inbox/savedreply/{saved.pk}/change/", {"title": "Hacked", "body": "x"})
    assert response.status_code == 403
    assert SavedReply.objects.get(pk=saved.pk).title == "Thanks"
