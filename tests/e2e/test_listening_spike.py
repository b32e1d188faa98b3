"""The listening done-when, in Chromium: a lead writes a query (a broken one first), previews it,
saves it and sees its volume; the sandbox is switched to its outage scenario on the accounts page,
the spike check that beat runs finds it, and one alert naming the terms shows in the app.

The organisation is the demo's: its accounts, its queries and the hours of listening history
`devtools/demo/listening.py` gives a fresh `make run` (at a tenth of the sandbox's default rate, to keep the
test quick). The sandbox runs at rate 0 here, so `sandbox.generate` stands for the minutes of
outage traffic that follow the switch; the posts reach BankBuzz through the real poll task.

Screenshots of the listening pages go to var/screenshots, or docs/screenshots with
UPDATE_SCREENSHOTS=1.
"""

import os
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bankbuzz.accounts.models import Notification
from devtools.demo.listening import BANK_ACCOUNTS, seed_listening_history, seed_queries
from devtools.sandbox import world
from listening.models import ListeningQuery, Mention, QueryMatch, SpikeAlert
from listening.services import social_account_create
from listening.tasks import detect_spikes, poll_account, run_query

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = (
    Path(__file__).resolve().parents[2]
    / ("docs" if os.environ.get("UPDATE_SCREENSHOTS") == "1" else "var")
    / "screenshots"
)
BROKEN = '("card declined" OR ) -test'
QUERY = '("card declined" OR "can\'t log in") -test lang:en'
OUTAGE_TERMS = {"log in", "app down", "app", "locked out", "logs me out", "spins", "login code"}


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, caret="initial")


@pytest.fixture
def demo_listening(sandbox, settings):
    """The demo bank's three accounts, its queries and six hours of listening history."""
    settings.DEBUG = True  # the sandbox panel exists only in development
    settings.SANDBOX_URL = sandbox.url
    handles = {"x": world.BANK_X["handle"], "facebook": world.BANK_FACEBOOK_PAGE["username"]}
    accounts = {
        network: social_account_create(
            actor=None,
            network=network,
            external_id=external_id,
            handle=handles.get(network, world.BANK_LINKEDIN_ORG["vanity_name"]),
            name=world.BANK_NAME,
            credentials=world.DEMO_CREDENTIALS[network],
        )
        for network, external_id in BANK_ACCOUNTS.items()
    }
    seed_queries()
    assert seed_listening_history(rate=0.02) > 300
    return accounts


def test_a_lead_writes_a_query_and_an_outage_raises_one_alert(
    page, login, live_server, sandbox, demo_listening, lead, manager, agent
):
    login(page, lead.username)
    page.get_by_role("navigation").get_by_role("link", name="Listening").click()
    expect(page.get_by_role("heading", name="Listening", exact=True)).to_be_visible()
    # Share of voice compares the bank with the two competitors of the demo.
    sov = page.locator("#table-sov")
    for name in ("Northbridge Bank", "Harbourline Bank", "Crestmoor Building Society"):
        expect(sov.get_by_role("link", name=name)).to_be_visible()
    # Each query reads as written (the rendered text, styles applied): a query is not in capitals.
    bank = page.locator("#table-queries").get_by_role("rowheader").filter(has_text="Northbridge Bank")
    expect(bank).to_contain_text('Northbridge Bank "northbridge bank" OR northbridge', use_inner_text=True)
    page.get_by_role("link", name="Last 24 hours").click()
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length >= 3")
    _shot(page, "listening")

    page.get_by_role("link", name="New query").click()
    page.get_by_label("Name").fill("Card and login problems")

    # A mistake first: the preview says what is wrong and where.
    page.get_by_label("Query").fill(BROKEN)
    page.get_by_role("button", name="Preview on the last 7 days").click()
    preview = page.locator("#preview")
    expect(preview.get_by_role("alert")).to_contain_text("'OR' needs something to match on both sides")
    expect(preview.locator(".query-mistake mark")).to_have_text("OR")

    # The valid query: what it matches among the stored posts, before saving.
    page.get_by_label("Query").fill(QUERY)
    page.get_by_role("button", name="Preview on the last 7 days").click()
    expect(preview.locator(".preview-count")).to_be_visible()
    matched = int(preview.locator(".preview-count").inner_text())
    assert matched > 0
    samples = preview.locator(".listen-samples li")
    expect(samples.first).to_be_visible()
    for text in samples.all_inner_texts():
        assert re.search(r"card declined|can't log in", text, re.IGNORECASE), text
    expect(preview.locator("code.query-code")).to_contain_text("-test lang:en")
    _shot(page, "listening-query-preview")

    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Card and login problems")).to_be_visible()
    query = ListeningQuery.objects.get(name="Card and login problems")
    assert query.kind == ListeningQuery.Kind.TOPIC  # a topic by default: not in share of voice
    assert QueryMatch.objects.filter(query=query).count() == matched
    # Its volume: the matches of the stored history, on the page at once.
    figures = page.locator(".dash-figures")
    expect(figures.locator(".dash-figure").first).to_contain_text(str(matched))
    page.get_by_role("link", name="Last 24 hours").click()
    expect(page.locator("#panel-volume canvas")).to_be_visible()
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length >= 2")

    # Steady traffic: the check beat runs every minute finds nothing unusual.
    assert detect_spikes.apply().get() == 0

    # The sandbox's outage scenario, switched on the accounts page...
    page.get_by_role("navigation").get_by_role("link", name="Accounts").click()
    switched = timezone.now()
    button = page.locator(".sandbox-panel tbody tr").filter(has=page.locator(".net-x"))
    button = button.get_by_role("button", name="Outage burst")
    button.click()
    expect(page.get_by_text("Sandbox scenario switched")).to_be_visible()
    expect(button).to_have_attribute("aria-pressed", "true")
    # ...and the next minutes of it: customers who cannot log in, read by the real poll and search.
    sandbox.generate(100, network="x")
    x_account = demo_listening["x"]
    assert poll_account.apply(args=[x_account.pk]).get() == "ok"
    assert run_query.apply(args=[query.pk]).get() == "ok"
    outage = Mention.objects.filter(
        account=x_account, created_at__gte=switched, kind__in=["mention", "reply"]
    )
    assert outage.count() > 80
    assert outage.filter(text__iregex=r"log in|app").count() > outage.count() / 2

    # The spike check: one alert, naming the terms, to leads and managers.
    assert detect_spikes.apply().get() >= 1
    alert = SpikeAlert.objects.get()
    assert alert.is_open
    assert set(alert.terms) & OUTAGE_TERMS, alert.terms
    spiked = {scope["label"] for scope in alert.scopes}
    assert str(x_account) in spiked and query.name in spiked
    told = Notification.objects.filter(verb="listening.spike")
    assert set(told.values_list("recipient__username", flat=True)) == {lead.username, manager.username}
    # Still spiking at the next check: the same alert, nobody told twice.
    detect_spikes.apply().get()
    assert SpikeAlert.objects.count() == 1 and told.count() == 2

    # In the app: the banner, the alert history, the notification.
    page.get_by_role("navigation").get_by_role("link", name="Listening").click()
    expect(page.locator(".listen-alert")).to_contain_text("Spike in progress")
    listed = page.locator("#table-queries tr", has_text=query.name)
    expect(listed.locator(".badge-urgent")).to_have_text("spike")
    page.locator(".listen-alert").get_by_role("link", name="Details").click()
    expect(page.get_by_role("heading", name="Spike alerts")).to_be_visible()
    alerts = page.locator(".listen-alert-row")
    expect(alerts).to_have_count(1)
    row = alerts.first
    expect(row).to_contain_text("in progress")
    chips = set(row.locator(".chip").all_inner_texts())
    assert chips == set(alert.terms) and chips & OUTAGE_TERMS
    expect(row.get_by_role("link", name=query.name)).to_be_visible()
    expect(row.locator("tr", has_text=str(x_account))).to_be_visible()
    _shot(page, "listening-alerts")

    page.locator("#notif-menu summary").click()
    note = page.locator("#notif-panel").get_by_text(re.compile("Spike in"))
    expect(note).to_be_visible()
    note.click()
    expect(page).to_have_url(re.compile(rf"/listening/alerts/.*#alert-{alert.pk}$"))

    # The query's own page shows the spike in its volume and lists the alert.
    page.goto(f"{live_server.url}/listening/queries/{query.pk}/?range=24h")
    expect(page.locator("#query-alerts-title + .listen-alerts .listen-alert-row")).to_have_count(1)
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length >= 3")
    _shot(page, "listening-query")
