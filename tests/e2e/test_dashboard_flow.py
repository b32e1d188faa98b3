"""The manager opens the dashboard, sees the week's figures and charts, clicks the worst SLA
figure and lands on exactly those escalations. Also the screenshot in docs/."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from dashboards import services
from tests.dashboards.conftest import fast_passwords, world  # noqa: F401 - fixtures

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Tests write to var/; `UPDATE_SCREENSHOTS=1` refreshes the one in docs/.
DOCS = (
    Path(__file__).resolve().parents[2]
    / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "var")
    / "screenshots"
)
WEEK = "from=2026-03-02&to=2026-03-08&range=custom"


def test_manager_drills_from_the_worst_sla_into_its_escalations(page, login, live_server, manager, world):  # noqa: F811
    services.rollup_refresh_mentions()
    login(page, manager.username)
    page.get_by_role("link", name="Dashboards").click()
    expect(page.locator("h1")).to_have_text("Dashboards")
    page.goto(f"{live_server.url}/dashboards/?{WEEK}")

    headline = page.locator(".dash-figures").first
    expect(headline).to_contain_text("25 min")
    expect(headline).to_contain_text("60.0%")
    # Chart.js drew every chart from the JSON (canvas sized by Chart.js, no CSP violation).
    page.wait_for_function("() => Object.keys(window.Chart.instances).length >= 6")

    DOCS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(DOCS / "dashboard.png"), caret="initial")

    # The worst SLA figure: Fraud / normal, 0.0% of responses in time.
    sla = page.locator("#table-sla_department")
    row = sla.locator("tr", has_text="Fraud").filter(has_text="Normal")
    row.get_by_role("link", name="0.0%").first.click()
    expect(page.locator("h1")).to_contain_text("Escalations")
    expect(page.locator("[data-testid=rows-count]")).to_have_text("1")
    rows = page.locator("table.dash-rows tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-row-id", str(world.e["e4"].pk))
    rows.first.get_by_role("link").first.click()
    expect(page).to_have_url(f"{live_server.url}/escalations/{world.e['e4'].pk}/")
