"""The conversation pane and the actions posted from it."""

import pytest

from bankbuzz.audit.models import AuditEvent
from inbox import services
from inbox.models import Conversation
from tests.inbox.world import customer_message

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def card(db):
    return customer_message(
        text="block my card 4111 1111 1111 1111 now", thread="p1", handle="tom_h", name="Tom Hughes"
    )


def test_the_pane_shows_the_thread_masked_with_notes_and_events(client, agent, other_agent, card):
    services.conversation_claim(actor=other_agent, conversation=card, seen_version=1)
    services.note_add(actor=other_agent, conversation=card, text="Blocked by phone team")
    client.force_login(agent)
    response = client.get(f"/inbox/c/{card.pk}/", **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "4111 1111 1111 1111" not in html
    assert "1111 now" in html  # masked, the last four digits kept
    assert "Blocked by phone team" in html
    assert "Ben Okafor</strong> took it" in html
    assert "Reveal (recorded)" in html
    assert f'name="version" value="{card.version + 2}"' in html
    assert 'id="reply-text"' in html  # the reply composer


def test_a_direct_link_opens_the_inbox_with_the_conversation(client, agent, card):
    client.force_login(agent)
    html = client.get(f"/inbox/c/{card.pk}/").content.decode()
    # The conversation at once; the list's rows in their own request (tests/inbox/test_direct_link.py).
    assert f'data-conversation-id="{card.pk}"' in html and 'id="rows"' not in html
    assert 'id="list-loading"' in html and 'hx-get="/inbox/"' in html
    rows = client.get("/inbox/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="list-region").content.decode()
    assert 'id="rows"' in rows and f'id="row-{card.pk}"' in rows


def test_readers_see_no_actions_and_cannot_post_or_unmask(client, manager, card):
    client.force_login(manager)
    html = client.get(f"/inbox/c/{card.pk}/", **HX).content.decode()
    assert "Assign to me" not in html and "Reveal" not in html and "Add note" not in html
    assert client.post(f"/inbox/c/{card.pk}/claim/", {"version": 1}).status_code == 403
    mention_id = card.customer.mentions.get().pk
    assert client.post(f"/inbox/c/{card.pk}/messages/{mention_id}/unmask/").status_code == 403


def test_unmask_shows_the_text_and_audits_it(client, agent, card):
    client.force_login(agent)
    mention = card.customer.mentions.get()
    response = client.post(f"/inbox/c/{card.pk}/messages/{mention.pk}/unmask/", **HX)
    assert "4111 1111 1111 1111" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    event = AuditEvent.objects.get(verb="mention.unmask")
    assert (event.actor, event.object_id) == (agent, str(mention.pk))


def test_a_message_of_another_conversation_cannot_be_unmasked_through_this_one(client, agent, card):
    other = customer_message(text="call me on 07700 900123", thread="p2", handle="x1")
    client.force_login(agent)
    mention = other.customer.mentions.get()
    assert client.post(f"/inbox/c/{card.pk}/messages/{mention.pk}/unmask/").status_code == 403


def test_claim_over_http_returns_the_pane_and_the_list_row(client, agent, card):
    client.force_login(agent)
    response = client.post(f"/inbox/c/{card.pk}/claim/", {"version": card.version}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Assigned to <strong>you</strong>" in html
    assert f'id="row-{card.pk}"' in html and 'hx-swap-oob="true"' in html


def test_a_stale_action_is_a_409_with_the_reason_and_the_latest_state(client, agent, other_agent, card):
    services.conversation_claim(actor=other_agent, conversation=card, seen_version=1)
    client.force_login(agent)
    response = client.post(f"/inbox/c/{card.pk}/status/", {"version": 1, "status": "resolved"}, **HX)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Not done: since you opened it, Ben Okafor took it" in html
    assert "Assigned to <strong>Ben Okafor</strong>" in html
    assert Conversation.objects.get(pk=card.pk).status == "open"


def test_without_javascript_actions_redirect_with_a_message(client, agent, card):
    client.force_login(agent)
    response = client.post(f"/inbox/c/{card.pk}/status/", {"version": 1, "status": "resolved"}, follow=True)
    assert response.redirect_chain[-1][0].startswith(f"/inbox/c/{card.pk}/")
    assert "Status: Resolved." in response.content.decode()


def test_tag_and_note_over_http(client, agent, card):
    client.force_login(agent)
    client.post(f"/inbox/c/{card.pk}/tags/", {"name": "Lost or stolen"}, **HX)
    tag = card.tags.get()
    html = client.post(f"/inbox/c/{card.pk}/notes/", {"text": "on it"}, **HX).content.decode()
    assert "on it" in html and "Lost or stolen" in html
    client.post(f"/inbox/c/{card.pk}/tags/{tag.pk}/remove/", **HX)
    assert not card.tags.exists()
    assert client.post(f"/inbox/c/{card.pk}/notes/", {"text": ""}, **HX).status_code == 422


def test_links_are_rendered_only_for_http(client, agent):
    conversation = customer_message(text="hi", thread="p3", handle="evil")
    customer = conversation.customer
    customer.profile_url = "javascript:alert(1)"
    customer.avatar_url = "data:image/svg+xml,<svg onload=alert(1)>"
    customer.save()
    conversation.customer.mentions.update(url="javascript:alert(2)")
    client.force_login(agent)
    html = client.get(f"/inbox/c/{conversation.pk}/", **HX).content.decode()
    assert "javascript:" not in html and "data:image" not in html


def test_live_reports_presence_and_what_changed(client, agent, other_agent, card):
    client.force_login(other_agent)
    client.post(f"/inbox/c/{card.pk}/live/", {"v": 1, "seen": 1, "typing": "note"})
    client.force_login(agent)
    html = client.post(f"/inbox/c/{card.pk}/live/", {"v": 1, "seen": 1}).content.decode()
    assert "Ben Okafor is typing a note" in html
    assert "Changed since" not in html
    services.conversation_resolve(actor=other_agent, conversation=card, seen_version=1)
    html = client.post(f"/inbox/c/{card.pk}/live/", {"v": 1, "seen": 1}).content.decode()
    assert "Changed since you opened it: Ben Okafor resolved it." in html
    assert 'id="thread"' in html and 'id="thread-version" value="2"' in html


def test_only_writers_are_shown_typing(client, manager, agent, card):
    client.force_login(manager)
    client.post(f"/inbox/c/{card.pk}/live/", {"v": 1, "seen": 1, "typing": "note"})
    client.force_login(agent)
    html = client.post(f"/inbox/c/{card.pk}/live/", {"v": 1, "seen": 1}).content.decode()
    assert "is viewing" in html and "typing" not in html
