"""The weekly learning digest of a department lead or a social lead: last week, Monday to Sunday.

New topics are the terms most unusually common in last week's customer messages against the four
weeks before (listening's smoothed log-odds, `distinctive_terms`), with up to two example messages,
masked. Then the questions escalated to the reader's departments (by routing rule), the library
entries that helped most and least (at least MIN_FOLLOWED followed replies), and the thanks their
people received (kudos per expert; for social leads also the customers' thanks overall).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from escalations.models import Department, Escalation, Kudos
from learning import permissions
from learning.models import Outcome, ReplyOutcome
from listening.models import Mention
from listening.terms import distinctive_terms

MIN_FOLLOWED = 3
SAMPLE = 3000  # messages read per period for the terms: enough to see what grew, bounded in memory


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def last_week(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    today = today or timezone.localdate()
    return week_of(today - dt.timedelta(days=7))


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def departments_for(user):
    if permissions.is_social_lead(user):
        return Department.objects.order_by("name")
    return Department.objects.filter(pk__in=permissions.led_department_ids(user)).order_by("name")


def can_read_digest(user) -> bool:
    return permissions.is_social_lead(user) or bool(permissions.led_department_ids(user))


@dataclass
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def start_at(self) -> dt.datetime:
        return _aware(self.start)

    @property
    def end_at(self) -> dt.datetime:
        return _aware(self.end + dt.timedelta(days=1))

    def rows_query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


def _texts(start: dt.datetime, end: dt.datetime) -> list:
    return list(
        Mention.objects.filter(
            direction=Mention.Direction.IN, for_inbox=True, created_at__gte=start, created_at__lt=end
        )
        .only("text", "pii_findings", "has_pii", "lang")
        .order_by("-created_at")[:SAMPLE]
    )


def new_topics(period: Period, *, limit: int = 5) -> list[dict]:
    week = _texts(period.start_at, period.end_at)
    before = _texts(period.start_at - dt.timedelta(days=28), period.start_at)
    masked = [(m.masked_text, m.lang) for m in week]
    terms = distinctive_terms(masked, [(m.masked_text, m.lang) for m in before], limit=limit)
    topics = []
    for term in terms:
        examples = [text for text, _lang in masked if term in text.lower()]
        topics.append({"term": term, "count": len(examples), "examples": _different(examples)[:2]})
    return topics


def _different(texts: list[str]) -> list[str]:
    """`texts` without repeats: many customers write the same words ("Is the app down?")."""
    seen: set[str] = set()
    different = []
    for text in texts:
        key = " ".join(text.casefold().split())
        if key not in seen:
            seen.add(key)
            different.append(text)
    return different


def escalated(period: Period, departments) -> list[dict]:
    rows = (
        Escalation.objects.filter(
            department__in=departments, opened_at__gte=period.start_at, opened_at__lt=period.end_at
        )
        .values("department_id", "department__name", "rule__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "department__name")[:10]
    )
    link = reverse("dashboards:rows")
    return [
        {
            "department": r["department__name"],
            "rule": r["rule__name"] or "escalated by hand",
            "n": r["n"],
            "url": f"{link}?metric=escalations&department={r['department_id']}&{period.rows_query()}",
        }
        for r in rows
    ]


def entries(period: Period) -> dict:
    helped = Q(outcome__in=[Outcome.THANKS, Outcome.RESOLVED])
    rows = (
        ReplyOutcome.objects.filter(sent_at__gte=period.start_at, sent_at__lt=period.end_at)
        .exclude(outcome=Outcome.PENDING)
        .values("saved_reply_id", "saved_reply__title", "article_id", "article__title")
        .annotate(followed=Count("pk"), helped=Count("pk", filter=helped))
    )
    scored = []
    for r in rows:
        if r["followed"] < MIN_FOLLOWED:
            continue
        anchor = f"saved-{r['saved_reply_id']}" if r["saved_reply_id"] else "articles"
        scored.append(
            {
                "title": r["saved_reply__title"] or r["article__title"],
                "helped": r["helped"],
                "followed": r["followed"],
                "share": r["helped"] / r["followed"],
                "url": reverse("learning:library") + f"#{anchor}",
            }
        )
    scored.sort(key=lambda e: (-e["share"], -e["followed"], e["title"]))
    best = scored[:3]
    worst = [e for e in reversed(scored[3:]) if e not in best][:3]
    return {"best": best, "worst": worst}


def thanks(period: Period, departments, *, overall: bool) -> dict:
    members = Department.objects.filter(pk__in=[d.pk for d in departments]).values("members")
    kudos = (
        Kudos.objects.filter(
            created_at__gte=period.start_at, created_at__lt=period.end_at, expert__in=members
        )
        .values("expert_id", "expert__first_name", "expert__last_name", "expert__username")
        .annotate(n=Count("pk"))
        .order_by("-n")
    )
    link = reverse("dashboards:rows")
    people = [
        {
            "name": " ".join(filter(None, [k["expert__first_name"], k["expert__last_name"]]))
            or k["expert__username"],
            "n": k["n"],
            "url": f"{link}?metric=kudos&expert={k['expert_id']}&{period.rows_query()}",
        }
        for k in kudos
    ]
    customers = None
    if overall:
        customers = Mention.objects.filter(
            direction=Mention.Direction.IN,
            intent="thanks",
            received_at__gte=period.start_at,
            received_at__lt=period.end_at,
        ).count()
    return {
        "people": people,
        "customers": customers,
        "customers_url": f"{link}?metric=mentions&intent=thanks&{period.rows_query()}",
    }


def digest(user, period: Period) -> dict:
    departments = list(departments_for(user))
    return {
        "period": period,
        "departments": departments,
        "topics": new_topics(period),
        "escalated": escalated(period, departments),
        "entries": entries(period),
        "thanks": thanks(period, departments, overall=permissions.is_social_lead(user)),
    }


def weekly_digest_notify(*, today: dt.date | None = None) -> int:
    """Monday: tell every social lead and department lead that last week's digest is ready."""
    from bankbuzz.accounts import roles
    from bankbuzz.accounts.models import User
    from bankbuzz.accounts.notifications import notify

    start, _end = last_week(today)
    readers = (
        User.objects.filter(is_active=True)
        .filter(Q(groups__name=roles.LEAD) | Q(led_departments__isnull=False))
        .distinct()
    )
    people = list(readers)
    notify(
        recipients=people,
        verb="learning.digest",
        text=f"Your learning digest for the week of {start:%d %b} is ready: new topics, escalations, "
        "what helped and the thanks your people received.",
        url=reverse("learning:digest") + f"?week={start.isoformat()}",
    )
    return len(people)
