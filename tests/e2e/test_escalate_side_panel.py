"""Escalating from the conversation pane in Chromium: the form opens beside the conversation, the
escalation is made without leaving the inbox, and the pane shows it at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bankbuzz.accounts import roles
from escalations import services
from tests.conftest import PASSWORD, make_person
from tests.e2e.conftest import log_in, screenshot
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_agent_escalates_from_the_side_panel_without_leaving_the_conversation(page, live_server):
    agent = make_person("amira", roles.AGENT, first_name="Amira", last_name="Khan")
    lead = make_person("laura", roles.LEAD, first_name="Laura", last_name="Schmidt")
    cards = make_department("Cards")
    make_department("Fraud", around_the_clock=True)
    services.routing_rule_save(
        actor=lead, fields={"name": "Card trouble", "phrases": "declined", "department": cards}
    )
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe")
    conversation = ConversationFactory(customer=customer, status="open", assignee=agent)
    MentionFactory(
        author=customer, thread_key=conversation.thread_key, text="My card was declined at the till, help!"
    )
    # Another conversation of hers, with a long unbroken preview: it must not push the pane wide.
    ConversationFactory(customer=customer, status="resolved", preview="Thanks" + "!" * 250)
    pane_url = f"{live_server.url}/inbox/c/{conversation.pk}/"

    log_in(page, live_server.url, "amira", PASSWORD, landing="/inbox/")
    page.goto(pane_url)
    others = page.locator(".other-list li")
    expect(others).to_have_count(1)
    card = page.locator(".customer-card").bounding_box()
    item = others.first.bounding_box()
    assert item["x"] + item["width"] <= card["x"] + card["width"] + 1  # "Other conversations" fits its card
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.locator("#escalation-panel").get_by_role("link", name="Escalate to an expert").click()

    # The form opens in a side panel over the pane: the conversation stays where it was.
    sheet = page.get_by_role("dialog", name="Ask an expert about @jane_doe")
    expect(sheet).to_be_visible()
    assert page.url == pane_url
    expect(page.locator("#thread")).to_contain_text("My card was declined at the till")
    expect(sheet.get_by_label("Department")).to_have_value(str(cards.pk))
    box = sheet.bounding_box()
    assert box["x"] + box["width"] <= 1280 + 1  # inside the window, at its right edge
    screenshot(page, "escalate-side-panel")

    # Cancel closes it; opening it again gives the same form.
    sheet.get_by_role("button", name="Cancel").click()
    expect(sheet).to_have_count(0)
    page.locator("#escalation-panel").get_by_role("link", name="Escalate to an expert").click()
    sheet = page.get_by_role("dialog", name="Ask an expert about @jane_doe")

    # An empty question is refused in the panel, not a page away.
    question = sheet.get_by_label("Question to the expert")
    question.fill("")
    question.evaluate("element => element.removeAttribute('required')")  # as a script-less client would
    sheet.get_by_role("button", name="Escalate").click()
    expect(sheet).to_contain_text("This field is required")
    assert page.url == pane_url

    sheet.get_by_label("Question to the expert").fill("Was it the daily limit?")
    sheet.get_by_role("button", name="Escalate").click()
    expect(page.locator("#escalation-panel")).to_contain_text("With Cards")
    expect(page.locator("#toast")).to_have_text("Escalated to Cards.")
    expect(page.locator("#escalate-sheet")).to_be_empty()
    assert page.url == pane_url
    # One confirmation, not a flash as well.
    expect(page.locator(".flash")).to_have_count(0)

    from escalations.models import Escalation

    escalation = Escalation.objects.get()
    assert escalation.question == "Was it the daily limit?" and escalation.requested_by == agent
