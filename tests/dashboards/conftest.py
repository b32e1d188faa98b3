"""A fixed week with hand-computed figures (Mon 2 to Sun 8 March 2026, Europe/London = UTC then).

Conversations (first response / resolution, minutes after first received):
    c1 Amira  x         Mon 10:00   10 / 60
    c2 Amira  x         Mon 11:00   20 / 120
    c3 Ben    x         Tue 09:00   30 / -
    c4 Ben    x         Tue 14:00   60 / 240
    c5 nobody x         Wed 08:00   300 / -
    c6 nobody x         Wed 09:00   - / -
    c7 Amira  facebook  Thu 12:00   5 / 30
    spam (Fri) and c0 (Sun 1 March, before the period) never count.

    First response, sorted: 5 10 20 30 60 300 min -> median 25 min, p90 60 + 0.5 * 240 = 180 min.
    Resolution: 30 60 120 240 -> median 90 min, p90 120 + 0.7 * 120 = 204 min.

Escalations (Cards: Mon-Fri 09:00-17:30; Fraud: around the clock; working minutes to respond /
resolve: urgent 60 / 240, normal 240 / 960):
    e1 Cards urgent  Fri 17:00, answered Mon 9 March 09:20: 50 working min -> met (64 h 20 wall-clock)
    e2 Cards urgent  Mon 10:00, answered 11:30: 90 working min -> response breached, resolution met
    e3 Cards normal  Tue 16:00, answered Wed 10:00: 150 working min -> met (18 h wall-clock)
    e4 Fraud normal  Wed 08:00, never answered -> both breached
    e5 Fraud urgent  Thu 12:00, answered 12:30 -> met

    Response SLA: 3 met, 2 breached = 60.0 %; resolution: 4 met, 1 breached = 80.0 %.
    Expert first response, seconds: 1800 5400 64800 231600 -> median 35100, p90 181560.

Mentions (inbound): x Mon 10:00 negative complaint (c1), x Mon 10:30 positive thanks (c1),
x Tue 09:00 neutral question (c3), facebook Thu 12:00 negative (c7), facebook Thu 12:45 positive
thanks (c7); one on Sun 1 March (outside). c1 and c7 went from negative to positive.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from bankbuzz.accounts import roles
from dashboards.forms import Filters
from escalations import services
from escalations.models import Kudos
from inbox.models import Conversation, Tag
from tests.conftest import make_person
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory, SocialAccountFactory

P = Conversation.Priority
S = Conversation.Status
UTC = dt.UTC
START, END = dt.date(2026, 3, 2), dt.date(2026, 3, 8)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """An instant in March 2026 (London is on GMT = UTC until the 29th)."""
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def week(**fields) -> Filters:
    return Filters(start=START, end=END, preset="custom", **fields)


@pytest.fixture(autouse=True)
def london_time(settings):
    """These tests' hand-computed figures are London days, whatever TIME_ZONE the environment sets."""
    settings.TIME_ZONE = "Europe/London"


@pytest.fixture
def world(db, agent, other_agent):
    x = SocialAccountFactory(network="x", handle="northbridge")
    fb = SocialAccountFactory(network="facebook", handle="northbridgebank", external_id="fb-page")
    cards = make_department("Cards")
    fraud = make_department("Fraud", around_the_clock=True)
    carla = make_person("carla", roles.SPECIALIST, first_name="Carla", last_name="Reyes")
    fred = make_person("fred", roles.SPECIALIST, first_name="Fred", last_name="Olsen")
    cards.members.add(carla)
    fraud.members.add(fred)

    def conv(name, received, *, network="x", account=x, assignee=None, response=None, resolved=None, **extra):
        customer = AuthorFactory(network=network, handle=f"cust_{name}")
        c = ConversationFactory(
            network=network,
            thread_key=f"thread-{name}",
            account=account,
            customer=customer,
            status=S.OPEN,
            first_received_at=received,
            last_inbound_at=received,
            last_activity_at=received,
        )
        c.pinned = {
            "assignee": assignee,
            "first_response_at": received + dt.timedelta(minutes=response) if response is not None else None,
            "resolved_at": received + dt.timedelta(minutes=resolved) if resolved is not None else None,
            "status": S.RESOLVED if resolved is not None else S.OPEN,
            **extra,
        }
        return c

    c = {
        "c1": conv("c1", at(2, 10), assignee=agent, response=10, resolved=60, sentiment_label="positive"),
        "c2": conv("c2", at(2, 11), assignee=agent, response=20, resolved=120, sentiment_label="negative"),
        "c3": conv("c3", at(3, 9), assignee=other_agent, response=30, sentiment_label="neutral"),
        "c4": conv("c4", at(3, 14), assignee=other_agent, response=60, resolved=240),
        "c5": conv("c5", at(4, 8), response=300),
        "c6": conv("c6", at(4, 9)),
        "c7": conv(
            "c7",
            at(5, 12),
            network="facebook",
            account=fb,
            assignee=agent,
            response=5,
            resolved=30,
            sentiment_label="positive",
        ),
        "spam": conv("spam", at(6, 12), response=1, status=S.SPAM),
        "c0": conv("c0", at(1, 23), assignee=agent, response=1000),
    }

    def escalate(conversation, department, priority, opened, answered=None, expert=None):
        e = services.escalation_open(
            actor=agent, conversation=conversation, department=department, question="Can you help?",
            priority=priority, now=opened,
        )  # fmt: skip
        if answered:
            e = services.escalation_answer(actor=expert, escalation=e, answer="Done.", now=answered)
        return e

    e = {
        "e1": escalate(c["c1"], cards, P.URGENT, at(6, 17), at(9, 9, 20), carla),
        "e2": escalate(c["c2"], cards, P.URGENT, at(2, 10), at(2, 11, 30), carla),
        "e3": escalate(c["c3"], cards, P.NORMAL, at(3, 16), at(4, 10), carla),
        "e4": escalate(c["c4"], fraud, P.NORMAL, at(4, 8)),
        "e5": escalate(c["c7"], fraud, P.URGENT, at(5, 12), at(5, 12, 30), fred),
    }

    # Pin the conversations' clocks after the escalation services have touched their status.
    for conversation in c.values():
        Conversation.objects.filter(pk=conversation.pk).update(**conversation.pinned)
        conversation.refresh_from_db()

    def mention(conversation, when, sentiment, intent):
        return MentionFactory(
            network=conversation.network,
            account=conversation.account,
            author=conversation.customer,
            thread_key=conversation.thread_key,
            created_at=when,
            received_at=when,
            sentiment_label=sentiment,
            intent=intent,
        )

    m = {
        "m1": mention(c["c1"], at(2, 10), "negative", "complaint"),
        "m2": mention(c["c1"], at(2, 10, 30), "positive", "thanks"),
        "m3": mention(c["c3"], at(3, 9), "neutral", "question"),
        "m4": mention(c["c7"], at(5, 12), "negative", "complaint"),
        "m5": mention(c["c7"], at(5, 12, 45), "positive", "thanks"),
        "m0": mention(c["c0"], at(1, 23), "negative", "complaint"),
    }
    # The messages as the inbox counts them: the customer's (at least the opening one) and the
    # bank's first reply.
    for conversation in c.values():
        inbound = len([x for x in m.values() if x.thread_key == conversation.thread_key])
        replied = 1 if conversation.first_response_at else 0
        Conversation.objects.filter(pk=conversation.pk).update(message_count=max(inbound, 1) + replied)
    Kudos.objects.create(
        escalation=e["e5"],
        conversation=c["c7"],
        mention=m["m5"],
        expert=fred,
        agent=agent,
        created_at=at(5, 13),
    )
    fraud_tag = Tag.objects.create(name="fraud")
    fees = Tag.objects.create(name="fees")
    for name in ("c1", "c2", "c7"):
        c[name].tags.add(fraud_tag)
    c["c3"].tags.add(fees)
    return SimpleNamespace(
        x=x, fb=fb, cards=cards, fraud=fraud, carla=carla, fred=fred, agent=agent, ben=other_agent,
        c=c, e=e, m=m, tags={"fraud": fraud_tag, "fees": fees},
    )  # fmt: skip
