"""demo_seed gives the demo organisation four weeks of history, so the dashboard has figures."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts.models import User
from dashboards import selectors
from dashboards.demo import HISTORY_PREFIX
from dashboards.forms import Filters
from dashboards.permissions import dashboard_scope
from escalations.models import Escalation, Kudos
from inbox.models import Conversation
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
