"""The edits agents make to saved replies are kept; a lead adopts the common one as a new version."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from inbox.models import Reply, SavedReply
from inbox.reply_services import fill_variables
from learning.edits import collect_edits
from learning.models import SavedReplyEdit, SavedReplyVersion
from tests.factories import AuthorFactory, ConversationFactory

pytestmark = pytest.mark.django_db

EDITED = (
    "Hi {customer_name}, sorry your card was declined. Please send us a private message with the time "
    "and the shop (never your card number) and we will check it within the hour. {agent_first_name}"
)


def sent(saved, agent, name, text_for):
    customer = AuthorFactory(name=name, handle=name.lower().replace(" ", "_"))
    conversation = ConversationFactory(customer=customer)
    text = fill_variables(text_for, conversation=conversation, agent=agent)
    return Reply.objects.create(
        conversation=conversation,
        author=agent,
        channel="public",
        text=text,
        saved_reply=saved,
        state=Reply.State.SENT,
        external_id=f"e-{name}",
        sent_at=timezone.now(),
    )


def test_common_edits_are_shown_and_one_is_adopted(client, agent, other_agent, lead, library):
    saved = SavedReply.objects.get(shortcut="declined")
    original = saved.body
    sent(saved, agent, "Jane Doe", EDITED)  # same change, different customers and agents: one edit
    sent(saved, other_agent, "Omar Haddad", EDITED)
    sent(saved, agent, "Li Wei", original)  # used as it is
    sent(saved, agent, "Sam Roe", original + " Card 4111 1111 1111 1111")  # personal data: not kept
    assert collect_edits(now=timezone.now()) == 4
    assert collect_edits(now=timezone.now()) == 0  # each reply once
    assert not SavedReplyEdit.objects.filter(text__contains="4111").exists()

    client.force_login(lead)
    page = client.get(reverse("learning:saved_edits", args=[saved.pk])).content.decode()
    assert "Sent 4 times since this text: 1 as it is, 3 changed." in page
    assert "within the hour" in page and "2 times" in page

    response = client.post(reverse("learning:adopt_edit", args=[saved.pk]), {"text": EDITED})
    assert response.status_code == 302
    saved.refresh_from_db()
    assert saved.body == EDITED
    assert list(saved.versions.values_list("number", "source", "body")) == [
        (1, "original", original),
        (2, "adopted edit", EDITED),
    ]
    event = AuditEvent.objects.get(verb="saved_reply.adopt_edit")
    assert (event.before["version"], event.after["version"]) == (1, 2)
    assert AuditEvent.objects.filter(verb="saved_reply.update", object_id=str(saved.pk)).exists()
    # The old text's edits no longer count against the new text.
    page = client.get(reverse("learning:saved_edits", args=[saved.pk])).content.decode()
    assert "Sent 0 times since this text" in page


def test_only_a_recorded_edit_can_be_adopted(client, lead, library):
    saved = SavedReply.objects.get(shortcut="declined")
    client.force_login(lead)
    response = client.post(
        reverse("learning:adopt_edit", args=[saved.pk]), {"text": "Anything I like"}, follow=True
    )
    assert "not among those agents made" in response.content.decode()
    saved.refresh_from_db()
    assert saved.body != "Anything I like"
    assert not SavedReplyVersion.objects.exists()


def test_agents_cannot_adopt(client, agent, library):
    saved = SavedReply.objects.get(shortcut="declined")
    client.force_login(agent)
    assert client.get(reverse("learning:saved_edits", args=[saved.pk])).status_code == 403
    assert client.post(reverse("learning:adopt_edit", args=[saved.pk]), {"text": EDITED}).status_code == 403
