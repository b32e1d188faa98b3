"""The queue, the dashboard and the regulator-shaped CSV: rows match the complaints."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from bankbuzz.audit.models import AuditEvent
from complaints import services
from complaints.models import Category, Complaint
from complaints.selectors import EXPORT_COLUMNS
from tests.complaints.conftest import at
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

PERIOD = {"start": "2026-08-01", "end": "2026-09-30"}


@pytest.fixture
def register(agent, unhappy):
    """Two complaints: Jane's (open, overdue by now, flagged vulnerable) and Tom's, resolved with a
    summary resolution the next business day."""
    services.vulnerability_set(actor=agent, customer=unhappy.customer, drivers=["health"], note="private")
    jane = services.complaint_confirm(
        actor=agent, conversation=unhappy, product=Category.objects.get(name="Debit card").pk
    )
    tom = AuthorFactory(handle="tom", name="Tom")
    conversation = ConversationFactory(customer=tom, account=unhappy.account)
    # Wed 2 Sep 2026 10:00: counts from that day; SRC sent on Thu 3 Sep (1 business day).
    MentionFactory(
        author=tom,
        account=unhappy.account,
        thread_key=conversation.thread_key,
        intent="complaint",
        text="Charged twice",
        created_at=at(2026, 9, 2, 10, 0),
    )
    tom_complaint = services.complaint_confirm(
        actor=agent,
        conversation=conversation,
        cause=Category.objects.get(name="Fees, charges and interest").pk,
    )
    services.letter_send(
        actor=agent,
        complaint=tom_complaint,
        kind="summary",
        channel="email",
        text="Refunded the duplicate charge.",
        sent_on=dt.date(2026, 9, 3),
        outcome="upheld",
    )
    return jane, Complaint.objects.get(pk=tom_complaint.pk)


def rows_of(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(body.decode())))


def test_the_export_has_one_row_per_complaint_matching_it(client, compliance, register):
    jane, tom = register
    client.force_login(compliance)
    response = client.get(reverse("complaints:export"), PERIOD)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = rows_of(response)
    assert list(rows[0]) == EXPORT_COLUMNS
    by_ref = {r["reference"]: r for r in rows}
    assert set(by_ref) == {jane.reference, tom.reference}
    j, t = by_ref[jane.reference], by_ref[tom.reference]
    assert (j["regime"], j["product"], j["product_group"], j["status"]) == (
        "uk-disp",
        "Debit card",
        "Banking and credit cards",
        "open",
    )
    assert (j["counts_from"], j["overdue"], j["vulnerable"], j["vulnerability_drivers"]) == (
        "2026-09-01",
        "yes",
        "yes",
        "health",
    )
    assert (t["status"], t["outcome"], t["summary_resolution_on"], t["business_days_to_close"]) == (
        "resolved",
        "upheld",
        "2026-09-03",
        "1",
    )
    assert (t["closed_within_3_business_days"], t["final_response_within_deadline"], t["vulnerable"]) == (
        "yes",
        "yes",
        "no",
    )
    assert "private" not in response.content.decode()  # the note never goes into an export
    event = AuditEvent.objects.get(verb="complaint.export", actor=compliance)
    assert event.after == {"rows": 2, "vulnerability": "shown"}


def test_a_manager_exports_with_vulnerability_masked(client, manager, register):
    client.force_login(manager)
    rows = rows_of(client.get(reverse("complaints:export"), PERIOD))
    assert {r["vulnerable"] for r in rows} == {"masked"}
    assert AuditEvent.objects.get(verb="complaint.export").after["vulnerability"] == "masked"


@pytest.mark.parametrize(("role", "code"), [("agent", 403), ("specialist", 403), ("lead", 200)])
def test_who_may_export(request, client, role, code, register):
    client.force_login(request.getfixturevalue(role))
    assert client.get(reverse("complaints:export"), PERIOD).status_code == code


def test_the_dashboard_counts_and_links_to_the_rows(client, manager, register):
    client.force_login(manager)
    response = client.get(reverse("complaints:dashboard"), PERIOD)
    figures = response.context["figures"]
    assert figures["opened"] == 2 and figures["within_summary"] == 1 and figures["overdue"] == 1
    assert figures["upheld"] == 1
    html = response.content.decode()
    assert reverse("complaints:queue") + "?state=overdue" in html
    debit = Category.objects.get(name="Debit card")
    assert f"state=all&amp;product={debit.pk}" in html


def test_the_queue_filters_overdue_and_by_category(client, agent, register):
    jane, tom = register
    client.force_login(agent)
    html = client.get(reverse("complaints:queue"), {"state": "overdue"}).content.decode()
    assert jane.reference in html and tom.reference not in html
    assert "overdue by" in html
    html = client.get(reverse("complaints:queue"), {"state": "all", "cause": tom.cause_id}).content.decode()
    assert tom.reference in html and jane.reference not in html
    assert client.get(reverse("complaints:queue"), {"state": "nonsense", "regime": "x"}).status_code == 200
