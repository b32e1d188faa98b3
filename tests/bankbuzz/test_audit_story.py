"""The audit log page reads like a story: people's actions first, changes with names."""

from __future__ import annotations

import json
import re

from django.urls import reverse
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from bankbuzz.audit.services import audit_record


def rows(html: str) -> dict[int, str]:
    return {int(pk): row for pk, row in re.findall(r'<tr data-audit-event="(\d+)">(.*?)</tr>', html, re.S)}


def test_changes_are_shown_with_peoples_names_not_ids(client, compliance, agent, other_agent, lead):
    event = audit_record(
        actor=lead,
        verb="conversation.assign",
        object_type="inbox.conversation",
        object_id="12",
        before={"assignee": agent.get_username(), "status": "open"},
        after={"assignee": other_agent.pk, "status": "open"},
    )
    client.force_login(compliance)
    row = rows(client.get(reverse("audit:log")).content.decode())[event.pk]
    assert "assignee: Amira Khan → Ben Okafor" in row
    assert "status" not in row  # unchanged: not a change
    assert "Laura Schmidt" in row  # who did it, by name
    assert "{" not in row and "&#x27;assignee&#x27;" not in row


def test_escalation_steps_name_the_department(client, compliance, agent):
    from escalations.models import Department

    cards, fraud = Department.objects.create(name="Cards"), Department.objects.create(name="Fraud")
    event = audit_record(
        actor=agent,
        verb="escalation.transferred",
        object_type="escalations.escalation",
        object_id="3",
        after={"from": cards.pk, "to": fraud.pk, "assignee": agent.pk},
    )
    client.force_login(compliance)
    row = rows(client.get(reverse("audit:log")).content.decode())[event.pk]
    assert "from: Cards" in row and "to: Fraud" in row and "assignee: Amira Khan" in row


def test_system_events_are_behind_a_toggle(client, compliance, agent):
    person = audit_record(actor=agent, verb="note.add", object_type="inbox.conversation", object_id="1")
    system = audit_record(
        actor=None, verb="conversation.open", object_type="inbox.conversation", object_id="1"
    )
    client.force_login(compliance)
    html = client.get(reverse("audit:log")).content.decode()
    assert person.pk in rows(html) and system.pk not in rows(html)
    assert "show them too" in html
    html = client.get(reverse("audit:log"), {"system": "on"}).content.decode()
    assert {person.pk, system.pk} <= set(rows(html))
    html = client.get(reverse("audit:log"), {"actor": "system"}).content.decode()
    assert system.pk in rows(html) and person.pk not in rows(html)


def test_date_inputs_are_filled_in_the_format_they_accept(client, compliance):
    client.force_login(compliance)
    html = client.get(reverse("audit:log"), {"start": "2026-11-01", "end": "2026-11-29"}).content.decode()
    today = timezone.localdate()
    values = dict(re.findall(r'<input type="date" name="(\w+)" value="([^"]*)"', html))
    assert re.findall(r'type="date" name="start" value="2026-11-01"', html)
    assert re.findall(r'type="date" name="end" value="2026-11-29"', html)
    # The export form's last week, as an <input type="date"> shows it: yyyy-mm-dd.
    assert f'value="{today.isoformat()}"' in html
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values.values()), values


def test_both_export_formats_are_offered_and_the_form_as_filled_in_works(client, compliance, agent):
    audit_record(actor=agent, verb="note.add", object_type="inbox.conversation", object_id="1")
    client.force_login(compliance)
    html = client.get(reverse("audit:log")).content.decode()
    form = re.search(r'<form method="get" action="/audit/export/".*?</form>', html, re.S).group(0)
    assert 'value="csv"' in form and 'value="jsonl"' in form
    assert "JSON lines" in form and "CSV" in form
    # Submit what the page filled in, choosing JSON lines, as the browser does.
    fields = dict(re.findall(r'<input type="date" name="(\w+)" value="([^"]+)"', form))
    response = client.get(reverse("audit:export"), {**fields, "format": "jsonl"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert json.loads(lines[-1])["trailer"]
    assert any(json.loads(line).get("verb") == "note.add" for line in lines[:-1])
    assert AuditEvent.objects.filter(verb="audit.export").exists()
