"""The manager opens the dashboard, sees the week's figures and charts, clicks the worst SLA
figure and lands on exactly those escalations; the same after `demo_seed`, as a new user of
`make run` would. Also the screenshot in docs/."""

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from dashboards import services
from escalations.models import Escalation
from inbox.models import Conversation
from tests.dashboards.conftest import london_time, world  # noqa: F401 - fixtures

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
    login(page, manager.username, landing="/dashboards/")  # the manager starts on the dashboards
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


def _response_breached(escalation: Escalation, now) -> bool:
    """The response SLA as the specialist queue states it: breached when the beat saw it, when the
    first response came after its deadline, or when there is none and the deadline is past."""
    if escalation.response_breached_at:
        return True
    if escalation.first_response_at:
        return bool(escalation.response_due_at and escalation.first_response_at > escalation.response_due_at)
    return bool(escalation.response_due_at and escalation.response_due_at <= now)


def test_after_demo_seed_the_worst_sla_opens_exactly_its_escalations(page, login, live_server, settings):
    settings.DEBUG = True  # demo_seed refuses to run outside DEBUG
    call_command("demo_seed", verbosity=0, stdout=io.StringIO())
    settings.DEBUG = False
    login(page, "manager", "bankbuzz-manager", landing="/dashboards/")
    page.get_by_role("link", name="Dashboards").click()
    expect(page.locator("h1")).to_have_text("Dashboards")

    # Sensible numbers for the default period (the last 30 days) over four weeks of history.
    headline = page.locator(".dash-figures").first
    median = headline.locator(".dash-figure", has_text="First response median").locator(".dash-figure-value")
    expect(median).to_have_text(re.compile(r"^\d+ (s|min)$|^\d+ h \d\d min$"))
    sla = headline.locator(".dash-figure", has_text="Response SLA met").locator(".dash-figure-value")
    expect(sla).to_have_text(re.compile(r"^\d+\.\d%$"))
    assert 0 < float(sla.inner_text().rstrip("%")) < 100  # the demo has met and breached SLAs
    page.wait_for_function("() => Object.keys(window.Chart.instances).length >= 6")
    page.mouse.move(0, 0)
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / "dashboard-demo.png"), caret="initial", full_page=True)

    # The worst SLA figure of the table by department and priority: its lowest "Response SLA met".
    rows = page.locator("#table-sla_department tbody tr")
    worst = None
    for index in range(rows.count()):
        cells = rows.nth(index).locator("th, td").all_inner_texts()
        if cells[3].endswith("%") and (worst is None or float(cells[3][:-1]) < worst[0]):
            worst = (float(cells[3][:-1]), index, cells)
    assert worst is not None
    value, index, cells = worst
    department, priority, breached = cells[0], cells[1], int(cells[4])
    assert breached > 0 and value < 100
    link = rows.nth(index).get_by_role("link", name=cells[3])
    # Readable: the breach colour of the cell is not the colour of its text.
    text, background = link.evaluate(
        "a => [getComputedStyle(a).color, getComputedStyle(a.closest('td')).backgroundColor]"
    )
    assert text != background
    link.click()

    # Exactly the escalations of that department and priority, opened in the period, whose
    # response came late or never, worked out here from the escalations themselves.
    expect(page.locator("h1")).to_contain_text("Escalations")
    expect(page.locator("[data-testid=rows-count]")).to_have_text(str(breached))
    priorities = {label: value for value, label in Conversation.Priority.choices}
    first_day = timezone.localdate() - dt.timedelta(days=29)
    start = timezone.make_aware(dt.datetime.combine(first_day, dt.time.min))
    now = timezone.now()
    expected = {
        e.pk
        for e in Escalation.objects.filter(
            department__name=department, priority=priorities[priority], opened_at__gte=start
        )
        if _response_breached(e, now)
    }
    shown = {int(i) for i in page.locator("table.dash-rows tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.rowId)"
    )}  # fmt: skip
    assert shown == expected and len(shown) == breached
