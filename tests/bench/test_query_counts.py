"""The conversation pane, with the advice library's suggestions in its composer, makes as many
queries for a thread of 40 messages and a library of 40 more articles as for 2 and none; the
complaints queue as many for twelve open complaints as for two."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from devtools.demo.inbox import seed_saved_replies
from devtools.demo.learning import seed_library
from learning.models import AdviceArticle
from tests.escalations.conftest import make_department
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory

pytestmark = pytest.mark.django_db


def _pane_queries(client, conversation) -> list[str]:
    url = reverse("inbox:detail", args=[conversation.pk])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'class="suggestions"' in response.content.decode()
    return [q["sql"] for q in queries]


def test_the_pane_and_its_suggestions_do_not_grow_with_the_thread_or_the_library(client, agent):
    cards = make_department("Cards")
    for name in ("Fraud", "Mortgages", "Payments"):
        make_department(name)
    seed_saved_replies()
    seed_library()
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe")
    conversation = ConversationFactory(customer=customer, status="open", message_count=2)
    start = timezone.now() - dt.timedelta(days=1)

    def messages(first: int, count: int) -> None:
        for i in range(first, first + count):
            MentionFactory(
                author=customer,
                thread_key=conversation.thread_key,
                text=f"My card was declined again ({i}), what is going on?",
                created_at=start + dt.timedelta(minutes=i),
            )

    client.force_login(agent)
    messages(0, 2)
    _pane_queries(client, conversation)  # fills what is cached between requests (experiments)
    few = _pane_queries(client, conversation)
    messages(2, 38)
    for i in range(40):
        AdviceArticle.objects.create(
            title=f"Card declined abroad, case {i}",
            url=f"https://bank.example/help/{i}",
            summary="Why a card is declined abroad and what to do.",
            topics=["card-declined"],
            department=cards,
            review_by=timezone.localdate() + dt.timedelta(days=90),
        )
    many = _pane_queries(client, conversation)
    assert len(few) == len(many), (few, many)


def _queue_queries(client) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("complaints:queue"))
    assert response.status_code == 200
    return [q["sql"] for q in queries], response.content.decode()


def test_the_complaints_queue_makes_as_many_queries_for_twelve_complaints_as_for_two(client, agent):
    from complaints import services
    from complaints.models import Category
    from complaints.seed import seed_now

    seed_now()
    products = list(Category.objects.filter(kind="product"))
    causes = list(Category.objects.filter(kind="cause"))

    def complaints(first: int, count: int) -> None:
        for i in range(first, first + count):
            conversation = ConversationFactory(status="open")
            MentionFactory(
                author=conversation.customer,
                thread_key=conversation.thread_key,
                intent="complaint",
                text=f"Charged twice for the same payment ({i}), sort it out",
                created_at=timezone.now() - dt.timedelta(days=i),
            )
            complaint = services.complaint_confirm(
                actor=agent,
                conversation=conversation,
                product=products[i % len(products)].pk,
                cause=causes[i % len(causes)].pk,
            )
            if i % 2:
                services.letter_send(
                    actor=agent,
                    complaint=complaint,
                    kind="acknowledgement",
                    channel="email",
                    text="We have logged your complaint.",
                    sent_on=timezone.localdate(),
                )

    client.force_login(agent)
    complaints(0, 2)
    _queue_queries(client)
    few, html = _queue_queries(client)
    assert html.count("data-complaint=") == 2
    complaints(2, 10)
    many, html = _queue_queries(client)
    assert html.count("data-complaint=") == 12
    assert len(few) == len(many), (few, many)
