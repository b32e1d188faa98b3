"""The minute-by-minute SLA beat: one warning at 75%, one notice at breach, each once."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core import mail

from bankbuzz.accounts.models import Notification
from escalations import services
from escalations.models import EscalationEvent
from escalations.tasks import check_slas

LONDON = zoneinfo.ZoneInfo("Europe/London")


def _notices(user, level):
    return Notification.objects.filter(recipient=user, verb=f"escalation.sla_{level}").count()


def test_warns_once_at_75_percent_and_once_at_breach(
    agent, lead, cards, cards_specialist, cards_lead, card_conversation, django_capture_on_commit_callbacks
):
    cards.notification_email = "cards-team@bank.example"
    cards.save()
    monday = dt.datetime(2026, 11, 9, 9, 0, tzinfo=LONDON)
    escalation = services.escalation_open(
        actor=agent, conversation=card_conversation, department=cards, question="Declined", now=monday
    )
    services.escalation_claim(actor=cards_specialist, escalation=escalation)
    # First response due 13:00; 75% at 12:00.
    assert services.escalations_check_slas(now=monday.replace(hour=11, minute=59)) == {
        "warning": 0,
        "breach": 0,
    }
    with django_capture_on_commit_callbacks(execute=True):
        assert services.escalations_check_slas(now=monday.replace(hour=12)) == {"warning": 1, "breach": 0}
    assert services.escalations_check_slas(now=monday.replace(hour=12, minute=1)) == {
        "warning": 0,
        "breach": 0,
    }
    for person in (cards_specialist, cards_lead, lead):
        assert _notices(person, "warning") == 1
    assert any("cards-team@bank.example" in m.to for m in mail.outbox)

    assert services.escalations_check_slas(now=monday.replace(hour=13)) == {"warning": 0, "breach": 1}
    assert services.escalations_check_slas(now=monday.replace(hour=13, minute=5)) == {
        "warning": 0,
        "breach": 0,
    }
    for person in (cards_specialist, cards_lead, lead):
        assert _notices(person, "breach") == 1
    escalation.refresh_from_db()
    assert escalation.sla_state(now=monday.replace(hour=13)) == "breach"
    kinds = list(escalation.events.values_list("kind", flat=True))
    assert kinds.count(EscalationEvent.Kind.SLA_WARNING) == 1
    assert kinds.count(EscalationEvent.Kind.SLA_BREACH) == 1


def test_a_breach_assigns_to_the_department_lead_when_nobody_has_it(
    agent, cards, cards_lead, card_conversation
):
    monday = dt.datetime(2026, 11, 9, 9, 0, tzinfo=LONDON)
    escalation = services.escalation_open(
        actor=agent, conversation=card_conversation, department=cards, question="Declined", now=monday
    )
    # Beat was down all morning: the breach is found late and is the only notice sent.
    assert services.escalations_check_slas(now=monday.replace(hour=14)) == {"warning": 0, "breach": 1}
    escalation.refresh_from_db()
    assert escalation.assignee == cards_lead
    assert _notices(cards_lead, "warning") == 0


def test_a_paused_escalation_is_not_warned(agent, cards, cards_specialist, card_conversation):
    monday = dt.datetime(2026, 11, 9, 9, 0, tzinfo=LONDON)
    escalation = services.escalation_open(
        actor=agent, conversation=card_conversation, department=cards, question="Declined", now=monday
    )
    services.escalation_request_info(
        actor=cards_specialist, escalation=escalation, question="Which shop?", now=monday.replace(hour=10)
    )
    assert services.escalations_check_slas(now=monday + dt.timedelta(days=7)) == {"warning": 0, "breach": 0}


def test_the_task_is_registered_under_its_name_and_scheduled():
    from bankbuzz.celery import app

    assert check_slas.name == "escalations.check_slas"
    schedules = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    assert schedules["escalations.check_slas"]["schedule"] == 60
