"""Single-key shortcuts can be turned off or given other keys, per person (WCAG 2.1.4); the inbox
works on a phone (list, then conversation, and back); focus never hides under a sticky table head."""

import pytest
from playwright.sync_api import expect

from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def shortcuts_dialog(page):
    page.get_by_role("button", name="Keyboard shortcuts").click()
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    return dialog


def test_shortcuts_can_be_turned_off_and_remapped_for_one_person(page, login, agent, other_agent):
    conversation = customer_message(text="My card was declined", thread="s1", minutes_ago=1)
    login(page, "amira")
    search = page.get_by_label("Search messages, names and @handles")

    dialog = shortcuts_dialog(page)
    dialog.get_by_label("Single-key shortcuts on").uncheck()
    dialog.get_by_role("button", name="Close").click()
    page.keyboard.press("j")
    page.keyboard.press("/")
    page.keyboard.press("?")
    expect(page.locator(f"#row-link-{conversation.pk}")).not_to_be_focused()
    expect(search).not_to_be_focused()
    expect(dialog).to_be_hidden()
    expect(search).not_to_have_attribute("aria-keyshortcuts", "/")

    # Still off after a reload: the setting is kept.
    page.reload()
    page.locator(f"#row-{conversation.pk} .row-link").click()
    expect(page.get_by_role("button", name="Assign to me")).not_to_have_attribute("aria-keyshortcuts", "a")
    page.locator("body").focus()
    page.keyboard.press("a")
    page.wait_for_timeout(300)
    expect(page.locator("#conv-assignee")).to_contain_text("Unassigned")

    # On again, with "s" for search instead of "/"; a key used twice is refused and not saved.
    dialog = shortcuts_dialog(page)
    dialog.get_by_label("Single-key shortcuts on").check()
    dialog.get_by_label("Key for: Search").fill("s")
    dialog.get_by_label("Key for: Search").press("Tab")
    dialog.get_by_label("Key for: Next conversation in the list").fill("k")
    dialog.get_by_label("Key for: Next conversation in the list").press("Tab")
    expect(dialog.get_by_role("alert")).to_contain_text("“k” is already used")
    dialog.get_by_label("Key for: Next conversation in the list").fill("j")
    dialog.get_by_label("Key for: Next conversation in the list").press("Tab")
    expect(dialog.get_by_role("alert")).to_be_hidden()
    dialog.get_by_role("button", name="Close").click()

    page.reload()
    page.keyboard.press("/")
    expect(search).not_to_be_focused()
    page.keyboard.press("s")
    expect(search).to_be_focused()
    expect(search).to_have_attribute("aria-keyshortcuts", "s")
    page.keyboard.press("Escape")
    page.keyboard.press("a")
    expect(page.locator("#conv-assignee")).to_contain_text("Assigned to you")

    # Another person in the same browser has the usual keys.
    page.get_by_role("button", name="Log out").click()
    login(page, "ben")
    page.keyboard.press("/")
    expect(search).to_be_focused()


def test_the_inbox_on_a_phone_shows_the_list_then_the_conversation_and_back(page, login, agent):
    first = customer_message(text="Is the app down for everyone?", thread="p1", minutes_ago=1)
    customer_message(text="My card has not arrived", thread="p2", minutes_ago=2)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "amira")
    row = page.locator(f"#row-link-{first.pk}")
    expect(row).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    row.click()
    title = page.locator("#conversation-title")
    expect(title).to_be_visible()
    expect(title).to_be_focused()
    expect(row).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.get_by_role("link", name="Back to the list").click()
    expect(row).to_be_visible()
    expect(row).to_be_focused()
    expect(title).to_have_count(0)
    assert page.url.endswith("/inbox/")

    # At 1024 px the list and the conversation sit side by side, without the way back.
    page.set_viewport_size({"width": 1024, "height": 768})
    row.click()
    expect(title).to_be_visible()
    expect(row).to_be_visible()
    expect(page.get_by_role("link", name="Back to the list")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
