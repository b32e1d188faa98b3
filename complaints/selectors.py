"""Reads of complaints: the queue, clock chips, the dashboard's figures and the export rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import BooleanField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from complaints import clocks, permissions
from complaints.models import Complaint, Dismissal, Vulnerability
from complaints.services import SUGGESTING_INTENTS
from inbox.models import Conversation
from listening.models import Mention

QUEUE_STATES = {
    "suggested": "Suggested",
    "open": "Open",
    "due_soon": "Due soon",
    "overdue": "Overdue",
    "closed": "Closed",
    "all": "All",
}
PAGE = 100


@dataclass
class Chip:
    label: str
    text: str
    state: str  # ok, warning or breach
    due: dt.datetime


def chip(label: str, due: dt.datetime, *, cal: clocks.Calendar, now: dt.datetime, soon: int) -> Chip:
    left = cal.business_days_left(now, due)
    if due <= now:
        late = -left
        text = "overdue" if late == 0 else f"overdue by {late} business day{'' if late == 1 else 's'}"
        return Chip(label, text, "breach", due)
    if left == 0:
        return Chip(label, f"due today {timezone.localtime(due):%H:%M}", "warning", due)
    text = f"{left} business day{'' if left == 1 else 's'} left"
    return Chip(label, text, "warning" if left <= soon else "ok", due)


def chips(complaint: Complaint, *, cal: clocks.Calendar, now: dt.datetime) -> list[Chip]:
    """The clocks still owed, each as a countdown in business days."""
    if not complaint.is_open:
        return []
    soon = (complaint.regime_snapshot or {}).get("due_soon_business_days", 2)
    shown = []
    owes_acknowledgement = complaint.acknowledge_due_at and not complaint.acknowledged_at
    summary_open = (
        complaint.summary_due_at and complaint.summary_due_at > now and not complaint.acknowledged_at
    )
    if summary_open and owes_acknowledgement and complaint.summary_due_at == complaint.acknowledge_due_at:
        # UK DISP: one deadline for both (resolve with a summary, or acknowledge).
        shown.append(chip("Resolve or acknowledge", complaint.summary_due_at, cal=cal, now=now, soon=soon))
    else:
        if summary_open:
            shown.append(chip("Summary resolution", complaint.summary_due_at, cal=cal, now=now, soon=soon))
        if owes_acknowledgement:
            shown.append(chip("Acknowledgement", complaint.acknowledge_due_at, cal=cal, now=now, soon=soon))
    shown.append(chip("Final response", complaint.final_due_at, cal=cal, now=now, soon=soon))
    return shown


MET = {
    "summary": "closed within 3 business days (the summary resolution deadline)",
    "final": "closed within the final deadline",
}
OUTCOMES = {"upheld": "upheld (fully or partly)"}
UPHELD = (Complaint.Outcome.UPHELD, Complaint.Outcome.PARTLY)


@dataclass
class QueueFilters:
    state: str = "open"
    regime: int | None = None
    product: int | None = None
    cause: int | None = None
    # The dashboard's drill-down: received in a period, and the figure's own condition.
    start: dt.date | None = None
    end: dt.date | None = None
    met: str = ""
    outcome: str = ""

    def params(self) -> dict[str, str]:
        """Everything but the state, as query parameters (the tabs keep them)."""
        pairs = {
            "regime": self.regime,
            "product": self.product,
            "cause": self.cause,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "met": self.met,
            "outcome": self.outcome,
        }
        return {k: str(v) for k, v in pairs.items() if v}

    def describe(self) -> str:
        words = []
        if self.start and self.end:
            words.append(f"received {self.start:%-d %b %Y} to {self.end:%-d %b %Y}")
        if self.met in MET:
            words.append(MET[self.met])
        if self.outcome in OUTCOMES:
            words.append(OUTCOMES[self.outcome])
        return ", ".join(words)


def received_between(start: dt.date, end: dt.date) -> Q:
    """Received from `start` to `end`, local dates inclusive (the dashboard's period)."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(0), tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return Q(received_at__gte=since, received_at__lt=until)


# The dashboard's figures as conditions on a row: the count and its drill-down are the same rows.
# "Closed within 3 business days" as a complaints return counts it: closed by any letter (a summary
# resolution or an early final response) before the regime's first clock ran out.
CLOSED_WITHIN_SUMMARY = ~Q(status=Complaint.Status.OPEN) & Q(closed_at__lte=F("summary_due_at"))
CLOSED_WITHIN_FINAL = ~Q(status=Complaint.Status.OPEN) & Q(closed_at__lte=F("final_due_at"))


def due_soon_before(cal: clocks.Calendar, now: dt.datetime, days: int = 2) -> dt.datetime:
    """Close of business `days` business days from today: "due soon" is due before it."""
    today = now.astimezone(cal.tz).date()
    return cal.close_of(
        cal.add_business_days(today if cal.is_business_day(today) else cal.next_business_day(today), days)
    )


def _owed_before(instant: dt.datetime) -> Q:
    return Q(final_due_at__lte=instant) | Q(
        acknowledge_due_at__lte=instant, acknowledged_at__isnull=True, holding_reply_at__isnull=True
    )


def complaint_queue(
    *, user, filters: QueueFilters, cal: clocks.Calendar, now: dt.datetime
) -> QuerySet[Complaint]:
    permissions.register_access(user)
    # The rows link to their conversation by id: its row (and search vector) is not read.
    qs = Complaint.objects.select_related("regime", "product", "cause", "customer")
    state = filters.state
    if state in ("open", "due_soon", "overdue"):
        qs = qs.filter(status=Complaint.Status.OPEN)
    if state == "due_soon":
        qs = qs.filter(_owed_before(due_soon_before(cal, now))).exclude(_owed_before(now))
    elif state == "overdue":
        qs = qs.filter(_owed_before(now))
    elif state == "closed":
        qs = qs.exclude(status=Complaint.Status.OPEN)
    if filters.regime:
        qs = qs.filter(regime_id=filters.regime)
    if filters.product:
        qs = qs.filter(product_id=filters.product)
    if filters.cause:
        qs = qs.filter(cause_id=filters.cause)
    if filters.start and filters.end:
        qs = qs.filter(received_between(filters.start, filters.end))
    if filters.met == "summary":
        qs = qs.filter(CLOSED_WITHIN_SUMMARY)
    elif filters.met == "final":
        qs = qs.filter(CLOSED_WITHIN_FINAL)
    if filters.outcome == "upheld":
        qs = qs.filter(outcome__in=UPHELD)
    if state == "closed":
        return qs.order_by("-closed_at", "-id")
    return qs.order_by("final_due_at", "id")


def suggested_queue(*, user, limit: int = PAGE) -> list[Conversation]:
    """Conversations whose customer wrote something labelled complaint or fraud that no person has
    confirmed (as part of a complaint) or dismissed yet, the latest activity first.

    Two queries whatever the number of rows: the conversations (with their first undecided
    message's id), then those messages. `first_suggested` is set on each conversation.
    """
    permissions.register_access(user)
    undecided = (
        Mention.objects.filter(
            network=OuterRef("network"),
            thread_key=OuterRef("thread_key"),
            author_id=OuterRef("customer_id"),
            direction=Mention.Direction.IN,
            intent__in=SUGGESTING_INTENTS,
        )
        .exclude(Exists(Dismissal.objects.filter(mention_id=OuterRef("pk"))))
        .exclude(Exists(Complaint.messages.through.objects.filter(mention_id=OuterRef("pk"))))
        .order_by("created_at", "id")
    )
    conversations = list(
        Conversation.objects.annotate(first_suggested_id=Subquery(undecided.values("pk")[:1]))
        .filter(first_suggested_id__isnull=False)
        .exclude(Exists(Complaint.objects.filter(conversation=OuterRef("pk"), status=Complaint.Status.OPEN)))
        .select_related("customer")
        .order_by("-last_activity_at", "-id")[:limit]
    )
    messages = Mention.objects.in_bulk([c.first_suggested_id for c in conversations])
    for conversation in conversations:
        conversation.first_suggested = messages.get(conversation.first_suggested_id)
    return conversations


# --- Dashboard -----------------------------------------------------------------------------------


def within(complaint: Complaint, due: dt.datetime | None, at: dt.datetime | None) -> bool:
    return bool(due and at and at <= due)


def dashboard(*, start: dt.date, end: dt.date, now: dt.datetime) -> dict:
    """Complaints received from `start` to `end` (local dates, inclusive)."""
    period = Complaint.objects.filter(received_between(start, end))
    rows = list(
        period.select_related("regime", "product", "cause").annotate(
            is_within_summary=ExpressionWrapper(CLOSED_WITHIN_SUMMARY, output_field=BooleanField()),
            is_within_final=ExpressionWrapper(CLOSED_WITHIN_FINAL, output_field=BooleanField()),
        )
    )
    # Each figure is the count of the rows its drill-down (complaint_queue) lists.
    figures = {
        "opened": len(rows),
        "open": sum(1 for c in rows if c.is_open),
        "closed": sum(1 for c in rows if not c.is_open),
        "within_summary": sum(1 for c in rows if c.is_within_summary),
        "within_final": sum(1 for c in rows if c.is_within_final),
        "overdue": sum(1 for c in rows if c.is_open and (c.next_due_at and c.next_due_at <= now)),
        "upheld": sum(1 for c in rows if c.outcome in UPHELD),
    }
    by = {}
    for key, attr in (("regime", "regime"), ("product", "product"), ("cause", "cause")):
        counts: dict[tuple[int | None, str], list[int]] = {}
        for c in rows:
            obj = getattr(c, attr)
            slot = counts.setdefault(
                (obj.pk if obj else None, str(obj) if obj else "Not categorised"), [0, 0, 0]
            )
            slot[0] += 1
            slot[1] += 0 if c.is_open else 1
            slot[2] += 1 if c.outcome in UPHELD else 0
        by[key] = sorted(
            (
                {"id": k[0], "name": k[1], "opened": v[0], "closed": v[1], "upheld": v[2]}
                for k, v in counts.items()
            ),
            key=lambda r: (-r["opened"], r["name"]),
        )
    return {"figures": figures, "by": by, "start": start, "end": end}


# --- The regulator-shaped export ------------------------------------------------------------------

EXPORT_COLUMNS = [
    "reference",
    "received_at",
    "counts_from",
    "channel",
    "regime",
    "product_group",
    "product",
    "cause",
    "status",
    "acknowledged_on",
    "holding_reply_on",
    "summary_resolution_on",
    "final_response_on",
    "closed_on",
    "business_days_to_close",
    "closed_within_3_business_days",
    "final_response_within_deadline",
    "overdue",
    "outcome",
    "redress",
    "vulnerable",
    "vulnerability_drivers",
]


def _day(value: dt.datetime | None) -> str:
    return timezone.localtime(value).date().isoformat() if value else ""


def export_rows(*, user, start: dt.date, end: dt.date, cal: clocks.Calendar, now: dt.datetime) -> list[dict]:
    """One row per complaint received in the period, in a complaints return's terms."""
    permissions.export_access(user)
    see = permissions.can_see_vulnerability(user)
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time(0), tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    complaints = list(
        Complaint.objects.filter(received_at__gte=since, received_at__lt=until)
        .select_related("regime", "product", "cause")
        .order_by("received_at", "id")
    )
    flags = {}
    if see:
        customer_ids = {c.customer_id for c in complaints if c.customer_id}
        flags = {v.customer_id: v for v in Vulnerability.objects.filter(customer_id__in=customer_ids)}
    rows = []
    for c in complaints:
        days_to_close = ""
        if c.closed_at:
            closed_day = c.closed_at.astimezone(cal.tz).date()
            n, day = 0, c.counts_from
            while day < closed_day:
                day += dt.timedelta(days=1)
                n += 1 if cal.is_business_day(day) else 0
            days_to_close = str(n)
        flag = flags.get(c.customer_id)
        rows.append(
            {
                "reference": c.reference,
                "received_at": timezone.localtime(c.received_at).isoformat(timespec="minutes"),
                "counts_from": c.counts_from.isoformat(),
                "channel": f"social ({c.network})",
                "regime": c.regime.code,
                "product_group": c.product.group if c.product else "",
                "product": c.product.name if c.product else "",
                "cause": c.cause.name if c.cause else "",
                "status": c.status,
                "acknowledged_on": _day(c.acknowledged_at),
                "holding_reply_on": _day(c.holding_reply_at),
                "summary_resolution_on": _day(c.resolved_at),
                "final_response_on": _day(c.final_response_at),
                "closed_on": _day(c.closed_at),
                "business_days_to_close": days_to_close,
                "closed_within_3_business_days": "yes"
                if c.closed_at and days_to_close != "" and int(days_to_close) <= 3
                else "no",
                "final_response_within_deadline": (
                    ("yes" if within(c, c.final_due_at, c.closed_at) else "no") if c.closed_at else ""
                ),
                "overdue": "yes" if c.is_open and c.next_due_at and c.next_due_at <= now else "no",
                "outcome": c.outcome,
                "redress": f"{c.redress:.2f}" if c.redress is not None else "",
                "vulnerable": ("yes" if flag else "no") if see else "masked",
                "vulnerability_drivers": " ".join(flag.drivers)
                if see and flag
                else ("" if see else "masked"),
            }
        )
    return rows
