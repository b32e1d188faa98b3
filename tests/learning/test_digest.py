"""The weekly learning digest: last week's new topics, escalations, what helped, and thanks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from bankbuzz.accounts.models import Notification
from escalations.models import Escalation
from inbox.models import Reply, SavedReply
from learning.digest import last_week, weekly_digest_notify
from learning.models import ReplyOutcome
from tests.factories import MentionFactory
from tests.learning.conftest import customer_conversation

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def test_last_week_is_monday_to_sunday():
    assert last_week(dt.date(2026, 12, 9)) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))  # a Wednesday
    assert last_week(dt.date(2026, 12, 7)) == (dt.date(2026, 11, 30), dt.date(2026, 12, 6))  # a Monday


def test_the_digest_shows_last_week(client, agent, lead, cards_lead, library):
    start, end = last_week()
    # Before: ordinary card questions. Last week: many about a new phone-wallet problem.
    for n in range(12):
        MentionFactory(text=f"my card was declined again {n}", created_at=at(start - dt.timedelta(days=10)))
    for n in range(8):
        MentionFactory(
            text=f"apple pay stopped working on my phone since the update, card 4111 1111 1111 1111 #{n}",
            created_at=at(start + dt.timedelta(days=1)),
            has_pii=True,
            pii_findings=[{"kind": "card", "start": 59, "end": 78, "valid": True, "preview": "•••• 1111"}],
        )
    conversation = customer_conversation("apple pay broken")
    Escalation.objects.create(
        conversation=conversation, department=library["Cards"], question="Apple Pay?", opened_at=at(start)
    )
    saved = SavedReply.objects.get(shortcut="declined")
    for n, outcome in enumerate(["thanks", "resolved", "wrote_again"]):
        reply = Reply.objects.create(
            conversation=conversation,
            author=agent,
            channel="public",
            text="x",
            saved_reply=saved,
            state=Reply.State.SENT,
            external_id=f"d{n}",
            sent_at=at(start + dt.timedelta(days=2)),
        )
        ReplyOutcome.objects.create(
            reply=reply, conversation=conversation, saved_reply=saved, sent_at=reply.sent_at, outcome=outcome
        )

    client.force_login(cards_lead)
    page = client.get(reverse("learning:digest")).content.decode()
    assert f"Learning digest: {start:%-d %b} to {end:%-d %b %Y}" in page
    topics = page.split("New topics")[1].split("Escalated most")[0]
    assert "apple pay" in topics
    assert "4111 1111 1111 1111" not in page  # examples are masked
    escalated = page.split("Escalated most")[1].split("Library entries")[0]
    assert "Cards" in escalated and "escalated by hand" in escalated
    assert (
        f"metric=escalations&amp;department={library['Cards'].pk}&amp;from={start}&amp;to={end}" in escalated
    )
    assert "Card declined: move to DM</a>: 2 of 3 helped" in page
    # The figure opens its rows: the dashboards' escalations of Cards that week.
    link = escalated.split('<a href="')[1].split('"')[0].replace("&amp;", "&")
    rows = client.get(link)
    assert rows.status_code == 200
    assert 'data-testid="rows-count">1</strong> row' in rows.content.decode()


def test_who_reads_the_digest_and_who_is_told(client, agent, lead, cards_lead, specialist, library):
    for person, status in ((agent, 403), (specialist, 403), (lead, 200), (cards_lead, 200)):
        client.force_login(person)
        assert client.get(reverse("learning:digest")).status_code == status
    client.force_login(lead)
    assert client.get(reverse("learning:digest") + "?week=not-a-date").status_code == 200
    assert weekly_digest_notify() == 2
    told = set(
        Notification.objects.filter(verb="learning.digest").values_list("recipient__username", flat=True)
    )
    assert told == {lead.username, cards_lead.username}


def test_a_new_topic_shows_two_different_examples_and_counts_them_all(client, cards_lead):
    start, _end = last_week()
    for n in range(6):
        MentionFactory(text=f"my statement is late {n}", created_at=at(start - dt.timedelta(days=9)))
    for _ in range(4):  # many customers, the same words
        MentionFactory(text="Is the app down? Cannot log in since this morning.", created_at=at(start))
    MentionFactory(text="is the app down?  Cannot log in since this MORNING.", created_at=at(start))
    MentionFactory(
        text="The app is down for me too, cannot log in", created_at=at(start, hour=9)
    )  # the oldest

    client.force_login(cards_lead)
    page = client.get(reverse("learning:digest")).content.decode()
    topics = page.split("New topics")[1].split("Escalated most")[0]
    log_in = topics.split("<strong>log in</strong>")[1].split("</li>")[0]
    assert '<span class="muted">in 6 messages</span>' in log_in
    assert log_in.casefold().count("cannot log in since this morning") == 1  # one of the five, in any case
    assert "The app is down for me too, cannot log in" in log_in
    for word in ("since", "morning"):  # time words are not topics
        assert f"<strong>{word}</strong>" not in topics
