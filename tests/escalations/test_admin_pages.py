"""Leads edit departments, SLAs, holidays and routing rules in the UI; every change is audited."""

from __future__ import annotations

from bankbuzz.audit.models import AuditEvent
from escalations.models import Department, RoutingRule


def test_a_lead_creates_a_department_with_hours_sla_and_holiday(client, lead, cards_specialist):
    client.force_login(lead)
    response = client.post(
        "/escalations/departments/new/",
        {
            "name": "Savings",
            "description": "ISAs and savings accounts",
            "time_zone": "Europe/London",
            "work_days": ["0", "1", "2", "3"],
            "day_start": "08:30",
            "day_end": "16:00",
            "notification_email": "savings@bank.example",
            "is_active": "on",
            "members": [str(cards_specialist.pk)],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    savings = Department.objects.get(name="Savings")
    assert savings.work_days == [0, 1, 2, 3] and list(savings.members.all()) == [cards_specialist]
    url = f"/escalations/departments/{savings.pk}/"
    client.post(url + "sla/", {"priority": "1", "first_response_minutes": "120", "resolution_minutes": "600"})
    client.post(url + "holidays/", {"date": "2026-12-25", "name": "Christmas Day"})
    assert savings.sla_policies.get().resolution_minutes == 600
    assert savings.holidays.get().name == "Christmas Day"
    assert client.get(url).status_code == 200
    verbs = set(AuditEvent.objects.filter(object_id=str(savings.pk)).values_list("verb", flat=True))
    assert {"department.create", "department.sla", "department.holiday_add"} <= verbs


def test_a_bad_time_zone_is_refused_with_a_message(client, lead):
    client.force_login(lead)
    response = client.post(
        "/escalations/departments/new/",
        {
            "name": "X",
            "time_zone": "Mars/Olympus",
            "work_days": ["0"],
            "day_start": "09:00",
            "day_end": "17:00",
        },
    )
    assert response.status_code == 200
    assert "is not a time zone" in response.content.decode()


def test_a_lead_edits_routing_rules(client, lead, cards):
    client.force_login(lead)
    response = client.post(
        "/escalations/rules/new/",
        {
            "name": "Card trouble",
            "position": "10",
            "is_active": "on",
            "phrases": "declined\ncard blocked",
            "has_pii": "unknown",
            "department": str(cards.pk),
            "priority": "2",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = RoutingRule.objects.get()
    assert (
        rule.phrase_list == ["declined", "card blocked"] and rule.has_pii is None and rule.created_by == lead
    )
    response = client.post(
        f"/escalations/rules/{rule.pk}/",
        {"name": "Cards", "position": "5", "department": str(cards.pk), "has_pii": "true"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.name == "Cards" and rule.has_pii is True and rule.is_active is False
    listing = client.get("/escalations/rules/").content.decode()
    assert "Cards" in listing
    # Its one condition in words, with no separator before it.
    assert '<td class="stack-wide">personal data yes</td>' in listing
    RoutingRule.objects.create(name="Catch-all", position=900, department=cards)
    listing = client.get("/escalations/rules/").content.decode()
    assert '<td class="stack-wide">Any conversation</td>' in listing
    RoutingRule.objects.filter(name="Catch-all").delete()
    client.post(f"/escalations/rules/{rule.pk}/delete/")
    assert not RoutingRule.objects.exists()
    verbs = set(AuditEvent.objects.filter(verb__startswith="routing_rule.").values_list("verb", flat=True))
    assert verbs == {"routing_rule.create", "routing_rule.update", "routing_rule.delete"}


def test_expert_actions_through_the_pages(client, agent, escalation, cards_specialist, fraud):
    client.force_login(cards_specialist)
    url = f"/escalations/{escalation.pk}/"
    assert client.post(url + "claim/").status_code == 302
    assert client.post(url + "ask/", {"question": "Which shop?"}).status_code == 302
    escalation.refresh_from_db()
    assert escalation.state == "waiting_agent" and escalation.assignee == cards_specialist
    client.force_login(agent)
    assert client.post(url + "info/", {"text": "The corner shop"}).status_code == 302
    escalation.refresh_from_db()
    assert escalation.state == "open"
    client.force_login(cards_specialist)
    response = client.post(url + "transfer/", {"department": str(fraud.pk), "reason": "Cloned card"})
    assert response.status_code == 302 and response["Location"] == "/escalations/"
    escalation.refresh_from_db()
    assert escalation.department == fraud


def test_the_department_form_names_people_and_reads_as_the_other_forms(client, lead, cards_specialist):
    from tests.html_tree import parse

    client.force_login(lead)
    page = parse(client.get("/escalations/departments/new/").content.decode())
    # Members are ticked by name (username beside it), in a group with its legend, not a list box.
    members = next(f for f in page.find_all("fieldset") if f.find("legend").text() == "Members")
    box = members.find("input", type="checkbox", value=str(cards_specialist.pk))
    label = next(label for label in members.find_all("label") if label.find("input") is box)
    assert label.text() == f"{cards_specialist.get_full_name()} ({cards_specialist.username})"
    assert page.find("select", name="members") is None
    # A lone checkbox sits inside its label, before the words; no label ends with a colon.
    active = page.find("input", name="is_active")
    assert next(label for label in page.find_all("label", cls="check-field") if label.find("input") is active)
    assert [label.text() for label in page.find_all("label") if label.text().endswith(":")] == []


def test_the_rule_form_says_any_rather_than_dashes(client, lead, cards):
    client.force_login(lead)
    html = client.get("/escalations/rules/new/").content.decode()
    assert "---------" not in html
    assert "Any network" in html and "Choose a department" in html and "The conversation&#x27;s own" in html
