"""Which tab of the composer a conversation opens on: the reply when the customer waits for the bank."""

import pytest

from inbox import services
from inbox.models import Conversation
from tests.html_tree import parse
from tests.inbox.world import customer_message

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def _open_tab(html: str) -> str:
    """The composer's selected tab, after checking that only its panel shows."""
    tree = parse(html)
    selected = [
        tab.attrs["data-tab"]
        for tab in tree.find_all("button", role="tab")
        if tab.attrs.get("aria-selected") == "true"
    ]
    assert len(selected) == 1, selected
    shown = [panel.attrs["id"] for panel in tree.find_all(role="tabpanel") if "hidden" not in panel.attrs]
    assert shown == [f"panel-{selected[0]}"]
    return selected[0]


def test_a_new_or_open_conversation_opens_on_the_reply(client, agent):
    conversation = customer_message(text="Where is my new card?", thread="c1", handle="tom")
    client.force_login(agent)
    assert _open_tab(client.get(f"/inbox/c/{conversation.pk}/", **HX).content.decode()) == "reply"
    services.conversation_claim(actor=agent, conversation=conversation, seen_version=conversation.version)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    # The direct link prints the same pane.
    assert _open_tab(client.get(f"/inbox/c/{conversation.pk}/").content.decode()) == "reply"


@pytest.mark.parametrize("status", ["waiting_customer", "waiting_expert", "resolved", "spam"])
def test_a_conversation_that_does_not_wait_for_the_bank_opens_on_the_note(client, agent, status):
    conversation = customer_message(text="Where is my new card?", thread="c2", handle="tom")
    services.conversation_set_status(
        actor=agent, conversation=conversation, status=status, seen_version=conversation.version
    )
    client.force_login(agent)
    assert _open_tab(client.get(f"/inbox/c/{conversation.pk}/", **HX).content.decode()) == "note"


def test_after_a_note_the_composer_stays_on_the_note(client, agent):
    conversation = customer_message(text="Where is my new card?", thread="c3", handle="tom")
    client.force_login(agent)
    response = client.post(f"/inbox/c/{conversation.pk}/notes/", {"text": "Checking with cards"}, **HX)
    assert response.status_code == 200 and "Checking with cards" in response.content.decode()
    assert _open_tab(response.content.decode()) == "note"
    # An empty note is refused, on the note's tab, with the reason.
    response = client.post(f"/inbox/c/{conversation.pk}/notes/", {"text": ""}, **HX)
    assert response.status_code == 422 and "Write the note first" in response.content.decode()
    assert _open_tab(response.content.decode()) == "note"
