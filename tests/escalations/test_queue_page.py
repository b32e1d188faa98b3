"""The specialist queue: scoped, soonest deadline first, keyset pages, bounded queries, escaped."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from escalations import services
from escalations.models import Escalation
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory


def _escalate(agent, department, *, handle=None, question="Why declined?", now=None):
    customer = AuthorFactory(**({"handle": handle} if handle else {}))
    conversation = ConversationFactory(customer=customer)
    MentionFactory(author=customer, thread_key=conversation.thread_key)
    return services.escalation_open(
        actor=agent, conversation=conversation, department=department, question=question, now=now
    )


def test_queue_lists_soonest_deadline_first_with_chips(client, agent, cards, cards_specialist):
    now = timezone.now()
    late = _escalate(agent, cards, handle="late_one", now=now - dt.timedelta(days=10))
    fresh = _escalate(agent, cards, handle="fresh_one", now=now)
    client.force_login(cards_specialist)
    html = client.get("/escalations/").content.decode()
    assert html.index("late_one") < html.index("fresh_one")
    assert "sla-breach" in html
    assert late.sla_state() == "breach" and fresh.sla_state() in ("ok", "warning")


def test_filters_mine_and_breached(client, agent, cards, cards_specialist):
    now = timezone.now()
    mine = _escalate(agent, cards, handle="mine_one", now=now)
    _escalate(agent, cards, handle="late_one", now=now - dt.timedelta(days=10))
    services.escalation_claim(actor=cards_specialist, escalation=mine)
    client.force_login(cards_specialist)
    html = client.get("/escalations/?state=mine").content.decode()
    assert "mine_one" in html and "late_one" not in html
    html = client.get("/escalations/?sla=breach").content.decode()
    assert "late_one" in html and "mine_one" not in html


def test_keyset_pages_have_no_gaps_or_repeats(client, agent, cards, cards_specialist, monkeypatch):
    from escalations import selectors

    now = timezone.now()
    for number in range(7):
        # Pairs share an opening time, hence a deadline: the id breaks the tie.
        _escalate(agent, cards, now=now - dt.timedelta(hours=number // 2))
    seen, cursor = [], None
    while True:
        page = selectors.escalation_queue(
            user=cards_specialist, filters=selectors.QueueFilters(), cursor=cursor, size=3
        )
        seen.extend(e.pk for e in page.rows)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    expected = list(Escalation.objects.order_by("due_at", "id").values_list("pk", flat=True))
    assert seen == expected


def test_paused_clocks_come_last_and_pages_cross_them_without_gaps(client, agent, cards, cards_specialist):
    """Escalations without a running deadline (waiting on the agent) sort after every deadline,
    by id, and a page boundary among them or just before them loses and repeats nothing."""
    from escalations import selectors

    now = timezone.now()
    made = [_escalate(agent, cards, now=now - dt.timedelta(hours=number)) for number in range(6)]
    paused = [made[0].pk, made[3].pk, made[5].pk]
    Escalation.objects.filter(pk__in=paused).update(state=Escalation.State.WAITING_AGENT, due_at=None)
    expected = sorted((e for e in Escalation.objects.all()), key=lambda e: (e.due_at is None, e.due_at, e.pk))
    assert [e.pk for e in expected][-3:] == sorted(paused)
    for size in (1, 2, 4):
        seen, cursor = [], None
        while True:
            page = selectors.escalation_queue(
                user=cards_specialist, filters=selectors.QueueFilters(), cursor=cursor, size=size
            )
            seen.extend(e.pk for e in page.rows)
            if not page.next_cursor:
                break
            cursor = page.next_cursor
        assert seen == [e.pk for e in expected], size
    client.force_login(cards_specialist)
    html = client.get("/escalations/").content.decode()
    positions = [html.index(f"/escalations/{e.pk}/") for e in expected]
    assert positions == sorted(positions)


def _queue_queries(client, user) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/escalations/").status_code == 200
    return len(queries)


def test_the_queue_has_a_bounded_number_of_queries(client, agent, cards, cards_specialist):
    client.force_login(cards_specialist)
    _escalate(agent, cards)
    few = _queue_queries(client, cards_specialist)
    for _ in range(8):
        escalation = _escalate(agent, cards)
        services.escalation_claim(actor=cards_specialist, escalation=escalation)
    assert _queue_queries(client, cards_specialist) == few


def test_social_content_is_escaped(client, agent, cards, cards_specialist):
    escalation = _escalate(agent, cards, question='<script>alert("x")</script>')
    client.force_login(cards_specialist)
    for url in ("/escalations/", f"/escalations/{escalation.pk}/"):
        html = client.get(url).content.decode()
        assert '<script>alert("x")</script>' not in html
        assert "&lt;script&gt;" in html


def test_a_garbled_cursor_starts_from_the_top(client, cards_specialist):
    client.force_login(cards_specialist)
    assert client.get("/escalations/?cursor=%%%garbage").status_code == 200


def test_the_escalation_page_labels_its_fields_as_the_other_forms_do(client, agent, cards, cards_specialist):
    from tests.html_tree import parse

    escalation = _escalate(agent, cards)
    client.force_login(cards_specialist)
    page = parse(client.get(f"/escalations/{escalation.pk}/").content.decode())
    labels = {label.text(): label.attrs.get("for") for label in page.find_all("label")}
    assert labels["Answer for the social team (internal)"] == "id_answer"
    assert [text for text in labels if text.endswith(":")] == []
