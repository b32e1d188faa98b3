"""The sandbox's outage scenario raises a spike, and a lead opens an incident from it, in Chromium.

The organisation is the demo's (its accounts, queries and listening history, as in
test_listening_spike.py). The scenario is switched on the accounts page; `sandbox.generate`
stands for the minutes of outage traffic that follow; the posts reach BankBuzz through the real
poll task, the spike check is the task beat runs every minute, and the conversations join the
incident through the inbox's attach (no hand-made alert, no hand-made conversation).
"""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidents.models import Incident
from listening.models import Mention, SpikeAlert
from listening.tasks import detect_spikes, poll_account
from tests.e2e.test_listening_spike import demo_listening  # noqa: F401 - the demo's accounts and history

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TERMS = "app, log in, can't log in, login, locked out, logs me out, login code"


def test_the_outage_scenario_raises_a_spike_a_lead_opens_an_incident_from(
    page, login, live_server, sandbox, demo_listening, lead, manager,  # noqa: F811
):  # fmt: skip
    x_account = demo_listening["x"]
    login(page, lead.username)
    assert detect_spikes.apply().get() == 0

    page.get_by_role("navigation").get_by_role("link", name="Accounts").click()
    switched = timezone.now()
    row = page.locator(".sandbox-panel tbody tr").filter(has=page.locator(".net-x"))
    row.get_by_role("button", name="Outage burst").click()
    expect(page.get_by_text("Sandbox scenario switched")).to_be_visible()
    # The scenario's own burst and the next minutes of it, read by the real poll.
    sandbox.generate(120, network="x")
    assert poll_account.apply(args=[x_account.pk]).get() == "ok"
    outage = Mention.objects.filter(account=x_account, created_at__gte=switched, direction="in")
    assert outage.filter(text__iregex=r"log in|app").count() > 60

    assert detect_spikes.apply().get() >= 1
    alert = SpikeAlert.objects.get(is_open=True)

    page.get_by_role("navigation").get_by_role("link", name="Incidents").click()
    spike = page.locator(f"#spike-{alert.pk}")
    expect(spike).to_contain_text("in progress")
    spike.get_by_role("link", name="Open an incident from this spike").click()
    # The form comes filled from the spike: its title, its terms, the networks that spiked.
    expect(page.get_by_label("Name")).to_have_value(alert.title[:120])
    prefilled = page.get_by_label("Listening terms").input_value()
    assert set(re.split(r",\s*", prefilled)) == set(alert.terms)
    expect(page.get_by_label("X", exact=True)).to_be_checked()
    # The lead keeps the outage's own words (a spike's terms can include "morning" or "payday").
    page.get_by_label("Name").fill("App login outage")
    page.get_by_label("Listening terms").fill(TERMS)
    page.get_by_role("button", name="Open the incident").click()
    flash = page.locator(".flash")
    expect(flash).to_contain_text("Incident opened:")
    joined = int(re.search(r"(\d+) open conversation", flash.inner_text()).group(1))
    incident = Incident.objects.get(name="App login outage")
    assert incident.spike_id == alert.pk
    assert joined == incident.members.count() > 50
    # Every member is a customer who wrote one of the terms during the outage.
    for conversation_id in incident.members.values_list("conversation_id", flat=True)[:20]:
        texts = Mention.objects.filter(
            thread_key__in=incident.members.filter(conversation_id=conversation_id).values(
                "conversation__thread_key"
            ),
            direction="in",
        ).values_list("text", flat=True)
        assert any(re.search(r"\b(app|log ?in|locked out|logs me out)\b", t, re.I) for t in texts), texts
    expect(page.locator("#fig-members .dash-figure-value")).to_have_text(str(joined))
    expect(page.locator("#timeline-title + ol")).to_contain_text("Spike began")
