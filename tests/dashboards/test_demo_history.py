"""demo_seed gives the demo organisation four weeks of history, so the dashboard has figures."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts.models import User
from dashboards import selectors
from dashboards.demo import HISTORY_PREFIX
from dashboards.forms import Filters
from dashboards.permissions import dashboard_scope
from escalations.models import Escalation, EscalationEvent, Kudos
from inbox.models import Conversation, ConversationEvent
from listening.models import Mention

pytestmark = pytest.mark.django_db


def _seed():
    call_command("demo_seed", verbosity=0, stdout=io.StringIO())


def _counts() -> tuple[int, ...]:
    return (
        Mention.objects.count(),
        Conversation.objects.count(),
        Escalation.objects.count(),
        Kudos.objects.count(),
    )


def _last_four_weeks() -> Filters:
    today = timezone.localdate()
    return Filters(start=today - dt.timedelta(days=29), end=today, preset="custom")


def test_the_managers_dashboard_has_figures_after_demo_seed(settings, client):
    settings.DEBUG = True
    _seed()
    manager = User.objects.get(username="manager")
    filters, scope = _last_four_weeks(), dashboard_scope(manager)

    conversations = selectors.conversation_summary(filters, scope)
    assert conversations["received"] >= 40
    assert conversations["fr_median"] and conversations["fr_p90"] > conversations["fr_median"]
    assert conversations["res_median"] is not None
    assert 0 < conversations["resolved"] < conversations["received"]

    escalations = selectors.escalation_summary(filters, scope)
    assert escalations["fr_median"] is not None
    assert escalations["response_met"] and escalations["response_breached"]
    assert selectors.sla_percent(escalations["response_met"], escalations["response_breached"]) < 100
    departments = {row["department__name"] for row in Escalation.objects.values("department__name")}
    assert departments <= {"Cards", "Fraud", "Mortgages"} and len(departments) >= 2
    assert selectors.thanks_total(filters, scope) > 0
    tags = {row["tag__name"]: row["n"] for row in selectors.top_tags(filters, scope)}
    assert {"cards", "fraud"} <= set(tags)
    assert not Conversation.objects.filter(thread_key__startswith=HISTORY_PREFIX, tags=None).exists()

    # Replies are the bank's outbound mentions, in the conversations' threads, in the past.
    replies = Mention.objects.filter(direction=Mention.Direction.OUT, thread_key__startswith=HISTORY_PREFIX)
    assert replies.exists() and not replies.filter(created_at__gt=timezone.now()).exists()
    assert not Mention.objects.filter(received_at__lt=timezone.now() - dt.timedelta(days=30)).exists()

    client.force_login(manager)
    response = client.get(reverse("dashboards:index"), filters.params())
    assert response.status_code == 200


def test_demo_seed_again_adds_no_history(settings):
    settings.DEBUG = True
    _seed()
    before = _counts()
    resolved = Conversation.objects.filter(resolved_at__isnull=False).count()
    _seed()
    assert _counts() == before
    assert Conversation.objects.filter(resolved_at__isnull=False).count() == resolved


def test_a_history_conversation_tells_its_events_at_the_history_s_times(settings, client):
    settings.DEBUG = True
    seeded_at = timezone.now()
    _seed()
    history = Conversation.objects.filter(thread_key__startswith=HISTORY_PREFIX)
    events = ConversationEvent.objects.filter(conversation__in=history)
    # Every step (taken, tagged, replied, escalated, answered, resolved) happened back then, not at seed time.
    assert events.count() > 4 * history.count()
    assert not events.filter(created_at__gte=seeded_at - dt.timedelta(minutes=5)).exists()
    steps = EscalationEvent.objects.filter(escalation__conversation__in=history)
    assert steps.exists() and not steps.filter(created_at__gte=seeded_at - dt.timedelta(minutes=5)).exists()

    resolved = list(
        history.filter(resolved_at__isnull=False).select_related("customer").prefetch_related("events")
    )
    assert resolved
    for conversation in resolved:
        times = [e.created_at for e in sorted(conversation.events.all(), key=lambda e: e.version)]
        # In the order they happened, from the first message to the resolution.
        assert times == sorted(times), conversation.thread_key
        assert times[0] == conversation.first_received_at
        assert times[-1] == conversation.resolved_at
        assert conversation.customer.first_seen_at == conversation.first_received_at
        kinds = {e.kind for e in conversation.events.all()}
        assert {"assigned", "tagged", "reply", "status"} <= kinds

    # The agent sees "resolved it" on the day it was resolved, not today.
    escalated = next(c for c in resolved if c.escalations.exists())
    client.force_login(User.objects.get(username="agent"))
    page = client.get(reverse("inbox:detail", args=[escalated.pk])).content.decode()
    shown = re.search(r"resolved it</span>\s*<time datetime=\"([^\"]+)\">", page)
    assert shown and dt.datetime.fromisoformat(shown.group(1)) == escalated.resolved_at
