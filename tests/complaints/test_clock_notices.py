"""Due-soon and breach notices, each once, like the SLA ones; the clock runs on when escalated."""

from __future__ import annotations

import datetime as dt

from bankbuzz.accounts.models import Notification
from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from complaints import services
from complaints.models import Complaint
from escalations import services as escalations
from tests.escalations.conftest import make_department


def test_due_soon_then_breach_each_once_while_escalated(agent, lead, unhappy):
    WebhookEndpoint.objects.create(
        name="CMS", url="https://cms.bank.example/h", events=["complaint.due_soon"], secret_encrypted="x"
    )
    complaint = services.complaint_confirm(actor=agent, conversation=unhappy)
    escalations.escalation_open(
        actor=agent, conversation=unhappy, department=make_department("Cards"), question="Why declined?"
    )
    # The acknowledgement is due Fri 4 Sep 16:30 UTC; on Thu 3 Sep it is 1 business day away (due soon).
    thursday = dt.datetime(2026, 9, 3, 9, 0, tzinfo=dt.UTC)
    assert services.complaints_check_clocks(now=thursday) == {"due_soon": 1, "breach": 0}
    assert services.complaints_check_clocks(now=thursday) == {"due_soon": 0, "breach": 0}
    notice = Notification.objects.get(recipient=lead, verb="complaint.due_soon")
    assert complaint.reference in notice.text and "acknowledgement" in notice.text
    monday = dt.datetime(2026, 9, 7, 9, 0, tzinfo=dt.UTC)
    assert services.complaints_check_clocks(now=monday) == {"due_soon": 0, "breach": 1}
    assert services.complaints_check_clocks(now=monday) == {"due_soon": 0, "breach": 0}
    assert Notification.objects.filter(recipient=lead, verb="complaint.breach").count() == 1
    levels = [d.payload["data"]["level"] for d in WebhookDelivery.objects.order_by("pk")]
    assert levels == ["due_soon", "breach"]
    assert Complaint.objects.get().is_open


def test_a_closed_complaint_gets_no_notice(agent, unhappy):
    complaint = services.complaint_confirm(actor=agent, conversation=unhappy)
    services.letter_send(
        actor=agent,
        complaint=complaint,
        kind="summary",
        channel="email",
        text="Sorted.",
        sent_on=dt.date(2026, 9, 2),
        outcome="not_upheld",
    )
    assert services.complaints_check_clocks(now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)) == {
        "due_soon": 0,
        "breach": 0,
    }
