"""Compliance officers see and place legal holds from the conversation itself; approvals in the rail."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bankbuzz.audit import retention
from tests.factories import ConversationFactory, MentionFactory
from tests.panes import conversation_html

pytestmark = pytest.mark.django_db


def _conversation():
    conv = ConversationFactory(status="open")
    MentionFactory(
        author=conv.customer, network=conv.network, thread_key=conv.thread_key, text="Card declined"
    )
    return conv


def _pane(client, user, conv) -> str:
    client.force_login(user)
    return conversation_html(client, conv.pk)


def test_compliance_sees_no_hold_and_a_prefilled_link_to_place_one(client, compliance):
    conv = _conversation()
    html = _pane(client, compliance, conv)
    assert "Legal hold" in html and "None: retention and erasure apply." in html
    assert f"{reverse('audit:hold_new')}?target=conversation&amp;ref={conv.pk}" in html


def test_a_hold_on_the_customer_shows_in_their_conversation(client, compliance):
    conv = _conversation()
    retention.legal_hold_place(
        actor=compliance, target_key="author", reference=str(conv.customer_id), reason="Case FCA-2031-17"
    )
    html = _pane(client, compliance, conv)
    assert "On hold" in html and "Case FCA-2031-17" in html
    assert "None: retention and erasure apply." not in html


def test_a_lifted_hold_is_no_longer_shown(client, compliance):
    conv = _conversation()
    hold = retention.legal_hold_place(
        actor=compliance, target_key="conversation", reference=str(conv.pk), reason="Complaint 88"
    )
    retention.legal_hold_lift(actor=compliance, hold=hold, reason="Closed")
    assert "Complaint 88" not in _pane(client, compliance, conv)


def test_agents_see_no_hold_section(client, agent):
    html = _pane(client, agent, _conversation())
    assert "Place a legal hold" not in html and "Legal hold" not in html


@pytest.mark.parametrize(("persona", "shown"), [("compliance", True), ("lead", True), ("agent", False)])
def test_the_approvals_link_is_in_the_rail_of_those_who_approve(client, request, persona, shown):
    client.force_login(request.getfixturevalue(persona))
    html = client.get(reverse("inbox:list")).content.decode()
    assert (reverse("inbox:approvals") in html) is shown
