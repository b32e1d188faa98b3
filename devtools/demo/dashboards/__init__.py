"""A month of past activity for the demo organisation (called by demo_seed), so the dashboards
and the queues look like a real team's the first time anyone opens them.

The story: about four conversations a working day and two at weekends, at the hours people
write (`devtools.demo.listening.HOURLY_SHAPE`), from the sandbox's crowd (nobody writes twice within a
fortnight; they are the people the live traffic brings, so a customer's card lists what they
asked before). The team answers most within the hour, asks the experts about cards, fraud,
mortgages and payments, and resolves everything older than a day; customers thank them before
it is resolved. On the morning of the app outage (`devtools.demo.listening.outage_day`) the app questions
pile up and are answered together once it is fixed. The last two days are still in progress:
a few conversations wait for a first answer, some for the customer, and each department has
escalations open, some taken by its expert (`story.OPEN_WORK`). Spam comes from the crowd's bots and is
filed as spam. Notifications about finished work were read (and e-mailed) back then; those about
the open escalations are unread, so a specialist's badge counts what their queue shows.

Idempotent: the history's mentions carry external ids starting with `HISTORY_PREFIX`; when one
exists, the history is there and nothing is added.

The history goes through the services a real day goes through, with these exceptions, each
because the service stamps "now" and cannot be told otherwise:
- `mentions_ingest` stamps `received_at` with the time of the poll: the seed sets it to the time
  the customer wrote, as a poll at the time would have (volume charts and the heatmap read it);
- `conversation_resolve` stamps `resolved_at` now: the seed moves it back to when it happened;
- the ingest meets the customer "now": the seed dates `first_seen_at` to their first message;
- every step stamps its thread events, escalation events and notifications now: the seed moves
  them back to the step's time (`steps.happened_at`), so the conversation pane tells the history in
  order, each event after the message it follows;
- audit entries keep the time of the seed: the audit log is append-only (the database refuses
  UPDATE), and it truthfully records when the seed took these steps.
The seed attaches the mentions to their conversations itself (in order, inside demo_seed's
transaction: assigning, replying and escalating need the conversation), so the ingest's
`mentions_received` is held for them (`mentions_received_held`): it would attach every message
before the seed has dated it, and reopen the resolved conversations. Kudos are given by calling
the service the signal's receiver calls.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db.models import F
from django.utils import timezone

from bankbuzz.accounts.models import Notification, User
from dashboards.services import rollup_refresh_mentions
from devtools.demo.dashboards.conversations import conversation, outage_conversation
from devtools.demo.dashboards.steps import (
    BANK_ACCOUNTS,
    HISTORY_PREFIX,
    LONDON,
    Seed,
    calm,
    last_id,
    spam,
)
from devtools.demo.dashboards.story import (
    AGENTS,
    EXPERTS,
    NETWORK_WEIGHTS,
    OPEN_WORK,
    OUTAGE_CONVERSATIONS,
    PER_WEEKDAY,
    PER_WEEKEND,
    TOPIC_WEIGHTS,
    TOPICS,
)
from devtools.demo.listening import HOURLY_SHAPE, outage_day
from devtools.sandbox import content
from escalations.models import Department, Escalation
from listening.models import Mention, SocialAccount

__all__ = ["HISTORY_PREFIX", "LONDON", "history_seeded", "seed_history"]

DAYS = 30


def history_seeded() -> bool:
    return Mention.objects.filter(external_id__startswith=HISTORY_PREFIX).exists()


def seed_history(*, now: dt.datetime | None = None, seed: int = 7) -> int:
    """Create a month of past conversations; returns how many (0 when already there)."""
    if history_seeded():
        return 0
    now = now or timezone.now()
    accounts = {
        network: account
        for network, external_id in BANK_ACCOUNTS.items()
        if (account := SocialAccount.objects.filter(network=network, external_id=external_id).first())
    }
    people = {u.username: u for u in User.objects.filter(username__in=[*AGENTS, *EXPERTS.values()])}
    agents = [people[name] for name in AGENTS if name in people]
    if not accounts or not agents:
        return 0
    rng = random.Random(seed)
    crowd = list(content.CUSTOMERS)
    rng.shuffle(crowd)
    ctx = Seed(
        rng=rng,
        now=now,
        accounts=accounts,
        agents=agents,
        experts={dep: people[name] for dep, name in EXPERTS.items() if name in people},
        departments={d.name: d for d in Department.objects.filter(name__in=EXPERTS)},
        crowd=crowd,
    )
    notifications_before = last_id(Notification.objects)
    networks = [n for n in NETWORK_WEIGHTS if n in accounts]
    weights = [NETWORK_WEIGHTS[n] for n in networks]
    hours = list(range(24))
    today = now.astimezone(LONDON).date()
    down = outage_day(today)
    count = 0
    for days_ago in range(DAYS, -1, -1):
        day = today - dt.timedelta(days=days_ago)
        weekend = day.weekday() >= 5
        low, high = PER_WEEKEND if weekend else PER_WEEKDAY
        for _ in range(rng.randint(low, high)):
            network = rng.choices(networks, weights)[0]
            topic = rng.choices(list(TOPIC_WEIGHTS), list(TOPIC_WEIGHTS.values()))[0]
            local = dt.datetime.combine(day, dt.time(rng.choices(hours, HOURLY_SHAPE)[0], rng.randint(0, 59)))
            t0 = local.replace(tzinfo=LONDON)
            if t0 > now - dt.timedelta(minutes=20):
                continue  # later today: not happened yet
            conversation(ctx, count, network, topic, t0)
            count += 1
        if day == down:
            fixed = dt.datetime.combine(day, dt.time(12, rng.randint(0, 20)), tzinfo=LONDON)
            for _ in range(OUTAGE_CONVERSATIONS):
                local = dt.datetime.combine(day, dt.time(rng.randint(8, 11), rng.randint(0, 59)))
                network = rng.choices(["x", "facebook"], [3, 2])[0] if "facebook" in accounts else "x"
                outage_conversation(ctx, count, network, local.replace(tzinfo=LONDON), fixed)
                count += 1
        if days_ago % 3 == 0 and "x" in accounts:
            local = dt.datetime.combine(day, dt.time(rng.randint(9, 21), rng.randint(0, 59)))
            if local.replace(tzinfo=LONDON) < now - dt.timedelta(minutes=20):
                spam(ctx, count, local.replace(tzinfo=LONDON))
                count += 1
    for topic, hours_ago, taken in OPEN_WORK:
        department = ctx.departments.get(TOPICS[topic][3] or "")
        if department is None:
            continue
        network = rng.choices(networks, weights)[0]
        opened = now - dt.timedelta(hours=hours_ago)
        if not (taken and department.name == "Fraud"):  # Fraud's taken ones have paused clocks
            opened = calm(department, TOPICS[topic][4], opened, now=now)
        t0 = opened - dt.timedelta(minutes=rng.randint(12, 30))
        conversation(ctx, count, network, topic, t0, open_escalation=opened, taken=taken)
        count += 1
    notifications_read(after=notifications_before)
    rollup_refresh_mentions(now=now, full=True)
    return count


def notifications_read(*, after: int) -> None:
    """The history's notifications were e-mailed when they happened, and read, except those about
    escalations still open: those are the specialists' unread work."""
    history = Notification.objects.filter(id__gt=after)
    history.update(emailed_at=F("created_at"))
    still_open = [
        f"/escalations/{pk}/"
        for pk in Escalation.objects.filter(state__in=Escalation.ACTIVE).values_list("pk", flat=True)
    ]
    history.exclude(url__in=still_open).update(read_at=F("created_at") + dt.timedelta(minutes=12))
