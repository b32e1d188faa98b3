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
    assert {
        "inbox_open",
        "search",
        "conversation",
        "conversation_side",
        "dashboard",
        "specialist_queue",
        "complaints_queue",
    } <= set(urls)
    # At this size no open, negative, unassigned X conversation exists: that filter's list is empty;
    # nor an open complaint (the conversation scale's test below times the complaints queue).
    del urls["inbox_filter"], urls["complaints_queue"]
    people = {"specialist": users.get(username="spec01"), "manager": users.get(username="manager01")}
    pages = measure(agent=agent, urls=urls, rounds=1, warmup=1, log=lambda _message: None, **people)
    assert all(result.status == 200 and result.samples_ms and result.marker for result in pages.values())
    assert pages["conversation"].marker == "thread-50-of-500"
    assert pages["conversation_side"].marker == "card-side"
    # Each page carries the machine's speed while it was timed, for comparing one run with another.
    assert all(0 < result.probe_ms < 10_000 for result in pages.values())

    before = Conversation.objects.count()
    ingest = run_ingest(count=200, log=lambda _message: None)
    assert ingest.items == ingest.new_mentions == 200
    assert ingest.per_s > 0 and ingest.copy_per_s > 0
    assert Conversation.objects.count() > before
    # The COPY comparison leaves nothing behind.
    assert not Mention.objects.filter(external_id__startswith="copy").exists()

    # Two polls at once, each of its own X account and in its own process, sharing customers.
    from bench.ingest_parallel import run_parallel

    stored = Mention.objects.count()
    machine = run_parallel(count=200, workers=2, log=lambda _message: None)
    assert machine.items == 200 and machine.per_s > 0
    assert sorted(w["account"] for w in machine.per_worker) == ["northbridgebank", "northbridgehelp1"]
    assert [w["new_mentions"] for w in machine.per_worker] == [100, 100]
    assert Mention.objects.count() == stored + 200
    assert Mention.objects.filter(account__handle="northbridgehelp1").count() == 100


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
    assert "10k: ingest, two polls at once, >= 3,000/s and 1/4 of COPY" not in verdicts  # not measured
    machine = report.verdicts({"1m": dict(numbers, ingest_machine_per_s=2400.0)})
    assert (
        "1m: ingest, two polls at once, >= 3,000/s and 1/4 of COPY",
        "2,400/s (0.240 of COPY)",
        "MISSED",
    ) in machine
    assert "| inbox_open |" in report.render(results)
    details = {"details": {"1m": {"mentions": 1, "conversations": 1, "probe_ms": {"inbox_open": 5.4}}}}
    assert "| inbox_open | 10.0 ms | 20.0 ms |  ms | - |  | 5.4 ms |" in report.render(results, details)


def test_report_judges_the_complaints_queue_and_the_library_suggestions():
    numbers = {"ingest_per_s": 3500.0, "copy_per_s": 10000.0}
    numbers |= {"complaints_queue_p50_ms": 12.0, "complaints_queue_p95_ms": 31.0}
    numbers |= {"suggestions_p50_ms": 6.0, "suggestions_p95_ms": 16.0}
    small = dict(numbers, suggestions_p95_ms=9.0)
    verdicts = {t: v for t, _m, v in report.verdicts({"10kconv": small, "1mconv": numbers})}
    assert verdicts["1mconv: complaints_queue p95 <= 30 ms"] == "MISSED"
    assert verdicts["1mconv: suggestions p95 <= 30 ms"] == "met"
    assert verdicts["1mconv: library suggestions p95 <= 15 ms (#20)"] == "MISSED"
    assert verdicts["10kconv: library suggestions p95 <= 15 ms (#20)"] == "met"
    assert "| suggestions | 6.0 ms | 16.0 ms |" in report.render({"1mconv": numbers})


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


def test_a_conversation_scale_records_a_few_percent_of_its_conversations_as_complaints():
    from django.contrib.auth import get_user_model
    from django.test import Client

    from bench import suggestions
    from bench.checks import check_django
    from bench.login import log_in
    from bench.pages import measure, page_urls
    from bench.seed import seed
    from complaints.models import Complaint, Letter
    from complaints.services import SUGGESTING_INTENTS
    from listening.models import Mention

    seeded = seed(0, log=lambda _message: None, pool_size=20, conversations_target=1500, history_days=730)
    complaints = list(Complaint.objects.select_related("conversation", "first_message", "regime"))
    assert 0.01 * 1500 < len(complaints) < 0.08 * 1500
    now = dt.datetime.now(dt.UTC)
    for complaint in complaints:
        first, conversation = complaint.first_message, complaint.conversation
        # Received at the customer's own message of dissatisfaction in that conversation.
        assert first.author_id == conversation.customer_id == complaint.customer_id
        assert first.thread_key == conversation.thread_key and first.intent in SUGGESTING_INTENTS
        assert complaint.received_at == first.created_at <= now
        assert complaint.regime.code in ("uk-disp", "uk-payments")
        assert complaint.regime_snapshot["code"] == complaint.regime.code
        assert complaint.final_due_at > complaint.received_at
        if not complaint.is_open:
            assert complaint.closed_at <= now and complaint.outcome
            closing = "summary" if complaint.status == "resolved" else "final"
            assert complaint.letters.filter(kind=closing, sent_at=complaint.closed_at).exists()
    statuses = {c.status for c in complaints}
    assert statuses == {"open", "resolved", "closed"}
    assert sum(c.is_open for c in complaints) < len(complaints) / 2
    assert Letter.objects.filter(sent_at__gt=now).count() == 0
    linked = Mention.objects.filter(pk__in=Complaint.messages.through.objects.values("mention_id"))
    assert linked.exists() and not linked.exclude(intent__in=SUGGESTING_INTENTS).exists()

    users = get_user_model().objects
    agent = users.get(username=seeded.agent_username)
    urls = page_urls(
        conversation_id=seeded.long_conversation_id, search_word="declined", agent=agent, tag_id=None
    )
    pages = measure(
        agent=agent,
        urls={"complaints_queue": urls["complaints_queue"]},
        rounds=1,
        warmup=1,
        log=lambda _m: None,
    )
    assert pages["complaints_queue"].marker == "complaint-rows"
    client = Client()
    log_in(client, agent.username)
    for complaint in (complaints[0], next(c for c in complaints if c.is_open)):
        response = client.get(f"/complaints/{complaint.pk}/")
        assert response.status_code == 200 and complaint.reference in response.content.decode()
    body = client.get("/complaints/?state=closed").content.decode()
    assert body.count("data-complaint=") == min(100, sum(not c.is_open for c in complaints))
    check_django("complaints_queue", "/complaints/", client.get("/complaints/"))

    timed = suggestions.measure(conversations=8, passes=1)
    assert timed.queries == 2 and len(timed.samples_ms) == 8 and timed.p95 > 0
    assert timed.shown > 0  # the library is in the database: customers' words find entries
