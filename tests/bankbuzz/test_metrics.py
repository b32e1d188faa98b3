"""/metrics: who may read it, and that its figures follow what happens (read from the database
and Redis at scrape time, so every web process answers the same)."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from bankbuzz.api.models import WebhookDelivery, WebhookEndpoint
from escalations import services as escalation_services
from inbox import reply_services as rs
from inbox.models import Reply
from tests.escalations.conftest import make_department
from tests.factories import ConversationFactory, SocialAccountFactory
from tests.inbox.replying import broker_unreachable, drain_queue, sandbox_conversation

pytestmark = pytest.mark.django_db
TOKEN = "metrics-test-token-0123456789"


@pytest.fixture
def scrape(client, settings):
    settings.METRICS_TOKEN = TOKEN

    def get() -> dict[tuple[str, tuple], float]:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200, response.content
        samples = {}
        for family in text_string_to_metric_families(response.content.decode()):
            for sample in family.samples:
                samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
        return samples

    return get


def value(samples, name, **labels):
    return samples[(name, tuple(sorted(labels.items())))]


def test_without_a_token_metrics_do_not_exist_in_production(client, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = False
    assert client.get("/metrics").status_code == 404


def test_under_debug_without_a_token_metrics_are_open(client, settings):
    settings.METRICS_TOKEN = ""
    settings.DEBUG = True
    response = client.get("/metrics")
    assert response.status_code == 200 and b"bankbuzz_replies" in response.content


def test_the_token_is_required_when_set(client, settings):
    settings.METRICS_TOKEN = TOKEN
    settings.DEBUG = True  # a token set is required even in development
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert wrong.status_code == 401 and wrong["WWW-Authenticate"].startswith("Bearer")
    ok = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert ok.status_code == 200 and ok["Content-Type"].startswith("text/plain")


def test_the_oldest_queued_reply_ages_while_the_broker_is_unreachable(
    scrape, sandbox, x_account, agent, django_capture_on_commit_callbacks, settings
):
    drain_queue()
    conv = sandbox_conversation(
        sandbox, x_account, django_capture_on_commit_callbacks, text="@northbridgebank card declined"
    )
    with broker_unreachable(), django_capture_on_commit_callbacks(execute=True):
        reply = rs.reply_submit(
            actor=agent, conversation=conv, channel="public", text="Sorry! DM us please.", seen_version=None
        )
    first = scrape()
    assert value(first, "bankbuzz_replies", state="queued") == 1
    assert value(first, "bankbuzz_replies_undispatched") == 1
    time.sleep(1.1)
    second = scrape()
    age = ("bankbuzz_reply_oldest_age_seconds", (("state", "queued"),))
    assert second[age] >= first[age] + 1

    # The broker is back: the relay hands it over; the queue holds its task, nothing is undispatched.
    assert rs.replies_dispatch() == [reply.pk]
    after = scrape()
    assert value(after, "bankbuzz_replies_undispatched") == 0
    assert value(after, "bankbuzz_celery_queue_length", queue=settings.CELERY_TASK_DEFAULT_QUEUE) == 1
    assert value(after, "bankbuzz_redis_up") == 1
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    sent = scrape()
    assert value(sent, "bankbuzz_replies", state="queued") == 0
    assert value(sent, "bankbuzz_reply_oldest_age_seconds", state="queued") == 0
    drain_queue()


def test_a_reply_waiting_for_a_rate_limit_is_not_counted_as_stuck(scrape, agent):
    Reply.objects.create(
        conversation=ConversationFactory(),
        author=agent,
        channel="public",
        text="Hello",
        state=Reply.State.QUEUED,
        queued_at=timezone.now() - dt.timedelta(minutes=10),
        not_before=timezone.now() + dt.timedelta(minutes=5),
    )
    samples = scrape()
    assert value(samples, "bankbuzz_reply_oldest_age_seconds", state="queued") == 0
    assert value(samples, "bankbuzz_replies_rate_limited") == 1


def test_queue_lengths_are_left_out_when_redis_is_down(scrape, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    samples = scrape()
    assert value(samples, "bankbuzz_redis_up") == 0
    assert not [key for key in samples if key[0] == "bankbuzz_celery_queue_length"]
    assert value(samples, "bankbuzz_replies", state="queued") == 0  # the database's figures still answer


def test_accounts_time_since_last_success_and_last_outcome(scrape):
    now = timezone.now()
    fine = SocialAccountFactory(
        network="x", handle="northbridgebank", last_success_at=now - dt.timedelta(seconds=30)
    )
    broken = SocialAccountFactory(
        network="facebook",
        handle="northbridge",
        health="needs_reauth",
        last_success_at=now - dt.timedelta(hours=2),
    )
    samples = scrape()
    labels = {"account": str(fine.pk), "network": "x", "handle": "northbridgebank"}
    assert 30 <= value(samples, "bankbuzz_account_seconds_since_last_success", **labels) < 3600
    assert value(samples, "bankbuzz_account_last_poll_outcome", outcome="ok", **labels) == 1
    bad = {"account": str(broken.pk), "network": "facebook", "handle": "northbridge"}
    assert value(samples, "bankbuzz_account_seconds_since_last_success", **bad) >= 7200
    assert value(samples, "bankbuzz_account_last_poll_outcome", outcome="needs_reauth", **bad) == 1
    assert value(samples, "bankbuzz_account_last_poll_outcome", outcome="ok", **bad) == 0
    assert value(samples, "bankbuzz_accounts", outcome="needs_reauth") == 1


def test_sla_breaches_and_webhook_failures_are_counted(scrape, agent):
    cards = make_department("Cards", around_the_clock=True)
    conversation = ConversationFactory()
    # Opened 30 days ago: its clocks ran out long since, but nobody has checked them yet.
    escalation_services.escalation_open(
        actor=agent,
        conversation=conversation,
        department=cards,
        question="Why was the card declined?",
        now=timezone.now() - dt.timedelta(days=30),
    )
    before = scrape()
    assert value(before, "bankbuzz_escalation_sla_breaches_total", department="Cards", clock="response") == 0
    escalation_services.escalations_check_slas()
    after = scrape()
    assert value(after, "bankbuzz_escalation_sla_breaches_total", department="Cards", clock="response") == 1
    assert value(after, "bankbuzz_escalations_past_due", department="Cards") == 1

    endpoint = WebhookEndpoint.objects.create(name="CRM", url="https://crm.example/hook", events=["x"])
    WebhookDelivery.objects.create(endpoint=endpoint, event="x", payload={}, state="failed", attempts=8)
    WebhookDelivery.objects.create(endpoint=endpoint, event="x", payload={}, state="pending", attempts=2)
    samples = scrape()
    assert value(samples, "bankbuzz_webhook_failures_total", endpoint="CRM") == 1
    assert value(samples, "bankbuzz_webhook_deliveries_retrying", endpoint="CRM") == 1


def test_request_latency_is_recorded_by_view(scrape, client, agent):
    client.force_login(agent)
    before = scrape().get(
        ("bankbuzz_request_duration_seconds_count", (("method", "GET"), ("view", "inbox:list"))), 0
    )
    assert client.get("/inbox/").status_code == 200
    samples = scrape()
    assert (
        value(samples, "bankbuzz_request_duration_seconds_count", view="inbox:list", method="GET")
        == before + 1
    )
    assert not [key for key in samples if dict(key[1]).get("view") == "metrics"]


OBSERVE = """
import django
django.setup()
from bankbuzz.metrics import REQUEST_LATENCY
REQUEST_LATENCY.labels("inbox:list", "GET").observe(0.2)
"""
SCRAPE = """
import django
django.setup()
from prometheus_client import generate_latest
from bankbuzz.metrics import _registry
print(generate_latest(_registry()).decode())
"""


def test_under_gunicorn_the_latency_of_every_worker_process_is_added_up(tmp_path):
    # As docker-compose runs it: PROMETHEUS_MULTIPROC_DIR set, each worker a process of its own.
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "bankbuzz.settings",
    }
    for _worker in range(2):
        done = subprocess.run(
            [sys.executable, "-c", OBSERVE], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPE], env=env, capture_output=True, text=True, timeout=120
    )
    assert scraped.returncode == 0, scraped.stderr
    counts = [
        sample.value
        for family in text_string_to_metric_families(scraped.stdout)
        for sample in family.samples
        if sample.name == "bankbuzz_request_duration_seconds_count"
        and sample.labels.get("view") == "inbox:list"
    ]
    assert counts == [2.0]
