"""An agent logs in and watches a customer's post on X arrive in the inbox without reloading."""

import pytest
from playwright.sync_api import expect

from listening.services import account_poll
from tests.e2e.conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_sandbox_mention_appears_on_the_open_inbox_page(page, login, sandbox, x_account, agent):
    login(page, "amira")
    expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
    expect(page.get_by_text("No conversations waiting.")).to_be_visible()

    sandbox.post(network="x", text="@northbridgebank the app says my account is locked, please help")
    assert account_poll(account_id=x_account.pk).new_mentions == 1

    # No reload: the list refreshes itself.
    row = page.locator(".row", has_text="the app says my account is locked")
    expect(row).to_be_visible(timeout=20_000)
    screenshot(page, "inbox-list")

    row.locator(".row-link").click()
    expect(page.locator("#pane .message-text", has_text="account is locked")).to_be_visible()
    expect(page.locator("#pane-side").get_by_role("heading", name="Other conversations")).to_be_visible()
    screenshot(page, "inbox-conversation")


def test_hostile_text_is_shown_as_text(page, login, sandbox, x_account, agent):
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))
    sandbox.post(
        network="x", text='@northbridgebank <img src=x onerror="alert(1)"> <script>alert(2)</script>'
    )
    account_poll(account_id=x_account.pk)
    login(page, "amira")
    row = page.locator(".row", has_text="<script>alert(2)</script>")
    expect(row).to_be_visible()
    row.locator(".row-link").click()
    expect(page.locator("#pane .message-text", has_text='onerror="alert(1)"')).to_be_visible()
    assert page.locator("#pane img[src='x']").count() == 0
