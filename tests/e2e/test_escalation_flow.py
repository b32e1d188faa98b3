"""Agent -> specialist -> agent in Chromium: escalate a card question, answer it, see the answer."""

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


def _login(page, live_server, username: str, landing: str) -> None:
    log_in(page, live_server.url, username, PASSWORD, landing=landing)  # password, then the second factor


def _fresh_page(browser):
    """A second person's browser, failing on any Content-Security-Policy violation like `page`."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return context, page, violations


def test_agent_escalates_specialist_answers_agent_gets_the_reply(page, browser, live_server):
    agent = make_person("amira", roles.AGENT, first_name="Amira", last_name="Khan")
    lead = make_person("laura", roles.LEAD, first_name="Laura", last_name="Schmidt")
    cards = make_department("Cards")
    fraud = make_department("Fraud", around_the_clock=True)
    cards.members.add(make_person("carla", roles.SPECIALIST, first_name="Carla", last_name="Reyes"))
    fraud.members.add(make_person("fred", roles.SPECIALIST, first_name="Fred", last_name="Olsen"))
    services.routing_rule_save(
        actor=lead, fields={"name": "Card trouble", "phrases": "declined", "department": cards}
    )
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe")
    conversation = ConversationFactory(customer=customer, status="open", assignee=agent)
    MentionFactory(
        author=customer, thread_key=conversation.thread_key, text="My card was declined at the till, help!"
    )

    # The agent escalates from the conversation: Cards is suggested and preselected.
    _login(page, live_server, "amira", "/inbox/")
    page.goto(f"{live_server.url}/inbox/c/{conversation.pk}/")
    panel = page.locator("#escalation-panel")
    expect(panel).to_contain_text("Suggested: Cards")
    panel.get_by_role("link", name="Escalate to an expert").click()
    expect(page.get_by_label("Department")).to_have_value(str(cards.pk))
    question = page.get_by_label("Question to the expert")
    assert "declined at the till" in question.input_value()
    question.fill(question.input_value() + "Was it the daily limit?")
    page.get_by_role("button", name="Escalate").click()
    page.wait_for_url(f"{live_server.url}/inbox/c/{conversation.pk}/")
    expect(page.locator("#escalation-panel")).to_contain_text("With Cards")
    screenshot(page, "escalation-agent-escalated")

    # Fraud's specialist does not see it.
    fraud_context, fraud_page, fraud_violations = _fresh_page(browser)
    _login(fraud_page, live_server, "fred", "/escalations/")
    expect(fraud_page.locator(".esc-queue")).not_to_contain_text("jane_doe")
    fraud_context.close()
    assert not fraud_violations

    # The Cards specialist finds it in the queue and answers with a proposed reply.
    context, expert, violations = _fresh_page(browser)
    _login(expert, live_server, "carla", "/escalations/")
    row = expert.locator(".esc-row", has_text="jane_doe")
    expect(row.locator(".sla-chip")).to_be_visible()
    row.get_by_role("link").first.click()
    expect(expert.locator(".esc-thread")).to_contain_text("My card was declined at the till, help!")
    screenshot(expert, "escalation-specialist")
    expert.get_by_role("button", name="Claim").click()
    expert.get_by_label("Answer for the social team (internal)").fill(
        "Daily limit reached; resets at midnight."
    )
    expert.get_by_label("Proposed public reply (optional)").fill(
        "Hi Jane, your card reached its daily limit. It resets at midnight."
    )
    expert.get_by_role("button", name="Send answer").click()
    expect(expert.get_by_text("Answered: the conversation is back with the social team.")).to_be_visible()
    context.close()
    assert not violations

    # Back with the agent: the conversation is open again, the proposed reply is there to send.
    page.goto(f"{live_server.url}/inbox/c/{conversation.pk}/")
    expect(page.locator("#conv-status")).to_have_text("Open")
    panel = page.locator("#escalation-panel")
    expect(panel).to_contain_text("Cards answered")
    expect(panel.locator("[data-proposed-reply]")).to_have_value(
        "Hi Jane, your card reached its daily limit. It resets at midnight."
    )
    screenshot(page, "escalation-agent-answered")
