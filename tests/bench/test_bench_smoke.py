"""The benchmark's own code at a tiny scale, so `make bench` cannot rot between runs."""

from __future__ import annotations

import datetime as dt

import pytest

from bench import report
from bench.seed import LONG_THREAD_LENGTH, _text_value

pytestmark = pytest.mark.django_db(transaction=True)


def test_copy_text_format_escapes_what_copy_reads_specially():
    assert _text_value(None) == r"\N"
    assert _text_value(True) == "t"
    assert _text_value("a\tb\nc\\d\re") == "a\\tb\\nc\\\\d\\re"
    assert _text_value({"k": "ü"}) == '{"k":"ü"}'
    assert _text_value(dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)) == "2026-01-02T03:04:00+00:00"


def test_seed_pages_and_ingest_at_a_tiny_scale():
    from django.contrib.auth import get_user_model

    from bench.ingest import run_ingest
    from bench.pages import measure, page_urls
    from bench.seed import seed
    from inbox.models import Conversation
    from listening.models import Mention

    # Enough mentions for every measured page to have rows, since the bench checks it does.
    seeded = seed(3000, log=lambda _message: None, pool_size=20)

    assert Mention.objects.count() == seeded.mentions == 3000
    long = Conversation.objects.get(pk=seeded.long_conversation_id)
    assert long.message_count == LONG_THREAD_LENGTH
    assert Mention.objects.filter(network=long.network, thread_key=long.thread_key).count() == 500
    assert Conversation.objects.filter(search_vector__isnull=False).count() == seeded.conversations

    users = get_user_model().objects
    agent = users.get(username=seeded.agent_username)
    urls = page_urls(conversation_id=long.pk, search_word="declined", agent=agent, tag_id=None)
    assert {"inbox_open", "search", "conversation", "dashboard", "specialist_queue"} <= set(urls)
    # At this size no open, negative, unassigned X conversation exists: that filter's list is empty.
    del urls["inbox_filter"]
    people = {"specialist": users.get(username="spec01"), "manager": users.get(username="manager01")}
    pages = measure(agent=agent, urls=urls, rounds=1, warmup=1, log=lambda _message: None, **people)
    assert all(result.status == 200 and result.samples_ms and result.marker for result in pages.values())
    assert pages["conversation"].marker == "thread-50-of-500"

    before = Conversation.objects.count()
    ingest = run_ingest(count=200, log=lambda _message: None)
    assert ingest.items == ingest.new_mentions == 200
    assert ingest.per_s > 0 and ingest.copy_per_s > 0
    assert Conversation.objects.count() > before
    # The COPY comparison leaves nothing behind.
    assert not Mention.objects.filter(external_id__startswith="copy").exists()


def test_report_judges_targets_from_results():
    numbers = {"ingest_per_s": 3500.0, "copy_per_s": 10000.0, "inbox_open_p50_ms": 10.0}
    numbers |= {"inbox_open_p95_ms": 12.0, "conversation_p50_ms": 30.0, "conversation_p95_ms": 70.0}
    results = {"10k": numbers, "1m": dict(numbers, inbox_open_p95_ms=20.0), "worker_rss_mb": 200.0}
    verdicts = {target: verdict for target, _measured, verdict in report.verdicts(results)}
    assert verdicts["10k: ingest >= 3,000/s"] == "met"
    assert verdicts["10k: ingest >= 1/4 of COPY"] == "met"
    assert verdicts["10k: conversation p95 <= 60 ms"] == "MISSED"
    assert verdicts["1m: inbox_open p95 <= 30 ms"] == "met"
    assert verdicts["1m: inbox_open p95 <= 1.5 x 10k"] == "MISSED"
    assert verdicts["worker peak <= 250 MB"] == "met"
    assert "| inbox_open |" in report.render(results)


def test_a_conversation_scale_seeds_that_many_conversations_over_two_years():
    from bench import CONVERSATION_SCALES, GROWTH_SCALES
    from bench.seed import seed
    from inbox.models import Conversation
    from listening.models import Mention

    assert set(GROWTH_SCALES) == set(CONVERSATION_SCALES) and CONVERSATION_SCALES["1mconv"] == 1_000_000
    seeded = seed(0, log=lambda _message: None, pool_size=20, conversations_target=1500, history_days=730)

    assert seeded.conversations == Conversation.objects.count() == 1500
    # About 3.3 messages a conversation (and the 500-message thread), plus a tenth as many hits.
    assert 3.0 * 1500 + 500 < Mention.objects.count() == seeded.mentions < 3.8 * 1500 + 500
    oldest = Conversation.objects.order_by("first_received_at").first().first_received_at
    assert (dt.datetime.now(dt.UTC) - oldest).days > 365
