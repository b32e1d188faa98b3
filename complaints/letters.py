"""The four letters, written from templates (templates/complaints/letters/) with wording slots
filled from settings: the firm's name and signature, the ombudsman's name, contact and time
limit (UK regimes), the US agency (US regimes). The agent may edit the text before it goes."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from complaints import clocks, services
from complaints.models import Complaint, Letter


def wording() -> dict:
    return {
        "firm": settings.COMPLAINTS_FIRM_NAME,
        "signature": settings.COMPLAINTS_SIGNATURE,
        "ombudsman": settings.COMPLAINTS_OMBUDSMAN_NAME,
        "ombudsman_contact": settings.COMPLAINTS_OMBUDSMAN_CONTACT,
        "ombudsman_time_limit": settings.COMPLAINTS_OMBUDSMAN_TIME_LIMIT,
        "us_agency": settings.COMPLAINTS_US_AGENCY,
    }


def _day_of(due: dt.datetime) -> dt.datetime:
    """A clock ending at midnight ends with the day before: the letter names that day (as the
    complaint's page does), not the next one."""
    return due - dt.timedelta(minutes=1) if due.time() == dt.time(0) else due


def draft(complaint: Complaint, kind: str) -> str:
    """The letter's text for this complaint, before the agent edits it."""
    if kind not in Letter.Kind.values:
        raise ValueError(f"unknown letter {kind!r}")
    customer = complaint.customer
    name = (customer.name or customer.handle) if customer else "customer"
    tz = timezone.get_current_timezone()
    final_due = complaint.final_due_at
    if kind == Letter.Kind.HOLDING:
        # The holding reply tells the customer the extended deadline it sets.
        extended = clocks.extended_due(services.calendar(), complaint.counts_from, complaint.regime_snapshot)
        final_due = max(final_due, extended) if extended else final_due
    context = {
        **wording(),
        "complaint": complaint,
        "reference": complaint.reference,
        "customer_name": name,
        "received": timezone.localtime(complaint.received_at, tz),
        "final_due": _day_of(timezone.localtime(final_due, tz)),
        "letters": (complaint.regime_snapshot or {}).get("letters", "uk"),
        "summary": complaint.summary,
    }
    return render_to_string(f"complaints/letters/{kind}.txt", context).strip()
