"""The dashboard page, the rows behind a number and the CSV exports, as a manager."""

from __future__ import annotations

import csv
import io
import re
from html import unescape

import pytest
from django.urls import reverse

from dashboards import services
from inbox.models import Tag

WEEK = {"from": "2026-03-02", "to": "2026-03-08", "range": "custom"}


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


def links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"]+)"', html)]


def test_dashboard_shows_the_weeks_figures(manager_client, world, django_assert_max_num_queries):
    services.rollup_refresh_mentions()
    with django_assert_max_num_queries(40):
        response = manager_client.get(reverse("dashboards:index"), WEEK)
    assert response.status_code == 200
    html = response.content.decode()
    assert "25 min" in html  # first response median
    assert "3 h 00 min" in html  # p90
    assert "60.0%" in html  # response SLA met
    assert 'id="chart-data" type="application/json"' in html
    assert "<script>" not in html and "style=" not in html


def test_every_number_in_a_table_links_to_its_rows(manager_client, world):
    services.rollup_refresh_mentions()
    html = manager_client.get(reverse("dashboards:index"), WEEK).content.decode()
    row_links = [h for h in links(html) if h.startswith(reverse("dashboards:rows"))]
    assert len(row_links) > 40
    # The SLA cell of Cards / urgent: 50.0% links to exactly the breached escalation e2.
    cell = re.search(r'<a href="([^"]+)">50\.0%</a>', html)
    assert cell
    page = manager_client.get(unescape(cell.group(1)))
    ids = {int(i) for i in re.findall(r'data-row-id="(\d+)"', page.content.decode())}
    assert ids == {world.e["e2"].pk}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"metric": "conversations"}, {"c1", "c2", "c3", "c4", "c5", "c6", "c7"}),
        ({"metric": "conversations", "has": "responded", "agent": "none"}, {"c5"}),
        ({"metric": "conversations", "bucket": "lt15m"}, {"c1", "c7"}),
        ({"metric": "conversations", "turnaround": "1"}, {"c1", "c7"}),
        ({"metric": "conversations", "day": "2026-03-03"}, {"c3", "c4"}),
    ],
)
def test_rows_behind_conversation_figures(manager_client, world, params, expected):
    response = manager_client.get(reverse("dashboards:rows"), {**WEEK, **params})
    ids = {int(i) for i in re.findall(r'data-row-id="(\d+)"', response.content.decode())}
    assert ids == {world.c[name].pk for name in expected}
    assert f'data-testid="rows-count">{len(expected)}<' in response.content.decode()


def test_rows_of_mentions_and_kudos(manager_client, world):
    response = manager_client.get(
        reverse("dashboards:rows"), {**WEEK, "metric": "mentions", "intent": "thanks"}
    )
    ids = {int(i) for i in re.findall(r'data-row-id="(\d+)"', response.content.decode())}
    assert ids == {world.m["m2"].pk, world.m["m5"].pk}
    response = manager_client.get(reverse("dashboards:rows"), {**WEEK, "metric": "kudos"})
    assert response.content.decode().count("data-row-id=") == 1


def test_unknown_metric_is_404(manager_client, world):
    assert manager_client.get(reverse("dashboards:rows"), {"metric": "users"}).status_code == 404
    assert manager_client.get(reverse("dashboards:export", args=["nope"])).status_code == 404


def test_bad_filters_fall_back_instead_of_failing(manager_client, world):
    response = manager_client.get(reverse("dashboards:index"), {"from": "yesterday", "network": "myspace"})
    assert response.status_code == 200
    assert "Last 30 days" in response.content.decode()


def test_hostile_content_is_escaped(manager_client, world):
    Tag.objects.filter(pk=world.tags["fees"].pk).update(name="<img src=x onerror=alert(1)>")
    services.rollup_refresh_mentions()
    html = manager_client.get(reverse("dashboards:index"), WEEK).content.decode()
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_table_csv_export(manager_client, world):
    response = manager_client.get(reverse("dashboards:export", args=["response_agent"]), WEEK)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv(response)
    assert rows[0][:3] == ["Agent", "Conversations", "Responded"]
    amira = next(r for r in rows if r[0] == world.agent.display_name)
    assert amira[1:4] == ["3", "3", "600.0"]  # raw seconds, not "10 min"


def test_sla_csv_export(manager_client, world):
    rows = _csv(manager_client.get(reverse("dashboards:export", args=["sla_department"]), WEEK))
    assert rows[1][:7] == ["Cards", "Urgent", "2", "50.0", "1", "100.0", "0"]


def test_rows_csv_export_masks_and_defuses_formulas(manager_client, world):
    world.m["m2"].__class__.objects.filter(pk=world.m["m2"].pk).update(
        text='=HYPERLINK("http://evil") thanks'
    )
    response = manager_client.get(
        reverse("dashboards:rows_export"), {**WEEK, "metric": "mentions", "intent": "thanks"}
    )
    rows = _csv(response)
    assert rows[0][0] == "id"
    texts = [r[-1] for r in rows[1:]]
    assert any(t.startswith("'=HYPERLINK") for t in texts)
    authors = [r[3] for r in rows[1:]]
    assert all(not a.startswith("=") for a in authors)


def test_rows_csv_of_escalations_has_outcomes(manager_client, world):
    rows = _csv(manager_client.get(reverse("dashboards:rows_export"), {**WEEK, "metric": "escalations"}))
    header, body = rows[0], rows[1:]
    outcomes = {int(r[0]): r[header.index("response_sla")] for r in body}
    assert outcomes[world.e["e1"].pk] == "met" and outcomes[world.e["e2"].pk] == "breached"


def test_incidents_of_the_period_are_bands_on_the_volume_chart(manager_client, world, lead):
    """An incident open during the week is a band on the daily volume chart (and a link under it);
    one resolved before the week is neither."""
    import datetime as dt
    import json

    from incidents.models import Incident

    def at(day, hour, month=3):
        return dt.datetime(2026, month, day, hour, tzinfo=dt.UTC)

    inside = Incident.objects.create(
        name="App login outage", terms=["app down"], networks=["x", "facebook"], opened_by=lead,
        opened_at=at(3, 9), state=Incident.State.RESOLVED, resolved_at=at(4, 15), resolved_by=lead,
    )  # fmt: skip
    Incident.objects.create(
        name="Card payments declined", terms=["declined"], networks=["x"], opened_by=lead,
        opened_at=at(10, 9, month=2), state=Incident.State.RESOLVED, resolved_at=at(11, 9, month=2),
    )  # fmt: skip
    services.rollup_refresh_mentions()
    html = manager_client.get(reverse("dashboards:index"), WEEK).content.decode()
    data = re.search(r'id="chart-data" type="application/json">(.*?)</script>', html, re.S).group(1)
    charts = json.loads(unescape(data))
    volume = charts["volume_daily"]
    assert [b["label"] for b in volume["bands"]] == ["Incident: App login outage"]
    band = volume["bands"][0]
    # The band covers the days the incident was open that the chart has, and both are on it.
    assert band["from"] in volume["labels"] and band["to"] in volume["labels"]
    assert "03 Mar" <= band["from"] <= band["to"] <= "04 Mar"
    assert band["href"] == reverse("incidents:detail", args=[inside.pk])
    assert reverse("incidents:detail", args=[inside.pk]) in links(html)
    assert "Card payments declined" not in html
    # Other charts carry no bands.
    assert not any("bands" in spec for key, spec in charts.items() if key != "volume_daily")

    # A week without the incident: no band, no list.
    later = {"from": "2026-03-09", "to": "2026-03-15", "range": "custom"}
    html = manager_client.get(reverse("dashboards:index"), later).content.decode()
    assert "App login outage" not in html and '"bands"' not in html
