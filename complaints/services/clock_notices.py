"""The beat: notices before and at the breach of a complaint's clocks."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from bankbuzz.api.webhooks import emit
from complaints.models import Complaint
from complaints.services.regimes import calendar
from complaints.services.steps import webhook_payload


def _recipients(complaint: Complaint) -> list[User]:
    people = list(User.objects.filter(groups__name=roles.LEAD, is_active=True))
    conversation = complaint.conversation
    if conversation is not None and conversation.assignee_id:
        people.append(conversation.assignee)
    elif complaint.confirmed_by_id:
        people.append(complaint.confirmed_by)
    return people


def _owed_clocks(complaint: Complaint) -> list[tuple[str, dt.datetime]]:
    owed = [("final", complaint.final_due_at)]
    if complaint.acknowledge_due_at and not complaint.acknowledged_at:
        owed.append(("acknowledge", complaint.acknowledge_due_at))
    return owed


def complaints_check_clocks(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Every few minutes (beat): a notice when a clock is due soon and when it runs out, each once.

    The clock keeps running whatever happens to the conversation (an escalation to a department
    has an SLA of its own, which does not stop this one).
    """
    now = now or timezone.now()
    cal = calendar()
    sent = {"due_soon": 0, "breach": 0}
    horizon = now + dt.timedelta(days=21)  # "due soon" is at most a few business days away
    candidates = Complaint.objects.filter(status=Complaint.Status.OPEN).filter(
        Q(final_due_at__lte=horizon) | Q(acknowledge_due_at__lte=horizon, acknowledged_at__isnull=True)
    )
    for pk in candidates.values_list("pk", flat=True)[:2000]:
        with transaction.atomic():
            complaint = (
                Complaint.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("conversation__assignee", "confirmed_by", "regime")
                .filter(pk=pk, status=Complaint.Status.OPEN)
                .first()
            )
            if complaint is None:
                continue
            soon_days = (complaint.regime_snapshot or {}).get("due_soon_business_days", 2)
            new = []
            for clock, due in _owed_clocks(complaint):
                if due <= now:
                    level = "breach"
                elif cal.business_days_left(now, due) <= soon_days:
                    level = "due_soon"
                else:
                    continue
                key = f"{clock}:{level}"
                if key in complaint.notices:
                    continue
                new.append((clock, level, due))
            if not new:
                continue
            for clock, level, due in new:
                complaint.notices = [*complaint.notices, f"{clock}:{level}"]
                what = "acknowledgement" if clock == "acknowledge" else "final response"
                when = timezone.localtime(due).strftime("%d %b %H:%M")
                text = (
                    f"Complaint {complaint.reference}: the {what} was due {when} and has not been sent"
                    if level == "breach"
                    else f"Complaint {complaint.reference}: the {what} is due {when}"
                )
                notify(
                    recipients=_recipients(complaint),
                    verb=f"complaint.{level}",
                    text=text,
                    url=reverse("complaints:detail", args=[complaint.pk]),
                )
                emit("complaint.due_soon", {**webhook_payload(complaint), "clock": clock, "level": level})
                sent[level] += 1
            complaint.save(update_fields=["notices"])
    return sent
