"""The figures count customers' conversations: three people in one public thread are three.

Worked out by hand. In one tweet's thread, on 3 March 2026 (London time = UTC in March):
  Ann writes at 10:00, Bob at 10:05, Cat at 10:10.
  The bank answers Ann at 10:10 and Bob at 10:25 (its replies answer their tweets); Cat waits.
Per customer: 3 received, 2 responded, first responses 10 and 20 minutes: median 15 min.
(When the thread was one conversation, it read 1 received, 1 responded, 10 minutes.)
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dashboards import selectors
from dashboards.forms import Filters
from dashboards.permissions import Scope
from inbox.services import conversations_attach_mentions
from listening.connectors import base
from listening.services import mentions_ingest
from tests.factories import SocialAccountFactory, fetched_item

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 3)


def at(hour: int, minute: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(hour, minute)))


@pytest.fixture(autouse=True)
def london(settings):
    settings.TIME_ZONE = "Europe/London"


def test_first_response_is_per_customer_in_a_shared_thread():
    account = SocialAccountFactory(network="x", external_id="777", handle="northbridge")
    thread = "1001"
    people = [
        ("1001", "11", "ann", at(10, 0)),
        ("1002", "12", "bob", at(10, 5)),
        ("1003", "13", "cat", at(10, 10)),
    ]
    items = [
        fetched_item(tweet, author_id=author, handle=handle, thread_key=thread, created_at=when)
        for tweet, author, handle, when in people
    ]
    ours = [
        base.FetchedItem(
            external_id=external_id,
            kind=base.KIND_REPLY,
            text="Sorry! Please DM us.",
            author=base.FetchedAuthor(external_id="777", handle="northbridge"),
            created_at=when,
            thread_key=thread,
            raw={},
            direction=base.DIRECTION_OUT,
            in_reply_to=target,
        )
        for external_id, target, when in [("2001", "1001", at(10, 10)), ("2002", "1002", at(10, 25))]
    ]
    ids = mentions_ingest(account=account, result=base.FetchResult(items=items + ours))
    conversations_attach_mentions(mention_ids=ids)

    s = selectors.conversation_summary(Filters(start=DAY, end=DAY, preset="custom"), Scope(everything=True))
    assert s["received"] == 3
    assert s["responded"] == 2
    assert s["fr_median"] == pytest.approx(15 * 60)
