"""The guard's policy by kind through the composer, posted as the browser posts it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from inbox import reply_services
from inbox.models import Reply
from tests.inbox.replying import sandbox_conversation

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}

CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"
MASKED_IBAN = "GB•• •••• •••• •••• ••54 32"


@pytest.fixture
def conversation(sandbox, x_account, django_capture_on_commit_callbacks):
    return sandbox_conversation(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        text="@northbridgebank where did my refund go?",
    )


def send(client, conversation, text, *, channel="public", **extra):
    """The composer's form as Chromium submits it (the hidden fields, the radio, the textarea)."""
    conversation.refresh_from_db()
    data = {"version": conversation.version, "saved_reply": "", "channel": channel, "text": text, **extra}
    return client.post(reverse("inbox:reply", args=[conversation.pk]), data, **HX)


def test_a_card_number_is_refused_in_private_and_no_one_may_override(client, lead, conversation):
    client.force_login(lead)
    for channel in ("public", "private"):
        response = send(client, conversation, f"Your card {CARD} is blocked", channel=channel)
        html = response.content.decode()
        assert response.status_code == 422
        assert "in public or in a private message" in html and 'id="guard-never"' in html
        assert "Send as a private message instead" not in html
        assert "Override the guard" not in html
    # An override reason sent anyway (a crafted form) changes nothing.
    response = send(
        client, conversation, f"Your card {CARD}", override_reason="The customer asked for it twice."
    )
    assert response.status_code == 422
    response = send(client, conversation, f"Your card {CARD}", channel="private", confirm_private="on")
    assert response.status_code == 422
    assert not Reply.objects.exists()


def test_an_iban_is_offered_privately_and_goes_once_confirmed(client, agent, conversation):
    client.force_login(agent)
    public = send(client, conversation, f"Refunded to {IBAN}").content.decode()
    assert "Send as a private message instead" in public and 'name="confirm_private"' in public
    waiting = send(client, conversation, f"Refunded to {IBAN}", switch="private")
    assert waiting.status_code == 422
    assert "Confirm that the customer asked for it" in waiting.content.decode()
    assert not Reply.objects.exists()
    response = send(client, conversation, f"Refunded to {IBAN}", switch="private", confirm_private="on")
    assert response.status_code == 200
    reply = Reply.objects.get()
    assert (reply.channel, reply.text) == ("private", f"Refunded to {IBAN}")
    assert AuditEvent.objects.get(verb="reply.create").after["confirmed_in_private"] == ["an IBAN"]


def test_an_email_address_needs_no_confirmation_in_private(client, agent, conversation):
    client.force_login(agent)
    public = send(client, conversation, "Write to rosa@example.com").content.decode()
    assert "Send as a private message instead" in public and 'name="confirm_private"' not in public
    assert send(client, conversation, "Write to rosa@example.com", switch="private").status_code == 200


def test_a_pending_override_is_masked_to_all_but_its_author_and_approvers(
    client, lead, agent, compliance, conversation
):
    reply = reply_services.reply_submit(
        actor=lead,
        conversation=conversation,
        channel="public",
        text=f"Refunded to {IBAN}",
        seen_version=None,
        override_reason="The customer asked us to confirm it in public.",
    )
    assert reply.state == Reply.State.AWAITING_APPROVAL
    pane = reverse("inbox:detail", args=[conversation.pk])
    for person, sees_it_whole in ((agent, False), (lead, True), (compliance, True)):
        client.force_login(person)
        html = client.get(pane, **HX).content.decode()
        assert (IBAN in html) is sees_it_whole, person
        assert (MASKED_IBAN in html) is not sees_it_whole, person


def test_the_banks_own_numbers_pass_in_public(client, agent, conversation, settings):
    settings.BANK_PUBLIC_CONTACTS = ("+443453000000", "GB33BUKB20201555555555")
    client.force_login(agent)
    response = send(client, conversation, "Call 0345 300 0000 or pay GB33 BUKB 2020 1555 5555 55")
    assert response.status_code == 200
    assert Reply.objects.get().channel == "public"
