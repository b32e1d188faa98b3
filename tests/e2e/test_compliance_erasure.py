"""A compliance officer places a legal hold and carries out an erasure request in Chromium,
then reads the report and downloads it; an administrator changes a retention period."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from listening.models import Author, Mention
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Tests write to var/; `UPDATE_SCREENSHOTS=1` refreshes the ones in docs/.
SHOTS = (
    Path(__file__).resolve().parents[2]
    / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "var")
    / "screenshots"
)


def _jane():
    now = timezone.now()
    jane = AuthorFactory(handle="jane_doe", name="Jane Doe", avatar_url="https://pbs.example/jane.jpg")
    answered = ConversationFactory(
        customer=jane,
        status="resolved",
        first_response_at=now - dt.timedelta(days=20),
        last_activity_at=now - dt.timedelta(days=19),
    )
    MentionFactory(author=jane, thread_key=answered.thread_key, text="My card was declined twice")
    stray = MentionFactory(author=jane, text="<img src=x onerror=alert(1)> fees again", for_inbox=False)
    return jane, answered, stray


def test_compliance_places_a_hold_and_erases_a_person(page, login, live_server, compliance):
    jane, answered, stray = _jane()
    bob = AuthorFactory(handle="bob_case", name="Bob")
    login(page, compliance.username)
    page.get_by_role("link", name="Audit log").click()
    page.get_by_role("navigation", name="Compliance").get_by_role("link", name="Legal holds").click()
    page.get_by_role("link", name="Place a legal hold").click()
    page.get_by_label("Person").check()
    page.get_by_label("Which one").fill("x:bob_case")
    page.get_by_label("Reason").fill("Police inquiry NCA-55120 <script>alert(1)</script>")
    page.get_by_role("button", name="Place hold").click()
    expect(page.locator(".flash")).to_contain_text(f"placed on X person {bob.pk} (@bob_case)")
    expect(page.locator("[data-holds=active]")).to_contain_text("Police inquiry NCA-55120 <script>")

    page.get_by_role("navigation", name="Compliance").get_by_role("link", name="Erasure requests").click()
    page.get_by_role("link", name="New erasure request").click()
    page.get_by_label("Network").select_option("x")
    page.get_by_label("Handle").fill("@jane_doe")
    page.get_by_label("Request reference").fill("DSR-2026-0042")
    page.get_by_role("button", name="Erase").click()

    expect(page.locator("h1")).to_contain_text("DSR-2026-0042")
    kept = page.locator("[data-report=kept]")
    expect(kept).to_contain_text(f"inbox.conversation:{answered.pk}")
    expect(kept).to_contain_text("answered by the bank")
    expect(page.locator("[data-report=anonymised]")).to_contain_text(
        "1 message outside the conversations kept"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "compliance-erasure-report.png"), caret="initial")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download report (JSON)").click()
    report = json.loads(Path(download_info.value.path()).read_text())
    assert report["reference"] == "DSR-2026-0042"
    assert "jane" not in json.dumps(report).lower()

    stray.refresh_from_db()
    assert stray.text == "[removed]"
    assert set(Mention.objects.filter(thread_key=answered.thread_key).values_list("text", flat=True)) == {
        "My card was declined twice"
    }
    assert Author.objects.get(pk=jane.pk).avatar_url == ""


def test_an_administrator_shortens_a_retention_period(page, login, administrator):
    login(page, administrator.username)
    page.get_by_role("link", name="Audit log").click()
    page.get_by_role("navigation", name="Compliance").get_by_role("link", name="Retention").click()
    row = page.locator("[data-kind='inbox.unactioned_hits']")
    row.get_by_role("spinbutton", name="Days kept").fill("45")
    row.get_by_role("button", name="Save").click()
    expect(page.locator(".flash")).to_contain_text("Listening hits never acted on: deleted after 45 days.")
    expect(page.locator("[data-kind='inbox.unactioned_hits']")).to_contain_text(
        "bank default 90, changed by ada"
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "compliance-retention.png"), full_page=True, caret="initial")
