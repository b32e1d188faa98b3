"""The screenshots of the inbox in docs/, taken from a realistic morning at 1280x800.

A normal run writes them under var/screenshots (so `make test` leaves the tree clean);
`UPDATE_SCREENSHOTS=1` writes the ones in docs/screenshots.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.inbox.world import build_inbox

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "var") / "screenshots"


def test_screenshots_of_the_list_and_a_conversation(page, login, agent, other_agent, lead):
    conversations = build_inbox(agent=agent, other_agent=other_agent, lead=lead)
    login(page, "amira")
    expect(page.locator(".row")).to_have_count(10)
    page.locator(f"#row-{conversations['declined'].pk} .row-link").focus()
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "inbox-list.png"), caret="initial")

    page.locator(f"#row-{conversations['card'].pk} .row-link").click()
    expect(page.locator("#pane .note")).to_contain_text("Card blocked by phone team")
    # The customer card's lower part follows the pane in its own request.
    expect(page.locator("#pane-side").get_by_role("heading", name="Other conversations")).to_be_visible()
    page.mouse.move(0, 0)
    page.screenshot(path=str(DOCS / "inbox-conversation.png"), caret="initial")
