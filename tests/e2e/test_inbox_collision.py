"""Two agents in two browsers on one conversation: presence, typing, and the stale-action warning."""

import pytest
from playwright.sync_api import expect

from inbox.models import Conversation
from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def second_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_two_agents_see_each_other_and_a_stale_action_is_refused(
    page, second_page, login, agent, other_agent
):
    conversation = customer_message(text="Someone took £400 from my account", thread="c1", handle="jan")
    amira, ben = page, second_page
    login(amira, "amira")
    login(ben, "ben")
    for person in (amira, ben):
        person.locator(f"#row-{conversation.pk} .row-link").click()
        expect(person.locator("#pane [data-conversation-id]")).to_be_visible()

    # Presence: each sees the other has it open, and the list marks the row.
    expect(amira.locator("#presence")).to_contain_text("Ben Okafor is viewing", timeout=10_000)
    expect(ben.locator("#presence")).to_contain_text("Amira Khan is viewing", timeout=10_000)

    # Typing shows up live.
    ben.get_by_role("tab", name="Internal note").click()
    ben.locator("#note-text").press_sequentially("Checking with fraud", delay=30)
    expect(amira.locator("#presence")).to_contain_text("Ben Okafor is typing a note", timeout=10_000)

    # Ben takes it. Amira's pane tells her, without a reload...
    ben.get_by_role("button", name="Assign to me").click()
    expect(ben.locator("#conv-assignee")).to_contain_text("Assigned to you")
    expect(amira.locator("#changed-banner")).to_contain_text("Ben Okafor took it", timeout=10_000)

    # ...and if she resolves from what she saw, she is refused before anything applies.
    amira.get_by_role("button", name="Resolve").click()
    error = amira.locator("#action-error")
    expect(error).to_contain_text("Not done: since you opened it, Ben Okafor took it")
    expect(error).to_be_focused()
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.OPEN
    assert conversation.assignee == other_agent
    # The pane now shows the conversation as it is, so a deliberate second try works.
    expect(amira.locator("#conv-assignee")).to_contain_text("Assigned to Ben Okafor")
    amira.get_by_role("button", name="Resolve").click()
    expect(amira.locator("#conv-status")).to_have_text("Resolved")
    # Ben's unsent note survived all of this, in the tab he was writing in.
    expect(ben.locator("#note-text")).to_have_value("Checking with fraud")
    expect(ben.locator("#note-text")).to_be_visible()
