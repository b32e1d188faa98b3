"""The figures of the fixed week (see conftest.py for the hand computation)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from dashboards import selectors, services
from dashboards.permissions import Scope
from inbox.models import Conversation
from tests.dashboards.conftest import week
from tests.factories import ConversationFactory

ALL = Scope(everything=True)
MIN = 60


def test_conversation_medians_and_p90(world):
    s = selectors.conversation_summary(week(), ALL)
    assert s["received"] == 7  # spam and the conversation before the period left out
    assert s["responded"] == 6
    assert s["fr_median"] == pytest.approx(25 * MIN)
    assert s["fr_p90"] == pytest.approx(180 * MIN)
    assert s["resolved"] == 4
    assert s["res_median"] == pytest.approx(90 * MIN)
    assert s["res_p90"] == pytest.approx(204 * MIN)


def test_distribution_buckets(world):
    s = selectors.conversation_summary(week(), ALL)
    assert [s[f"b_{k}"] for k in ("lt15m", "lt1h", "lt4h", "lt24h", "gt24h", "none")] == [2, 2, 1, 1, 0, 1]


def test_by_agent(world):
    rows = {r["assignee"]: r for r in selectors.conversations_by(week(), ALL, "assignee")}
    amira, ben = rows[world.agent.pk], rows[world.ben.pk]
    assert (amira["received"], amira["fr_median"], amira["fr_p90"]) == (3, 10 * MIN, pytest.approx(18 * MIN))
    assert (ben["received"], ben["fr_median"], ben["fr_p90"]) == (2, 45 * MIN, pytest.approx(57 * MIN))
    assert rows[None]["received"] == 2


def test_by_network_and_filters(world):
    rows = {r["network"]: r["received"] for r in selectors.conversations_by(week(), ALL, "network")}
    assert rows == {"x": 6, "facebook": 1}
    assert selectors.conversation_summary(week(network="facebook"), ALL)["fr_median"] == 5 * MIN
    assert selectors.conversation_summary(week(agent="none"), ALL)["received"] == 2
    # Department: conversations escalated to Fraud (c4, c7).
    assert selectors.conversation_summary(week(department=world.fraud.pk), ALL)["received"] == 2


def test_daily_trend(world):
    rows = {r["period"].day: r for r in selectors.conversation_trend(week(), ALL)}
    assert sorted(rows) == [2, 3, 4, 5]
    assert rows[2]["received"] == 2 and rows[2]["fr_median"] == 15 * MIN
    assert rows[4]["responded"] == 1


def test_weekly_trend(world):
    rows = selectors.conversation_trend(week(), ALL, weekly=True)
    assert len(rows) == 1 and rows[0]["period"].isoformat() == "2026-03-02" and rows[0]["received"] == 7


def test_escalation_sla_overall(world):
    s = selectors.escalation_summary(week(), ALL)
    assert s["opened"] == 5
    assert (s["response_met"], s["response_breached"]) == (3, 2)
    assert (s["resolution_met"], s["resolution_breached"]) == (4, 1)
    assert selectors.sla_percent(s["response_met"], s["response_breached"]) == 60.0
    assert selectors.sla_percent(s["resolution_met"], s["resolution_breached"]) == 80.0
    assert s["fr_median"] == pytest.approx(35100)
    assert s["fr_p90"] == pytest.approx(181560)


def test_sla_by_department_and_priority_counts_working_hours(world):
    rows = {
        (r["department"], r["priority"]): (
            r["response_met"],
            r["response_breached"],
            r["resolution_breached"],
        )
        for r in selectors.escalations_by(week(), ALL, ("department", "priority"))
    }
    cards, fraud = world.cards.pk, world.fraud.pk
    # e1: 64 hours on the wall clock, 50 working minutes: met. e2: 90 working minutes: breached.
    assert rows[(cards, 3)] == (1, 1, 0)
    assert rows[(cards, 1)] == (1, 0, 0)  # e3: 18 hours on the clock, 150 working minutes
    assert rows[(fraud, 1)] == (0, 1, 1)  # never answered, past both deadlines
    assert rows[(fraud, 3)] == (1, 0, 0)


def test_weekend_escalation_is_met_in_working_time(world):
    e1 = selectors.escalations(week(), ALL).get(pk=world.e["e1"].pk)
    assert e1.expert_response == 64 * 3600 + 20 * MIN
    assert e1.response_outcome == "met"


def test_escalation_rows_behind_breached_figure(world):
    breached = selectors.escalations(week(), ALL, {"clock": "response", "outcome": "breached"})
    assert {e.pk for e in breached} == {world.e["e2"].pk, world.e["e4"].pk}


def test_turnarounds_thanks_and_kudos(world):
    services.rollup_refresh_mentions()
    assert {c.pk for c in selectors.conversations(week(), ALL, {"turnaround": 1})} == {
        world.c["c1"].pk,
        world.c["c7"].pk,
    }
    assert selectors.thanks_total(week(), ALL) == 2
    assert selectors.thanks_by_agent(week(), ALL) == [{"agent": world.agent.pk, "n": 2}]
    assert selectors.kudos_by(week(), ALL, "expert") == [{"expert": world.fred.pk, "n": 1}]


def test_volume_from_the_rollup(world):
    services.rollup_refresh_mentions()
    by_day = {(r["day"].day, r["network"]): r["n"] for r in selectors.volume_by_day(week(), ALL, "network")}
    assert by_day == {(2, "x"): 2, (3, "x"): 1, (5, "facebook"): 2}
    assert selectors.heatmap(week(), ALL) == {(1, 10): 2, (2, 9): 1, (4, 12): 2}
    # The raw rows behind a count are the same mentions.
    assert selectors.mentions(week(), ALL, {"weekday": 4, "hour": 12}).count() == 2
    assert selectors.mentions(week(), ALL, {"sentiment": "negative"}).count() == 2


def test_top_tags(world):
    assert [(r["tag__name"], r["n"]) for r in selectors.top_tags(week(), ALL)] == [("fraud", 3), ("fees", 1)]


def test_agent_scope_sees_only_own(world):
    scope = Scope(agent_id=world.agent.pk)
    assert selectors.conversation_summary(week(), scope)["received"] == 3
    assert selectors.escalation_summary(week(), scope)["opened"] == 5  # Amira asked for all five
    assert selectors.escalation_summary(week(), Scope(agent_id=world.ben.pk))["opened"] == 0


def test_specialist_scope_sees_only_their_departments(world):
    scope = Scope(department_ids=frozenset({world.cards.pk}))
    assert selectors.escalation_summary(week(), scope)["opened"] == 3
    assert selectors.conversation_summary(week(), scope)["received"] == 0


def test_oldest_waiting_is_the_oldest_new_or_open_conversation(db, manager):
    S = Conversation.Status
    now = dt.datetime(2026, 3, 9, 12, tzinfo=dt.UTC)
    ConversationFactory(status=S.WAITING_CUSTOMER, last_inbound_at=now - dt.timedelta(days=9))
    ConversationFactory(status=S.RESOLVED, last_inbound_at=now - dt.timedelta(days=8))
    ConversationFactory(status=S.OPEN, last_inbound_at=now - dt.timedelta(hours=5))
    new = ConversationFactory(status=S.NEW, last_inbound_at=now - dt.timedelta(hours=7))
    assert selectors.backlog(week(), ALL, user=manager).oldest == new
    older_open = ConversationFactory(status=S.OPEN, last_inbound_at=now - dt.timedelta(hours=9))
    assert selectors.backlog(week(), ALL, user=manager).oldest == older_open
    # The network filter narrows it like the inbox does.
    assert selectors.backlog(week(network="facebook"), ALL, user=manager).oldest is None


def test_every_volume_figure_equals_the_raw_mentions(world):
    """The one rollup query (five grouping sets) against counts of the raw mentions behind them."""
    services.rollup_refresh_mentions()
    filters = week()
    volume = selectors.volume_figures(filters, ALL)
    raw = list(selectors.mentions(filters, ALL).select_related(None))
    local = [(timezone.localtime(m.received_at), m) for m in raw]
    assert volume.total == len(raw) == 5
    assert volume.by_sentiment == dict(Counter(m.sentiment_label for m in raw))
    by_day_network = Counter((t.date(), m.network) for t, m in local)
    assert {(r["day"], r["network"]): r["n"] for r in volume.by_day_network} == by_day_network
    by_day_sentiment = Counter((t.date(), m.sentiment_label) for t, m in local)
    assert {(r["day"], r["sentiment"]): r["n"] for r in volume.by_day_sentiment} == by_day_sentiment
    accounts = {(r["network"], r["account_id"]): (r["n"], r["thanks"]) for r in volume.by_account}
    assert accounts == {
        key: (n, sum(1 for m in raw if (m.network, m.account_id) == key and m.intent == "thanks"))
        for key, n in Counter((m.network, m.account_id) for m in raw).items()
    }
    assert volume.heatmap == Counter((t.isoweekday(), t.hour) for t, m in local)
    assert volume.thanks == selectors.mentions(filters, ALL, {"intent": "thanks"}).count() == 2
