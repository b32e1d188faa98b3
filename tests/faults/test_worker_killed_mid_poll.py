"""Drill: a Celery worker is SIGKILLed in the middle of a poll of a large backlog.

A new worker polls again. Every item of the backlog ends up stored exactly once, and the
cursors describe what was stored: nothing skipped, nothing doubled. Runs in the default
`make test` (about 45 s) and in `make test-faults`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from listening.connectors.base import connector_for
from listening.models import Mention, QuarantinedItem, SocialAccount
from listening.tasks import poll_account

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]


def start_worker(sandbox_url: str, queue: str, log_path) -> subprocess.Popen:
    url = urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DATABASE_URL": urlunsplit(url._replace(path="/" + settings.DATABASES["default"]["NAME"])),
        "DEBUG": "1",
        "X_API_BASE_URL": f"{sandbox_url}/x",
        "GRAPH_API_BASE_URL": f"{sandbox_url}/graph",
        "LINKEDIN_API_BASE_URL": f"{sandbox_url}/linkedin",
        "NETWORK_HTTP_TIMEOUT": "5",
        "CELERY_QUEUE": queue,
    }
    log = open(log_path, "a")  # noqa: SIM115 - the child holds it; closed with the process
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "bankbuzz", "worker", "-Q", queue, "--pool", "solo",
         "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
         "--hostname", f"{queue}-{uuid.uuid4().hex[:4]}@%h"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the worker exited at start:\n{log_path.read_text()[-3000:]}")
        # Only this worker's own log counts: a ping could be answered by anyone's worker.
        if log_path.read_text().count(" ready.") >= 1 + log_path.read_text().count("KILLED-MARK"):
            return process
        time.sleep(0.1)
    process.kill()
    pytest.fail(f"the worker did not become ready:\n{log_path.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def wait_for(predicate, *, seconds: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def x_reads(sandbox) -> int:
    counts = sandbox.requests().get("x", {})
    return sum(n for endpoint, n in counts.items() if "mentions" in endpoint or "dm_events" in endpoint)


def poll_to_completion(account_id: int, queue: str, log_path) -> None:
    """Poll through the new worker until a poll finds nothing new and no walk is half done."""
    for _ in range(12):
        before = SocialAccount.objects.get(pk=account_id).last_success_at
        count = Mention.objects.count()
        poll_account.apply_async(args=[account_id], queue=queue)
        wait_for(
            lambda b=before: SocialAccount.objects.get(pk=account_id).last_success_at != b,
            seconds=60,
            what=f"a poll to succeed\n{log_path.read_text()[-3000:]}",
            interval=0.1,
        )
        wait_for(
            lambda: SocialAccount.objects.get(pk=account_id).poll_lease_until is None,
            seconds=30,
            what="release",
        )
        cursors = SocialAccount.objects.get(pk=account_id).cursors
        if (
            Mention.objects.count() == count
            and not cursors.get("mentions_page")
            and not cursors.get("dm_events_page")
        ):
            return
    raise AssertionError("the backlog was not drained in 12 polls")


def test_a_worker_killed_mid_poll_loses_and_doubles_nothing(sandbox, sandbox_server, x_account, tmp_path):
    queue = f"bankbuzz-faults-{uuid.uuid4().hex[:8]}"
    log_path = tmp_path / "worker.log"
    log_path.write_text("")
    # A backlog of 800 posts on X: several full pages of mentions, and direct messages.
    # (Bigger backlogs mostly time the inbox attaching conversations after the commit.)
    sandbox.generate(800, network="x")
    sandbox.session.delete(f"{sandbox.url}/_sandbox/requests", timeout=5)

    first = start_worker(sandbox_server.url, queue, log_path)
    try:
        poll_account.apply_async(args=[x_account.pk], queue=queue)
        # Mid-poll: the worker has read from X, and nothing is committed yet.
        wait_for(lambda: x_reads(sandbox) >= 2, seconds=30, what="the worker to start reading X")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    with log_path.open("a") as log:
        log.write("\nKILLED-MARK\n")
    killed_mid_poll = Mention.objects.count() == 0
    account = SocialAccount.objects.get(pk=x_account.pk)
    assert account.poll_lease_until is not None, "the dead poll's lease should still be held"

    second = start_worker(sandbox_server.url, queue, log_path)
    try:
        # While the dead poll's lease runs, a new poll does nothing (no two polls at once)...
        made = x_reads(sandbox)
        poll_account.apply_async(args=[x_account.pk], queue=queue)
        time.sleep(1.5)
        assert x_reads(sandbox) == made
        # ...then the lease runs out (we expire it rather than wait POLL_LEASE_SECONDS; the takeover
        # by beat within one interval is `test_poll_takeover.py`).
        SocialAccount.objects.filter(pk=x_account.pk).update(poll_lease_until=timezone.now())
        poll_to_completion(x_account.pk, queue, log_path)
    finally:
        stop(second)

    assert killed_mid_poll, "the kill came after the commit: make the backlog larger"
    # What the sandbox holds for the bank, read in one go by a connector without page limits.
    info = SocialAccount.objects.get(pk=x_account.pk).as_account_info()
    everything = connector_for(info.__class__(**{**info.__dict__, "options": {"max_pages": 100}})).fetch({})
    expected = {item.external_id for item in everything.items} | {
        q.external_id for q in everything.quarantined
    }
    assert len(expected) > 300

    stored = set(Mention.objects.filter(network="x").values_list("external_id", flat=True))
    quarantined = set(QuarantinedItem.objects.values_list("external_id", flat=True))
    assert expected <= stored | quarantined
    doubles = Mention.objects.values("network", "external_id").annotate(n=Count("id")).filter(n__gt=1)
    assert not doubles.exists()

    cursors = SocialAccount.objects.get(pk=x_account.pk).cursors
    mention_ids = [
        int(i) for i in Mention.objects.exclude(kind="direct").values_list("external_id", flat=True)
    ]
    dm_ids = [int(i) for i in Mention.objects.filter(kind="direct").values_list("external_id", flat=True)]
    assert int(cursors["mentions"]) == max(mention_ids)
    assert int(cursors["dm_events"]) == max(dm_ids)
    assert cursors.get("mentions_page", "") == cursors.get("dm_events_page", "") == ""
