"""The saved replies' list, as a lead reads it."""

import pytest

from inbox.replies.saved import saved_reply_create

pytestmark = pytest.mark.django_db


def test_the_list_names_each_reply_s_networks_as_people_do(client, lead):
    saved_reply_create(
        actor=lead, title="Card stolen", body="Freeze it in the app.", networks=["linkedin", "x"]
    )
    saved_reply_create(actor=lead, title="Branch hours", body="Most branches open at nine.")
    client.force_login(lead)
    html = client.get("/inbox/saved-replies/").content.decode()
    assert '<span class="net net-linkedin">LinkedIn</span> <span class="net net-x">X</span>' in html
    assert '<span class="muted">All</span>' in html  # meant for every network
