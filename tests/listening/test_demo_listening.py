"""The demo's listening: a fresh `make run` has the hours of history spike alerts need, so steady
sandbox traffic raises nothing and the outage scenario raises one alert; competitor queries find the
sandbox's talk about the other banks, so share of voice compares something."""

import datetime as dt

import pytest
from django.db.models import Count, F
from django.utils import timezone

from devtools.demo.listening import HISTORY_PREFIX, MIN_GAP, seed_listening_history, seed_queries
from devtools.sandbox import world
from devtools.sandbox.traffic import CHANNELS
from inbox.models import Conversation
from listening.insights import share_of_voice
from listening.models import ListeningQuery, Mention, QueryMatch, SpikeAlert
from listening.query.services import query_run
from listening.services import account_poll, social_account_create
from listening.spikes import BUCKET, bucket_start, spikes_detect

pytestmark = pytest.mark.django_db

RATE = 0.2  # twenty times `make run`'s default: enough posts a quarter hour for tight bounds


@pytest.fixture
def demo(sandbox):
    accounts = {}
    for network, external_id, handle in (
        ("x", world.BANK_X["user_id"], world.BANK_X["handle"]),
        ("facebook", world.BANK_FACEBOOK_PAGE["page_id"], world.BANK_FACEBOOK_PAGE["username"]),
        ("linkedin", world.BANK_LINKEDIN_ORG["urn"], world.BANK_LINKEDIN_ORG["vanity_name"]),
    ):
        accounts[network] = social_account_create(
            actor=None,
            network=network,
            external_id=external_id,
            handle=handle,
            name=world.BANK_NAME,
            credentials=world.DEMO_CREDENTIALS[network],
        )
    seed_queries()
    return accounts


def _per_quarter(account, since, until) -> float:
    """Mean posts per 15 minutes said to the account (what the account's spike scope counts)."""
    count = Mention.objects.filter(
        account=account, direction="in", is_spam=False, created_at__gte=since, created_at__lt=until
    ).exclude(kind="search")
    return count.count() / ((until - since) / BUCKET)


def test_the_history_runs_at_the_sandboxs_rate_per_account_and_query(demo):
    now = timezone.now()
    assert seed_listening_history(now=now, rate=RATE) > 0.8 * RATE * 6 * 3600
    since = bucket_start(now) - dt.timedelta(hours=5)
    until = bucket_start(now)
    for network, account in demo.items():
        # What the sandbox says to this account per quarter hour: its channels, less search-only talk.
        share = sum(w for c, (n, w) in CHANNELS.items() if n == network and c != "x_brand_talk")
        expected = RATE * 900 * share / sum(w for _, w in CHANNELS.values())
        # Spam is not counted; the history is random, so the bounds are loose (LinkedIn: ~11 a quarter).
        assert 0.65 * expected <= _per_quarter(account, since, until) <= 1.25 * expected, network
    per_query = dict(
        QueryMatch.objects.filter(created_at__gte=since, created_at__lt=until)
        .values_list("query__name")
        .annotate(n=Count("id"))
    )
    assert (
        per_query["Northbridge Bank"]
        > per_query["Harbourline Bank"]
        > per_query["Crestmoor Building Society"]
        > 0
    )


def test_a_fresh_demo_stays_quiet_on_steady_traffic_and_alerts_once_on_the_outage(demo, sandbox, lead):
    seed_listening_history(rate=RATE)
    # The first minutes of sandbox traffic after start, read by the real polls: nothing unusual.
    sandbox.generate(int(RATE * 300))
    for account in demo.values():
        assert account_poll(account_id=account.pk).status == "ok"
    for query in ListeningQuery.objects.all():
        query_run(query_id=query.pk)
    assert spikes_detect().opened is None

    # The outage scenario on X, and the next few minutes of it (ten times the volume).
    sandbox.scenario("outage", network="x")
    sandbox.generate(int(RATE * 10 * 240), network="x")
    assert account_poll(account_id=demo["x"].pk).status == "ok"
    opened = spikes_detect().opened
    assert opened is not None
    assert str(demo["x"]) in {scope["label"] for scope in opened.scopes}
    assert set(opened.terms) & {"log in", "app", "app down", "login code", "locked out"}, opened.terms
    spikes_detect()
    spikes_detect(now=timezone.now() + BUCKET)
    assert SpikeAlert.objects.count() == 1


def test_a_restart_fills_the_hours_since_the_last_post_once(demo):
    now = timezone.now()
    stopped = now - dt.timedelta(hours=2)
    seed_listening_history(now=stopped, rate=RATE)
    latest = Mention.objects.filter(external_id__startswith=HISTORY_PREFIX).latest("created_at").created_at

    filled = seed_listening_history(now=now, rate=RATE)
    expected = RATE * 2 * 3600 * 1.25  # customers, and a quarter as much competitor talk
    assert 0.8 * expected < filled < 1.2 * expected
    gap = Mention.objects.filter(created_at__gt=latest, created_at__lte=now)
    assert gap.filter(created_at__lt=latest + dt.timedelta(minutes=15)).exists()
    assert gap.filter(created_at__gt=now - dt.timedelta(minutes=15)).exists()
    assert seed_listening_history(now=now + dt.timedelta(minutes=1), rate=RATE) == 0


def test_a_restart_soon_after_does_not_fill_the_quiet_minutes_a_run_already_covered(demo):
    """A run covers up to its own time, not only up to its last post: at a post every 1,000 seconds
    the last one is many minutes before the run's end, and a restart a minute later (now at a rate
    that would surely draw posts into those minutes) adds nothing."""
    ran = dt.datetime(2026, 11, 2, 12, 0, tzinfo=dt.UTC)
    assert seed_listening_history(now=ran, rate=0.001) > 0
    latest = Mention.objects.filter(external_id__startswith=HISTORY_PREFIX).latest("created_at").created_at
    restart = ran + dt.timedelta(minutes=1)
    assert restart - latest > MIN_GAP  # else the case is not the one this test is about
    assert seed_listening_history(now=restart, rate=0.2) == 0
    # Past the gap a restart ignores, it fills from where the run ended, not from the last post.
    later = ran + MIN_GAP + dt.timedelta(minutes=1)
    assert seed_listening_history(now=later, rate=0.2) > 0
    assert not Mention.objects.filter(created_at__gt=latest, created_at__lte=ran).exists()


def test_the_history_stays_out_of_the_inbox(demo, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert seed_listening_history(rate=RATE, hours=1) > 0
    history = Mention.objects.filter(external_id__startswith=HISTORY_PREFIX)
    assert not history.filter(for_inbox=True).exists()
    assert not Conversation.objects.exists()
    # As if polled when written: received_at is the post's own time.
    assert not history.exclude(received_at=F("created_at")).exists()


def test_competitor_queries_find_the_sandboxs_talk_about_other_banks(demo, sandbox):
    sandbox.generate(60, competitors=True)
    found = {}
    for query in ListeningQuery.objects.filter(kind=ListeningQuery.Kind.COMPETITOR):
        assert query_run(query_id=query.pk).status == "ok"
        found[query.name] = list(
            Mention.objects.filter(query_matches__query=query).values_list("text", flat=True)
        )
    assert found["Harbourline Bank"] and found["Crestmoor Building Society"]
    assert all("harbourline" in text.lower() for text in found["Harbourline Bank"])
    assert all("crestmoor" in text.lower() for text in found["Crestmoor Building Society"])
    # Competitor talk is not said to the bank: no conversation, nothing in the account's stream.
    assert not Conversation.objects.exists()
    assert not Mention.objects.filter(kind="search", for_inbox=True).exists()

    sandbox.generate(40)
    account_poll(account_id=demo["x"].pk)
    now = timezone.now()
    shares = {row["name"]: row for row in share_of_voice(since=now - dt.timedelta(hours=1), until=now)}
    assert set(shares) == {"Northbridge Bank", "Harbourline Bank", "Crestmoor Building Society"}
    assert shares["Northbridge Bank"]["kind"] == "brand"
