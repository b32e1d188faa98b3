"""A page of escalations opened by rules writes what `escalation_open` writes for each, at once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bankbuzz.accounts.models import Notification
from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from bankbuzz.audit.models import AuditEvent
from escalations import services
from escalations.models import Escalation, EscalationEvent
from inbox.models import Conversation, ConversationEvent
from tests.factories import AuthorFactory, ConversationFactory

Status = Conversation.Status
P = Conversation.Priority
CLOCKS = ("response_due_at", "response_warn_at", "resolution_due_at", "resolution_warn_at", "due_at")


@pytest.fixture
def rule(lead, cards, cards_specialist, cards_lead):
    services.holiday_add(actor=None, department=cards, date=dt.date(2026, 12, 25), name="Christmas")
    WebhookEndpoint.objects.create(
        name="CRM", url="https://crm.bank.example/hook", events=["escalation.opened"], secret_encrypted="x"
    )
    return services.routing_rule_save(
        actor=lead,
        fields={"name": "Cards", "phrases": "card", "department": cards, "auto_escalate": True},
    )


def conversation(status: str = Status.NEW) -> Conversation:
    return Conversation.objects.select_related("customer").get(
        pk=ConversationFactory(customer=AuthorFactory(), status=status).pk
    )


def written(escalation: Escalation) -> dict:
    """What opening `escalation` wrote, without its ids."""
    conversation = escalation.conversation
    conversation.refresh_from_db()
    ids = {str(escalation.pk): "E", str(conversation.pk): "C"}
    return {
        "escalation": (
            escalation.state,
            escalation.priority,
            escalation.version,
            escalation.requested_by_id,
            escalation.rule_id,
            escalation.question,
            *(getattr(escalation, name) for name in CLOCKS),
        ),
        "events": [
            (e.kind, e.text, e.data, e.actor_id)
            for e in EscalationEvent.objects.filter(escalation=escalation)
        ],
        "thread": [
            (
                e.kind,
                e.text,
                {k: "E" if k == "escalation" else v for k, v in e.data.items()},
                e.version,
                e.actor_id,
            )
            for e in ConversationEvent.objects.filter(conversation=conversation).order_by("version", "id")
        ],
        "conversation": (conversation.status, conversation.version, conversation.resolved_at),
        "audit": sorted(
            (a.verb, ids[a.object_id], a.actor_label, a.before, a.after)
            for a in AuditEvent.objects.filter(object_id__in=list(ids)).filter(
                object_type__in=("escalations.escalation", "inbox.conversation")
            )
        ),
        "notified": sorted(
            (
                n.recipient.username,
                n.verb,
                n.text.replace(str(conversation.customer), "the customer"),
                n.url.replace(str(escalation.pk), "E"),
            )
            for n in Notification.objects.filter(url__endswith=f"/{escalation.pk}/")
        ),
        "webhooks": WebhookDelivery.objects.filter(
            event="escalation.opened", payload__data__id=escalation.pk
        ).count(),
    }


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN])
def test_a_page_of_escalations_writes_what_one_by_one_writes(rule, cards, status):
    now = timezone.now()
    alone, paged = conversation(status), conversation(status)
    question = "Jane wrote:\n> my card\n\nQuestion: (escalated automatically by the rule “Cards”)"
    one = services.escalation_open(
        actor=None,
        conversation=alone,
        department=cards,
        question=question,
        priority=P.NORMAL,
        rule=rule,
        now=now,
    )
    [pk] = services.escalations_open_by_rules(
        wanted=[services.RuleEscalation(conversation=paged, rule=rule, priority=P.NORMAL, question=question)],
        now=now,
    )
    one = Escalation.objects.get(pk=one.pk)
    page = Escalation.objects.get(pk=pk)
    assert written(page) == written(one)
    assert written(page)["notified"] and written(page)["webhooks"] == 1


def test_a_conversation_with_an_expert_already_is_skipped_and_the_others_open(rule, cards, agent):
    taken, free = conversation(), conversation()
    services.escalation_open(actor=agent, conversation=taken, department=cards, question="Can you help?")
    wanted = [
        services.RuleEscalation(conversation=c, rule=rule, priority=P.NORMAL, question="card")
        for c in (taken, free)
    ]
    opened = services.escalations_open_by_rules(wanted=wanted)
    assert list(Escalation.objects.filter(pk__in=opened).values_list("conversation_id", flat=True)) == [
        free.pk
    ]
    assert Escalation.objects.filter(conversation=taken).count() == 1


def test_a_page_of_escalations_costs_the_same_statements_whatever_its_size(rule):
    def statements(count: int) -> int:
        wanted = [
            services.RuleEscalation(
                conversation=conversation(), rule=rule, priority=P.NORMAL, question="card"
            )
            for _ in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            assert len(services.escalations_open_by_rules(wanted=wanted)) == count
        return len(captured)

    statements(1)  # warm caches
    assert statements(2) == statements(20) <= 15
