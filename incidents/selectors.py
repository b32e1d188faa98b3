"""Reads for the incident and publishing pages: a bounded number of queries each."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from inbox.models import Conversation, Reply
from incidents.models import Incident, IncidentConversation, Post, PostDelivery
from listening.models import Mention

MEMBER_ROWS = 300
# Held for a person and not answered by anyone since.
HELD = Q(reply__isnull=True, conversation__first_response_at__isnull=True)


def incidents_list() -> list[Incident]:
    return list(
        Incident.objects.select_related("opened_by")
        .annotate(size=Count("members", filter=Q(members__removed_at__isnull=True)))
        .order_by("-opened_at")[:100]
    )


def calendar(*, now: dt.datetime | None = None) -> dict[str, list[Post]]:
    """Posts waiting for approval, scheduled, and published in the past 30 days."""
    now = now or timezone.now()
    posts = list(
        Post.objects.select_related("author", "decided_by", "incident")
        .prefetch_related("deliveries__account")
        .filter(
            Q(
                state__in=(
                    Post.State.AWAITING_APPROVAL,
                    Post.State.SCHEDULED,
                    Post.State.PUBLISHING,
                    Post.State.FAILED,
                    Post.State.REJECTED,
                )
            )
            | Q(published_at__gte=now - dt.timedelta(days=30))
        )
        .order_by("created_at")[:300]
    )
    waiting = [p for p in posts if p.state in (Post.State.AWAITING_APPROVAL, Post.State.REJECTED)]
    upcoming = sorted(
        (p for p in posts if p.state in (Post.State.SCHEDULED, Post.State.PUBLISHING, Post.State.FAILED)),
        key=lambda p: p.scheduled_for or p.decided_at or p.created_at,
    )
    sent = sorted(
        (p for p in posts if p.state == Post.State.PUBLISHED), key=lambda p: p.published_at, reverse=True
    )
    return {"waiting": waiting, "upcoming": upcoming, "published": sent}


def _duration(delta: dt.timedelta | None) -> str:
    if delta is None:
        return ""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@dataclass
class Report:
    members: int = 0
    joined_last_hour: int = 0
    joined_hour_before: int = 0
    by_network: list[tuple[str, str, int]] = field(default_factory=list)
    replies: dict[str, int] = field(default_factory=dict)
    held: int = 0
    waiting: int = 0
    first_post_at: dt.datetime | None = None
    time_to_first_post: str = ""
    answered_all_at: dt.datetime | None = None
    time_to_answer_all: str = ""
    negative_before: int | None = None
    negative_after: int | None = None
    messages_before: int = 0
    messages_after: int = 0
    timeline: list[tuple[dt.datetime, str, str]] = field(default_factory=list)

    @property
    def growth(self) -> int:
        return self.joined_last_hour - self.joined_hour_before


def _share(negative: int, total: int) -> int | None:
    return round(100 * negative / total) if total else None


def incident_report(incident: Incident, *, now: dt.datetime | None = None) -> Report:
    """The incident page's figures: who is in it, who is answered, how the mood moved, and when."""
    now = now or timezone.now()
    report = Report()
    active = IncidentConversation.objects.filter(incident=incident, removed_at__isnull=True)
    _count_members(report, active, now)
    start = incident.spike.started_at if incident.spike else incident.opened_at
    first = PostDelivery.objects.filter(
        post__incident=incident, post__purpose=Post.Purpose.STATUS, state=PostDelivery.State.SENT
    ).aggregate(at=Min("sent_at"))["at"]
    report.first_post_at = first
    report.time_to_first_post = _duration(first - start) if first else ""
    first_reply_at = _answered(report, active, start)
    _mood(report, incident, active, pivot=first or now, after_post=bool(first))
    report.timeline = _timeline(
        incident, first_reply_at=first_reply_at, answered_all_at=report.answered_all_at
    )
    return report


def _count_members(report: Report, active, now: dt.datetime) -> None:
    """Members, how fast they join, by network; the replies' states, the held and the waiting."""
    hour = dt.timedelta(hours=1)
    figures = active.aggregate(
        members=Count("pk"),
        last=Count("pk", filter=Q(joined_at__gte=now - hour)),
        before=Count("pk", filter=Q(joined_at__gte=now - 2 * hour, joined_at__lt=now - hour)),
        held=Count("pk", filter=~Q(held_reason="") & HELD),
    )
    report.members, report.joined_last_hour, report.joined_hour_before, report.held = (
        figures["members"],
        figures["last"],
        figures["before"],
        figures["held"],
    )
    names = dict(Conversation._meta.get_field("network").choices)
    report.by_network = [
        (row["conversation__network"], names.get(row["conversation__network"], ""), row["n"])
        for row in active.values("conversation__network").annotate(n=Count("pk")).order_by("-n")
    ]
    report.replies = {
        row["reply__state"]: row["n"]
        for row in active.filter(reply__isnull=False).values("reply__state").annotate(n=Count("pk"))
    }
    report.waiting = active.filter(
        reply__isnull=True, held_reason="", conversation__first_response_at__isnull=True
    ).count()


def _answered(report: Report, active, start: dt.datetime) -> dt.datetime | None:
    """When everyone was answered (once nothing waits or is on its way); the first reply's time."""
    sent = active.filter(reply__state=Reply.State.SENT).aggregate(
        first=Min("reply__sent_at"), last=Max("reply__sent_at")
    )
    if (
        sent["last"]
        and not report.waiting
        and not report.replies.get(Reply.State.QUEUED)
        and not report.replies.get(Reply.State.SENDING)
    ):
        report.answered_all_at = sent["last"]
        report.time_to_answer_all = _duration(sent["last"] - start)
    return sent["first"]


def _mood(report: Report, incident: Incident, active, *, pivot: dt.datetime, after_post: bool) -> None:
    """The customers' messages in the incident's threads, and the negative share, before and after `pivot`."""
    keys = Conversation.objects.filter(pk__in=active.values("conversation_id")).values("thread_key")
    messages = Mention.objects.filter(
        direction=Mention.Direction.IN, network__in=incident.networks, thread_key__in=keys
    )
    split = messages.aggregate(
        before=Count("pk", filter=Q(created_at__lt=pivot)),
        before_neg=Count("pk", filter=Q(created_at__lt=pivot, sentiment_label="negative")),
        after=Count("pk", filter=Q(created_at__gte=pivot)),
        after_neg=Count("pk", filter=Q(created_at__gte=pivot, sentiment_label="negative")),
    )
    report.messages_before, report.messages_after = split["before"], split["after"]
    report.negative_before = _share(split["before_neg"], split["before"])
    report.negative_after = _share(split["after_neg"], split["after"]) if after_post else None


def _timeline(
    incident: Incident, *, first_reply_at: dt.datetime | None, answered_all_at: dt.datetime | None
) -> list[tuple[dt.datetime, str, str]]:
    """(when, what, anchor) rows, oldest first."""
    timeline: list[tuple[dt.datetime, str, str]] = []
    if incident.spike:
        timeline.append((incident.spike.started_at, f"Spike began: {incident.spike.title}", "spike"))
    timeline.append((incident.opened_at, f"Incident opened by {incident.opened_by.display_name}", "opened"))
    for post in incident.posts.filter(state=Post.State.PUBLISHED).order_by("published_at"):
        timeline.append((post.published_at, f"{post.get_purpose_display()} published", f"post-{post.pk}"))
    if first_reply_at:
        timeline.append((first_reply_at, "First personal reply sent", "members"))
    if answered_all_at:
        timeline.append((answered_all_at, "Every affected customer answered", "members"))
    if incident.resolved_at:
        timeline.append(
            (
                incident.resolved_at,
                f"Resolved by {incident.resolved_by.display_name if incident.resolved_by else 'someone'}",
                "resolved",
            )
        )
    return sorted(timeline, key=lambda row: row[0])


SHOW = {
    "all": Q(),
    "waiting": Q(reply__isnull=True, held_reason="", conversation__first_response_at__isnull=True),
    "held": ~Q(held_reason="") & HELD,
    "queued": Q(reply__state__in=(Reply.State.QUEUED, Reply.State.SENDING, Reply.State.AWAITING_APPROVAL)),
    "answered": Q(reply__state=Reply.State.SENT),
}


def incident_members(
    incident: Incident, *, show: str = "all", network: str = ""
) -> list[IncidentConversation]:
    rows = (
        IncidentConversation.objects.filter(incident=incident, removed_at__isnull=True)
        .filter(SHOW.get(show, Q()))
        .select_related("conversation__customer", "reply", "follow_up")
        .order_by("-joined_at", "-pk")
    )
    if network:
        rows = rows.filter(conversation__network=network)
    return list(rows[:MEMBER_ROWS])


def incidents_between(start: dt.datetime, end: dt.datetime, *, limit: int = 50) -> list[Incident]:
    """Incidents open at some moment of [start, end): the dashboards' volume chart shows them as bands."""
    return list(
        Incident.objects.filter(opened_at__lt=end)
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=start))
        .only("pk", "name", "state", "networks", "opened_at", "resolved_at")
        .order_by("opened_at", "pk")[:limit]
    )
