"""Personal data is masked in every API answer and on the admin's reply page, for every role.

A reply, a note and an escalation step that quote a full card number and an IBAN come back with
all but the last four digits hidden; unmasking stays the inbox's recorded *Reveal*.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from escalations import services as escalation_services
from inbox import services as inbox_services
from inbox.models import Reply

pytestmark = pytest.mark.django_db

CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"
TEXT = f"Your card {CARD} is unblocked; the refund went to {IBAN}."
CLEAR = ("4111 1111 1111", "4111111111111111", "WEST 1234 5698", "GB82WEST")


def _clear_in(body: str) -> list[str]:
    return [part for part in CLEAR if part in body]


@pytest.fixture
def quoted(world):
    reply = Reply.objects.create(
        conversation=world.card_conv,
        author=world.lead,
        channel="private",
        text=TEXT,
        state=Reply.State.AWAITING_APPROVAL,
        override_reason=f"She asked for {CARD}",
    )
    inbox_services.note_add(
        actor=world.agent, conversation=world.card_conv, text=f"She gave {CARD} and {IBAN}"
    )
    escalation_services.escalation_answer(
        actor=world.cards_expert,
        escalation=escalation_services.escalation_claim(actor=world.cards_expert, escalation=world.card_esc),
        answer=f"Card {CARD} was blocked by the fraud rules",
        proposed_reply=f"We refunded {IBAN}",
    )
    return reply


@pytest.mark.parametrize("persona", ["agent", "lead", "manager", "compliance", "cards_expert"])
def test_api_answers_show_card_numbers_and_ibans_masked(world, api, quoted, persona):
    client = api(getattr(world, persona))
    paths = [f"/api/v1/escalations/{world.card_esc.pk}/", "/api/v1/escalations/"]
    if persona != "cards_expert":
        paths += [
            f"/api/v1/replies/{quoted.pk}/",
            f"/api/v1/conversations/{world.card_conv.pk}/",
            "/api/v1/conversations/",
        ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.content[:300])
        body = response.content.decode()
        assert not _clear_in(body), (persona, path, _clear_in(body))


def test_the_replies_answer_keeps_the_text_readable_around_the_mask(world, api, quoted):
    text = api(world.lead).get(f"/api/v1/replies/{quoted.pk}/").json()["text"]
    assert len(text) == len(TEXT)
    assert text.startswith("Your card •••• •••• •••• 1111 is unblocked; the refund went to GB")
    assert text.endswith("32.")


def test_the_admins_reply_page_is_masked_and_records_nothing(client, world, quoted):
    from tests.conftest import make_person

    administrator = make_person("ada", "admin", is_staff=True, is_superuser=True)
    client.force_login(administrator)
    before = AuditEvent.objects.count()
    html = client.get(reverse("admin:inbox_reply_change", args=[quoted.pk])).content.decode()
    assert "Text (personal data masked)" in html and "•••• 1111" in html
    assert not _clear_in(html), _clear_in(html)
    listing = client.get(reverse("admin:inbox_note_changelist")).content.decode()
    assert "•••• 1111" in listing and not _clear_in(listing)
    assert AuditEvent.objects.count() == before  # nothing unmasked was shown


def test_unmasking_is_the_recorded_reveal_for_agents(client, world):
    mention = world.card_conv.customer.mentions.get()
    type(mention).objects.filter(pk=mention.pk).update(
        text=f"My card {CARD} was declined",
        has_pii=True,
        pii_findings=[{"kind": "card", "start": 8, "end": 27, "valid": True, "preview": "•••• 1111"}],
    )
    client.force_login(world.agent)
    api_body = client.get(f"/api/v1/conversations/{world.card_conv.pk}/").content.decode()
    assert not _clear_in(api_body)
    url = reverse("inbox:unmask", kwargs={"pk": world.card_conv.pk, "mention_pk": mention.pk})
    revealed = client.post(url)
    assert CARD in revealed.content.decode()
    assert AuditEvent.objects.filter(
        verb="mention.unmask", object_id=str(mention.pk), actor=world.agent
    ).exists()
    client.force_login(world.manager)
    assert client.post(url).status_code == 403
