"""An agent works conversations in Chromium: claim, tag, note with an @mention, resolve, reopen."""

import pytest
from playwright.sync_api import expect

from bankbuzz.audit.models import AuditEvent
from inbox.models import Conversation
from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_conversation(page, conversation):
    page.locator(f"#row-{conversation.pk} .row-link").click()
    expect(page.locator("#pane [data-conversation-id]")).to_have_attribute(
        "data-conversation-id", str(conversation.pk)
    )


def test_claim_tag_and_resolve(page, login, agent):
    conversation = customer_message(
        text="My card was declined at the till", thread="t1", handle="rosa", name="Rosa García"
    )
    login(page, "amira")
    open_conversation(page, conversation)

    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("#conv-assignee")).to_contain_text("Assigned to you")
    # The list row shows the assignee's initials without a reload.
    expect(page.locator(f"#row-{conversation.pk} .assignee")).to_contain_text("AK")

    page.get_by_label("Add a tag").fill("Card declined")
    page.get_by_label("Add a tag").press("Enter")
    expect(page.locator("#conv-tags")).to_contain_text("Card declined")

    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#conv-status")).to_have_text("Resolved")
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.RESOLVED
    assert conversation.assignee == agent
    assert conversation.tags.get().name == "Card declined"
    verbs = set(AuditEvent.objects.filter(object_id=str(conversation.pk)).values_list("verb", flat=True))
    assert {"conversation.assign", "conversation.tag_add", "conversation.status"} <= verbs


def test_keyboard_claim_and_resolve(page, login, agent):
    first = customer_message(text="first customer", thread="k1", minutes_ago=1)
    second = customer_message(text="second customer", thread="k2", minutes_ago=2)
    login(page, "amira")
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(page.locator(f"#row-link-{second.pk}")).to_be_focused()
    page.keyboard.press("k")
    page.keyboard.press("Enter")
    expect(page.locator("#pane [data-conversation-id]")).to_have_attribute(
        "data-conversation-id", str(first.pk)
    )
    page.keyboard.press("a")
    expect(page.locator("#conv-assignee")).to_contain_text("Assigned to you")
    page.keyboard.press("e")
    expect(page.locator("#conv-status")).to_have_text("Resolved")
    # The swap has settled (htmx gives the focus back to the row's new link by then) before the next key.
    expect(page.locator(".htmx-request, .htmx-swapping, .htmx-settling")).to_have_count(0)
    page.keyboard.press("/")
    expect(page.get_by_label("Search messages, names and @handles")).to_be_focused()
    page.keyboard.press("Escape")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()


def test_a_note_with_an_mention_notifies_the_colleague(browser, live_server, page, login, agent, other_agent):
    conversation = customer_message(text="Is the app down?", thread="t2", handle="priya")
    login(page, "amira")
    open_conversation(page, conversation)
    # A conversation that waits for the bank opens on the reply; the note is the other tab.
    expect(page.get_by_role("tab", name="Reply to customer")).to_have_attribute("aria-selected", "true")
    page.get_by_role("tab", name="Internal note").click()
    page.get_by_label("Internal note (only your team sees it; @username notifies a colleague)").fill(
        "Outage confirmed by IT, @ben can you post the status update?"
    )
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#thread .note")).to_contain_text("@ben can you post the status update?")
    expect(page.get_by_role("tab", name="Internal note")).to_have_attribute("aria-selected", "true")

    colleague = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(colleague, "ben")
    badge = colleague.locator("#notif-badge .notif-count")
    expect(badge).to_contain_text("1")
    colleague.get_by_text("Notifications").click()
    item = colleague.locator(".notif-item").first
    expect(item).to_contain_text("Amira Khan mentioned you in a note on @priya")
    item.get_by_role("button").click()
    expect(colleague.locator("#pane .note")).to_contain_text("@ben can you post")
    expect(colleague.locator("#notif-badge .notif-count")).to_have_count(0)
    colleague.context.close()


def test_a_new_customer_message_reopens_a_resolved_conversation(page, login, agent):
    conversation = customer_message(text="Where is my new card?", thread="t3", handle="tom")
    login(page, "amira")
    open_conversation(page, conversation)
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#conv-status")).to_have_text("Resolved")

    customer_message(text="Still not here, a week later!", thread="t3", author=conversation.customer)

    # The open pane learns about it by itself, and says so.
    expect(page.locator("#thread")).to_contain_text("Still not here, a week later!", timeout=10_000)
    expect(page.locator("#changed-banner")).to_contain_text("it reopened because @tom wrote again")
    page.get_by_role("button", name="Show the latest").click()
    expect(page.locator("#conv-status")).to_have_text("Open")
    expect(page.locator(f"#row-{conversation.pk} .badge-status")).to_have_text("Open")
