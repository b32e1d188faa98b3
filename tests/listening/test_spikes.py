"""Spike alerts: a steady simulated week raises none; a sandbox outage raises one, within two intervals.

Time is simulated: mentions are written through the real ingest service with
chosen timestamps, and detection runs with a chosen `now`. Nothing sleeps.
"""

import datetime as dt
import math
import random

import pytest
from django.core import mail
from django.utils import timezone

from bankbuzz.accounts.models import Notification
from devtools.sandbox import content
from listening.connectors import base
from listening.models import SpikeAlert
from listening.query.services import query_create
from listening.services import account_poll, mentions_ingest
from listening.spikes import BUCKET, baseline, bucket_start, spike_in_series, spikes_detect

pytestmark = pytest.mark.django_db


def _poisson(rng: random.Random, lam: float) -> int:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _steady_rate(at: dt.datetime) -> float:
    """Customer posts per 15 minutes: quiet at night, busy at lunch, a little busier on weekdays."""
    hour = at.hour + at.minute / 60
    daytime = max(0.0, math.sin(math.pi * (hour - 6) / 16)) if 6 <= hour <= 22 else 0.0
    return (0.4 + 5.5 * daytime) * (1.0 if at.weekday() < 5 else 0.7)


def _write_steady(account, start: dt.datetime, end: dt.datetime, *, seed: int = 3) -> int:
    """Steady sandbox-like traffic between start and end, one ingest per simulated hour."""
    rng = random.Random(seed)
    written, at, batch = 0, start, []
    while at < end:
        for _ in range(_poisson(rng, _steady_rate(at))):
            written += 1
            text = content.compose(rng, topic=content.pick_topic(rng), network="x")
            created = at + dt.timedelta(seconds=rng.randrange(900))
            batch.append(_item(f"steady-{seed}-{written}", text, created, rng))
        at += BUCKET
        if len(batch) >= 20 or at >= end:
            mentions_ingest(account=account, result=base.FetchResult(items=batch))
            batch = []
    return written


def _item(external_id: str, text: str, created: dt.datetime, rng: random.Random) -> base.FetchedItem:
    author = rng.randrange(500)
    return base.FetchedItem(
        external_id=external_id,
        kind=base.KIND_MENTION,
        text=text,
        author=base.FetchedAuthor(
            external_id=str(1000 + author), handle=f"customer{author}", followers=author
        ),
        created_at=created,
        thread_key=external_id,
        raw={},
        lang="en",
    )


def test_baseline_is_robust_to_a_past_spike():
    quiet = [3] * 200
    with_spike = [3] * 100 + [60, 80] + [3] * 98
    assert baseline(with_spike).mean < baseline(quiet).mean + 1.5


def _last_monday_a_week_ago() -> dt.datetime:
    # A fixed phase (Monday 00:00 UTC) makes the simulated week the same on every run.
    moment = bucket_start(timezone.now()) - dt.timedelta(days=7)
    monday = moment - dt.timedelta(days=moment.weekday())
    return monday.replace(hour=0, minute=0)


def test_steady_weeks_starting_at_any_time_of_any_day_raise_no_alert():
    # The statistics alone, over 28 simulated weeks that start at every day of the week and at
    # night, in the morning rush, at lunch and in the evening: the first days' morning ramp is
    # where a baseline that only knew the past hours used to raise false alarms.
    monday = dt.datetime(2026, 11, 2, tzinfo=dt.UTC)
    for week in range(28):
        start = monday + dt.timedelta(days=week % 7, hours=(0, 8, 12, 18)[week // 7])
        rng, series, at = random.Random(week), {}, start
        while at < start + dt.timedelta(days=7):
            series[at] = _poisson(rng, _steady_rate(at))
            at += BUCKET
        at = start + dt.timedelta(hours=3)
        while at < start + dt.timedelta(days=7):
            assert spike_in_series(series, current=at, sensitivity=5.0) is None, (start, at)
            at += BUCKET


def test_a_steady_simulated_week_raises_no_alert(x_account):
    query_create(actor=None, name="Brand", text="@northbridgebank OR northbridge", kind="brand")
    start = _last_monday_a_week_ago()
    end = start + dt.timedelta(days=7)
    assert _write_steady(x_account, start, end) > 1500
    at, checks = start + dt.timedelta(hours=3), 0
    while at < end:
        outcome = spikes_detect(now=at + dt.timedelta(minutes=1))
        assert outcome.opened is None, f"false alarm at {at}: {[s.as_json() for s in outcome.spiking]}"
        at += BUCKET
        checks += 1
    assert checks > 650
    assert not SpikeAlert.objects.exists()


def test_a_sandbox_outage_raises_one_alert_naming_its_terms_within_two_intervals(
    sandbox, x_account, lead, manager, agent
):
    query = query_create(
        actor=lead,
        name="Card problems",
        text='("card declined" OR "can\'t log in") -test lang:en',
        networks=["x"],
        inbox_policy="none",
    )
    now = timezone.now()
    _write_steady(x_account, now - dt.timedelta(days=2), bucket_start(now) - BUCKET)
    assert spikes_detect(now=now).opened is None

    # The outage starts: the sandbox's burst, read by the account's real poll.
    sandbox.scenario("outage", network="x")
    sandbox.generate(40, network="x", outage=True)
    assert account_poll(account_id=x_account.pk).status == "ok"

    opened = None
    for interval in range(2):  # detected within two intervals
        outcome = spikes_detect(now=timezone.now() + interval * BUCKET)
        opened = opened or outcome.opened
    assert opened is not None
    alert = SpikeAlert.objects.get()
    labels = {scope["label"] for scope in alert.scopes}
    assert str(x_account) in labels and query.name in labels
    assert set(alert.terms) & {"log in", "app", "app down", "logs me out", "locked out", "spins"}, alert.terms
    assert alert.title.startswith("Spike in")

    # In the app and by e-mail, to leads and managers, once.
    recipients = set(
        Notification.objects.filter(verb="listening.spike").values_list("recipient__username", flat=True)
    )
    assert recipients == {lead.username, manager.username}

    # Still spiking a quarter later: the same alert, no new notification.
    spikes_detect(now=timezone.now() + 2 * BUCKET)
    assert SpikeAlert.objects.count() == 1
    assert Notification.objects.filter(verb="listening.spike").count() == 2

    # Quiet again: it closes after two quiet quarter hours.
    outcome = spikes_detect(now=timezone.now() + 5 * BUCKET)
    assert outcome.closed is not None
    alert.refresh_from_db()
    assert not alert.is_open and alert.ended_at


def test_the_alert_email_is_sent(sandbox, x_account, manager):
    from bankbuzz.accounts.notifications import notification_emails_send

    now = timezone.now()
    _write_steady(x_account, now - dt.timedelta(days=1), bucket_start(now) - BUCKET, seed=5)
    sandbox.scenario("outage", network="x")
    sandbox.generate(40, network="x", outage=True)
    account_poll(account_id=x_account.pk)
    spikes_detect(now=timezone.now())
    ids = list(Notification.objects.filter(verb="listening.spike").values_list("pk", flat=True))
    assert ids
    notification_emails_send(notification_ids=ids)
    assert "Spike in" in mail.outbox[0].subject
    assert "/listening/alerts/#alert-" in mail.outbox[0].body


def _outage(account, at: dt.datetime, count: int, *, seed: int) -> None:
    """`count` posts about the app being down, written in the quarter hour starting at `at`."""
    rng = random.Random(seed)
    items = [
        _item(
            f"outage-{seed}-{n}",
            content.compose(rng, topic="app_outage", network="x"),
            at + dt.timedelta(seconds=rng.randrange(600)),
            rng,
        )
        for n in range(count)
    ]
    mentions_ingest(account=account, result=base.FetchResult(items=items))


def test_leads_and_managers_are_emailed_once_per_spike_with_its_terms(x_account, lead, manager, agent):
    from bankbuzz.accounts.notifications import notification_emails_send

    now = timezone.now()
    current = bucket_start(now)
    _write_steady(x_account, now - dt.timedelta(days=1), current - BUCKET, seed=9)
    _outage(x_account, current - BUCKET, 60, seed=1)
    first = spikes_detect(now=current + dt.timedelta(minutes=1)).opened
    assert first is not None
    # The next checks of the same spike (beat runs every minute) extend it: nobody is told again.
    for minutes in (2, 3, 10):
        assert spikes_detect(now=current + dt.timedelta(minutes=minutes)).opened is None
    notifications = Notification.objects.filter(verb="listening.spike")
    assert notifications.count() == 2
    ids = list(notifications.values_list("pk", flat=True))
    assert notification_emails_send(notification_ids=ids) == 2
    assert notification_emails_send(notification_ids=ids) == 0  # a repeated task sends nothing twice
    assert sorted(m.to[0] for m in mail.outbox) == sorted([lead.email, manager.email])
    for message in mail.outbox:
        assert message.subject.startswith("BankBuzz: Spike in X @northbridgebank")
        assert f"\u201c{first.terms[0]}\u201d" in message.body
        assert f"/listening/alerts/#alert-{first.pk}" in message.body

    # Quiet for half an hour: the alert ends. A later outage is a new spike, and a new alert.
    assert spikes_detect(now=current + 3 * BUCKET).closed == first
    later = current + 5 * BUCKET
    _outage(x_account, later, 60, seed=2)
    second = spikes_detect(now=later + dt.timedelta(minutes=11)).opened
    assert second is not None and second != first
    assert SpikeAlert.objects.count() == 2
    assert notifications.count() == 4


def _even(account, start: dt.datetime, buckets: int, per_bucket: int, *, tag: str) -> None:
    """`per_bucket` posts about fees in each of `buckets` quarter hours from `start`."""
    rng = random.Random(tag)
    items = [
        _item(
            f"{tag}-{b}-{n}",
            f"@northbridgebank why this fee {b} {n}",
            start + b * BUCKET + dt.timedelta(seconds=rng.randrange(900)),
            rng,
        )
        for b in range(buckets)
        for n in range(per_bucket)
    ]
    mentions_ingest(account=account, result=base.FetchResult(items=items))


def test_the_spike_threshold_is_configurable_per_query_and_site_wide(x_account, settings):
    calm = query_create(actor=None, name="Fees, calm", text="fee", spike_sensitivity=15)
    usual = query_create(actor=None, name="Fees", text="fee")
    current = bucket_start(timezone.now())
    _even(x_account, current - 17 * BUCKET, 16, 20, tag="usual")
    _even(x_account, current - BUCKET, 1, 70, tag="rise")  # 3.5 times the usual 20
    spiked = {s.label for s in spikes_detect(now=current + dt.timedelta(minutes=1)).spiking}
    assert usual.name in spiked and calm.name not in spiked

    SpikeAlert.objects.all().delete()
    settings.LISTENING_SPIKE_SENSITIVITY = 15
    assert spikes_detect(now=current + dt.timedelta(minutes=1)).spiking == []


@pytest.mark.django_db(transaction=True)
def test_two_checks_at_once_raise_one_alert(x_account, lead, manager):
    import threading

    from django.db import connection

    current = bucket_start(timezone.now())
    _even(x_account, current - 17 * BUCKET, 16, 20, tag="usual")
    _even(x_account, current - BUCKET, 1, 200, tag="outage")
    barrier = threading.Barrier(3)

    def check():
        try:
            barrier.wait()
            spikes_detect(now=current + dt.timedelta(minutes=1))
        finally:
            connection.close()

    threads = [threading.Thread(target=check) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert SpikeAlert.objects.count() == 1
    assert Notification.objects.filter(verb="listening.spike").count() == 2
