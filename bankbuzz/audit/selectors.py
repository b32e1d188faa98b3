"""The compliance page's search: filters plus keyset pagination on (at, id), newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent, LegalHold

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # a username as recorded (actor_label), or "system"
    verb: str = ""  # exact ("mention.unmask") or a prefix ending in a dot ("escalation.")
    object_type: str = ""  # "inbox.conversation"
    object_id: str = ""
    start: dt.date | None = None  # whole days in the bank's time zone, both included
    end: dt.date | None = None
    # The page's default: what people did. System events (tasks, the schedule) behind a toggle.
    people_only: bool = False


@dataclass
class AuditPage:
    events: list[AuditEvent]
    next_cursor: str


def _day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_current_timezone())


def audit_events(filters: AuditFilters) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.all()
    if filters.people_only and filters.actor != "system":
        events = events.filter(actor__isnull=False)
    if filters.actor:
        events = events.filter(actor_label=filters.actor)
    if filters.verb:
        if filters.verb.endswith("."):
            events = events.filter(verb__startswith=filters.verb)
        else:
            events = events.filter(verb=filters.verb)
    if filters.object_type:
        events = events.filter(object_type=filters.object_type)
    if filters.object_id:
        events = events.filter(object_id=filters.object_id)
    if filters.start:
        events = events.filter(at__gte=_day_start(filters.start))
    if filters.end:
        events = events.filter(at__lt=_day_start(filters.end + dt.timedelta(days=1)))
    return events.order_by("-at", "-id")


def _decode(cursor: str) -> tuple[dt.datetime, int] | None:
    at, _, pk = cursor.partition("_")
    try:
        return dt.datetime.fromisoformat(at), int(pk)
    except ValueError:
        return None


def audit_page(filters: AuditFilters, *, cursor: str = "", size: int = PAGE_SIZE) -> AuditPage:
    events = audit_events(filters)
    position = _decode(cursor) if cursor else None
    if position:
        at, pk = position
        events = events.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
    rows = list(events.select_related(None)[: size + 1])
    next_cursor = ""
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = f"{last.at.isoformat()}_{last.pk}"
    return AuditPage(rows, next_cursor)


def verbs() -> list[str]:
    """For the verb filter's suggestions (distinct verbs use the (verb, at) index)."""
    return list(AuditEvent.objects.order_by("verb").values_list("verb", flat=True).distinct()[:300])


def active_holds_on(*objects) -> list[LegalHold]:
    """The legal holds in force on any of `objects` (model instances; None is skipped)."""
    from django.contrib.contenttypes.models import ContentType

    wanted = Q(pk__in=[])
    for obj in objects:
        if obj is not None:
            wanted |= Q(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
    return list(LegalHold.objects.filter(wanted, lifted_at__isnull=True).order_by("placed_at"))
