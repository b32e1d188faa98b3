"""The SLA clocks of an escalation: started, paused and resumed, and the warnings and breaches
they raise.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.notifications import notify
from escalations import selectors
from escalations.models import Escalation, EscalationEvent
from escalations.services.steps import escalation_url, record_event
from escalations.sla import WorkingHours, add_working, working_seconds_between
from escalations.webhooks import emit_escalation

logger = logging.getLogger(__name__)
State = Escalation.State
Kind = EscalationEvent.Kind


WARN_AT = 0.75  # share of the SLA after which the first warning goes out


# --- SLA clocks ---------------------------------------------------------------------------------

CLOCK_FIELDS = ("response_due_at", "response_warn_at", "resolution_due_at", "resolution_warn_at")


def refresh_due(escalation: Escalation) -> None:
    if escalation.state != State.OPEN:
        escalation.due_at = None
        return
    dues = [escalation.resolution_due_at]
    if escalation.first_response_at is None:
        dues.append(escalation.response_due_at)
    dues = [d for d in dues if d is not None]
    escalation.due_at = min(dues) if dues else None


def start_clocks(
    escalation: Escalation,
    *,
    now: dt.datetime,
    hours: WorkingHours | None = None,
    minutes: tuple[int, int] | None = None,
) -> None:
    """Start the SLA clocks; `hours` and `minutes` when the caller read them already (a page at once)."""
    hours = hours or selectors.working_hours(escalation.department)
    response, resolution = minutes or selectors.sla_minutes(escalation.department, escalation.priority)
    escalation.response_due_at = add_working(now, response * 60, hours)
    escalation.response_warn_at = add_working(now, response * 60 * WARN_AT, hours)
    escalation.resolution_due_at = add_working(now, resolution * 60, hours)
    escalation.resolution_warn_at = add_working(now, resolution * 60 * WARN_AT, hours)
    escalation.response_warned_at = escalation.response_breached_at = None
    escalation.resolution_warned_at = escalation.resolution_breached_at = None
    escalation.paused_at = None
    escalation.paused_remaining = {}
    refresh_due(escalation)


def pause_clocks(escalation: Escalation, *, now: dt.datetime) -> None:
    hours = selectors.working_hours(escalation.department)
    remaining = {}
    for name in CLOCK_FIELDS:
        value = getattr(escalation, name)
        if value is not None:
            remaining[name] = working_seconds_between(now, value, hours)
            setattr(escalation, name, None)
    escalation.paused_at = now
    escalation.paused_remaining = remaining
    escalation.due_at = None


def resume_clocks(escalation: Escalation, *, now: dt.datetime) -> None:
    hours = selectors.working_hours(escalation.department)
    for name, seconds in (escalation.paused_remaining or {}).items():
        if name not in CLOCK_FIELDS:
            continue
        # Overdue before the pause: it stays overdue by as much (in plain time, it is past anyway).
        value = add_working(now, seconds, hours) if seconds > 0 else now + dt.timedelta(seconds=seconds)
        setattr(escalation, name, value)
    escalation.paused_at = None
    escalation.paused_remaining = {}
    refresh_due(escalation)


# --- SLA beat ------------------------------------------------------------------------------------

# clock: (due field, warn field, warned-at field, breached-at field, only while)
CLOCKS = {
    "response": (
        "response_due_at",
        "response_warn_at",
        "response_warned_at",
        "response_breached_at",
        Q(first_response_at__isnull=True),
    ),
    "resolution": (
        "resolution_due_at",
        "resolution_warn_at",
        "resolution_warned_at",
        "resolution_breached_at",
        Q(),
    ),
}


CLOCK_LABEL = {"response": "first response", "resolution": "resolution"}


def _social_leads() -> list[User]:
    return list(User.objects.filter(is_active=True, groups__name=roles.LEAD).distinct())


def _sla_recipients(escalation: Escalation) -> list[User]:
    people = [escalation.assignee, *escalation.department.leads.filter(is_active=True), *_social_leads()]
    return [u for u in people if u is not None]


def _mail_department(escalation: Escalation, text: str) -> None:
    address = escalation.department.notification_email
    if not address:
        return

    def send() -> None:
        try:
            send_mail(
                subject=f"BankBuzz: {text}"[:150],
                message=f"{text}\n\nOpen it in BankBuzz: {settings.SITE_URL}{escalation_url(escalation)}",
                from_email=None,
                recipient_list=[address],
            )
        except Exception:
            logger.exception("could not e-mail %s about escalation %s", address, escalation.pk)

    transaction.on_commit(send)


@transaction.atomic
def _sla_signal(escalation_id: int, *, clock: str, level: str, now: dt.datetime) -> bool:
    """Send one warning or breach notice, exactly once (conditional update first)."""
    due_f, warn_f, warned_f, breached_f, only = CLOCKS[clock]
    mark = warned_f if level == "warning" else breached_f
    fields = {mark: now}
    if level == "breach":
        # A breach found late (beat was down) also counts as the 75% warning: no stale second notice.
        fields[warned_f] = now
        claimed = (
            Escalation.objects.filter(
                only, pk=escalation_id, state=State.OPEN, **{f"{breached_f}__isnull": True}
            )
            .filter(**{f"{due_f}__lte": now})
            .update(**fields)
        )
    else:
        claimed = (
            Escalation.objects.filter(
                only, pk=escalation_id, state=State.OPEN, **{f"{warned_f}__isnull": True}
            )
            .filter(**{f"{warn_f}__lte": now})
            .update(**fields)
        )
    if not claimed:
        return False
    escalation = Escalation.objects.select_related(
        "department", "assignee", "conversation", "conversation__customer"
    ).get(pk=escalation_id)
    label = CLOCK_LABEL[clock]
    handle = escalation.conversation.customer.handle
    if level == "breach":
        text = f"SLA breached ({label}): {escalation.department.name}, @{handle}"
        kind = Kind.SLA_BREACH
        if escalation.assignee_id is None:
            lead = escalation.department.leads.filter(is_active=True).order_by("pk").first()
            if lead is not None:
                escalation.assignee = lead
                escalation.save(update_fields=["assignee"])
                text += f"; assigned to {lead.display_name}"
    else:
        due = getattr(escalation, due_f)
        local = timezone.localtime(due) if due else None
        text = f"SLA due soon ({label}): {escalation.department.name}, @{handle}" + (
            f", due {local:%a %d %b %H:%M}" if local else ""
        )
        kind = Kind.SLA_WARNING
    record_event(escalation, actor=None, kind=kind, text=text, data={"clock": clock})
    notify(
        recipients=_sla_recipients(escalation),
        verb=f"escalation.sla_{level}",
        text=text,
        url=escalation_url(escalation),
    )
    _mail_department(escalation, text)
    emit_escalation(f"escalation.sla_{level}", escalation)
    return True


def escalations_check_slas(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The minute-by-minute beat: warn at 75% and at breach, each once per clock."""
    now = now or timezone.now()
    sent = {"warning": 0, "breach": 0}
    for clock, (due_f, warn_f, warned_f, breached_f, only) in CLOCKS.items():
        running = Escalation.objects.filter(only, state=State.OPEN)
        breaches = running.filter(**{f"{due_f}__lte": now, f"{breached_f}__isnull": True})
        for pk in breaches.values_list("pk", flat=True)[:500]:
            sent["breach"] += _sla_signal(pk, clock=clock, level="breach", now=now)
        warnings = running.filter(**{f"{warn_f}__lte": now, f"{warned_f}__isnull": True})
        for pk in warnings.values_list("pk", flat=True)[:500]:
            sent["warning"] += _sla_signal(pk, clock=clock, level="warning", now=now)
    return sent
