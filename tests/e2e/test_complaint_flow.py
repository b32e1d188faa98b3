"""A complaint in Chromium: suggested in the pane, confirmed in one click, acknowledged by private
message, answered with a final response by post; the queue and the dashboard show it."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from playwright.sync_api import expect

from bankbuzz.accounts import roles
from complaints.models import Complaint, Letter
from complaints.seed import seed_now
from inbox.models import Reply
from tests.conftest import PASSWORD, make_person
from tests.e2e.conftest import log_in, screenshot
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory, SocialAccountFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
LONDON = zoneinfo.ZoneInfo("Europe/London")


def test_confirm_acknowledge_and_send_the_final_response(page, live_server, settings):
    settings.COMPLAINTS_OMBUDSMAN_NAME = "the Financial Ombudsman Service"
    seed_now()  # the migration's regimes and holidays (this test's database was flushed)
    make_person("amira", roles.AGENT, first_name="Amira", last_name="Khan")
    account = SocialAccountFactory(handle="northbridgebank")
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe")
    conversation = ConversationFactory(customer=customer, account=account, status="open")
    # Friday 28 Aug 2026, 19:45: after close, before a weekend and the summer bank holiday.
    MentionFactory(
        author=customer,
        account=account,
        thread_key=conversation.thread_key,
        intent="complaint",
        text="Third time my card is declined this week. Useless bank.",
        created_at=dt.datetime(2026, 8, 28, 19, 45, tzinfo=LONDON),
    )

    log_in(page, live_server.url, "amira", PASSWORD, landing="/inbox/")
    page.goto(f"{live_server.url}/inbox/c/{conversation.pk}/")
    panel = page.locator("#complaint-panel")
    expect(panel).to_contain_text("Suggested")
    expect(panel).to_contain_text("Third time my card is declined")
    panel.get_by_role("button", name="Confirm complaint").click()
    expect(panel).to_contain_text("Recorded as a complaint")
    complaint = Complaint.objects.get()
    expect(panel).to_contain_text(complaint.reference)
    expect(panel).to_contain_text("Final response:")
    # Counted from Tue 1 Sep (Sat, Sun and the bank holiday skipped).
    expect(panel).to_contain_text("counting from Tue 1 Sep")
    screenshot(page, "complaint-pane")

    panel.get_by_role("link", name="Letters and details").click()
    page.wait_for_url(f"{live_server.url}/complaints/{complaint.pk}/")
    page.get_by_role("link", name="Acknowledgement").click()
    text = page.get_by_label("The letter", exact=True)
    assert "We are treating it as a complaint, reference " + complaint.reference in text.input_value()
    page.get_by_role("radio", name="Private message").check()
    page.get_by_role("button", name="Send acknowledgement").click()
    page.wait_for_url(f"{live_server.url}/complaints/{complaint.pk}/?done=queued")
    expect(page.locator(".letter-list")).to_contain_text("Acknowledgement · Private message")
    # In the outbox, not yet on the network: shown as such, and not counted as sent.
    expect(page.locator(".letter-list")).to_contain_text("not sent yet")
    expect(page.get_by_role("status")).to_contain_text("it counts once it is sent")
    assert Reply.objects.get(conversation=conversation).channel == "private"

    page.get_by_role("link", name="Final response").click()
    letter = page.get_by_label("The letter", exact=True)
    draft = letter.input_value()
    assert "refer your complaint to the Financial Ombudsman Service" in draft
    letter.fill(
        draft.replace(
            "[What we found and what we will do.]",
            "Your card was blocked in error; we have refunded the fees.",
        )
    )
    page.get_by_role("radio", name="Post").check()
    page.get_by_label("Outcome").select_option("upheld")
    page.get_by_role("button", name="Send final response").click()
    page.wait_for_url(f"{live_server.url}/complaints/{complaint.pk}/?done=letter")
    expect(page.locator("#complaint-status")).to_contain_text("Closed (final response), upheld")
    expect(page.locator(".letter-list")).to_contain_text("we have refunded the fees")
    final = Letter.objects.get(kind="final")
    assert final.channel == "post" and "Financial Ombudsman Service" in final.text
    screenshot(page, "complaint-detail")

    page.goto(f"{live_server.url}/complaints/?state=closed")
    expect(page.locator(".complaint-queue")).to_contain_text(complaint.reference)
