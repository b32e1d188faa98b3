"""As a new user would: make a token on the profile page in Chromium, then, with that token alone
(what the README's curl commands do), list the urgent open conversations, claim one and reply.
And the API docs page renders Swagger UI from the vendored files without a CSP violation."""

from __future__ import annotations

import pytest
import requests

from inbox.models import Conversation, Reply
from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def urgent(db):
    return customer_message(
        text="@northbridgebank my card was declined at the airport and I cannot pay for my flight",
        thread="t-airport",
        priority="urgent",
        handle="rosa_garcia",
        name="Rosa Garcia",
    )


def test_token_from_profile_then_list_claim_reply(page, login, live_server, agent, urgent):
    login(page, "amira")
    page.goto(f"{live_server.url}/accounts/me/")
    page.get_by_label("Name").fill("curl")
    page.get_by_label("Scope").select_option("write")
    page.get_by_role("button", name="Make a token").click()
    token = page.locator("#new-token").input_value()
    assert token.startswith("bbz_")

    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {token}"
    base = f"{live_server.url}/api/v1"
    listed = api.get(f"{base}/conversations/", params={"view": "urgent"}, timeout=10)
    assert listed.status_code == 200
    rows = listed.json()["results"]
    assert [row["id"] for row in rows] == [urgent.pk]

    claimed = api.post(
        f"{base}/conversations/{urgent.pk}/claim/", json={"version": rows[0]["version"]}, timeout=10
    )
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["assignee"]["username"] == "amira"

    replied = api.post(
        f"{base}/conversations/{urgent.pk}/reply/",
        json={
            "text": "Sorry Rosa, we are on it: please check your DMs.",
            "channel": "public",
            "version": claimed.json()["version"],
        },
        timeout=10,
    )
    assert replied.status_code == 201, replied.text
    reply = Reply.objects.get(pk=replied.json()["id"])
    assert reply.author.username == "amira" and reply.conversation_id == urgent.pk
    assert Conversation.objects.get(pk=urgent.pk).assignee.username == "amira"


def test_docs_page_renders_under_the_csp(page, login, live_server, agent):
    login(page, "amira")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 20
    assert "BankBuzz API" in page.locator(".swagger-ui .title").first.inner_text()
