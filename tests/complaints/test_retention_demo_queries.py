"""Retention of vulnerability flags, the demo's complaints, and the queue's bounded queries."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from bankbuzz.audit.retention import retention_run
from complaints import services
from complaints.models import Complaint, Vulnerability
from devtools.demo.complaints import seed_complaints
from tests.conftest import make_person
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory


def test_stale_flags_go_unless_a_complaint_of_the_customer_is_open(agent, unhappy):
    other = AuthorFactory(handle="sam")
    services.vulnerability_set(actor=agent, customer=unhappy.customer, drivers=["health"])
    services.vulnerability_set(actor=agent, customer=other, drivers=["capability"])
    services.complaint_confirm(actor=agent, conversation=unhappy)
    later = timezone.now() + dt.timedelta(days=365 * 3 + 5)
    result = retention_run(now=later, only=["complaints.vulnerability"])
    assert result.kinds["complaints.vulnerability"].done == 1
    assert list(Vulnerability.objects.values_list("customer_id", flat=True)) == [unhappy.customer_id]


def test_the_demo_confirms_some_and_leaves_others_suggested(db):
    make_person("agent", "agent")
    conversations = []
    for n in range(6):
        conversation = ConversationFactory(status="open")
        MentionFactory(
            author=conversation.customer,
            thread_key=conversation.thread_key,
            intent="complaint",
            text=f"Charged a fee twice, {n}",
        )
        conversations.append(conversation)
    assert seed_complaints() == 3
    assert Complaint.objects.count() == 3
    assert sum(1 for c in conversations if services.suggested_messages(c).exists()) == 3
    assert seed_complaints() == 0  # idempotent


def test_the_queue_runs_a_bounded_number_of_queries(client, agent, django_assert_max_num_queries):
    def add(n):
        for i in range(n):
            conversation = ConversationFactory(status="open")
            MentionFactory(
                author=conversation.customer,
                thread_key=conversation.thread_key,
                intent="complaint",
                text=f"Unhappy {i}",
            )
            services.complaint_confirm(actor=agent, conversation=conversation)

    client.force_login(agent)
    add(2)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("complaints:queue"), {"state": "all"}).status_code == 200
    add(8)
    with django_assert_max_num_queries(20):
        html = client.get(reverse("complaints:queue"), {"state": "all"}).content.decode()
    assert html.count("data-complaint=") == 10
