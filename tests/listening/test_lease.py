"""The poll lease ends with its poll: renewed while it runs, never renewed or freed once lost,
a skipped poll said to be skipped, and an account nobody has polled for three intervals "stalled"."""

from __future__ import annotations

import datetime as dt
import logging
import time

import pytest
from django.urls import reverse
from django.utils import timezone

from listening import lease
from listening.models import SocialAccount
from listening.services import account_poll


def wait_for(predicate, *, seconds: float = 120, what: str):
    # Generous: on a machine whose disk is saturated a commit can take tens of seconds, and the
    # renewals are commits. A healthy keeper renews within a second or two.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def lease_in_db(account_id: int):
    return SocialAccount.objects.get(pk=account_id).poll_lease_until


@pytest.mark.django_db(transaction=True)
def test_a_running_poll_renews_its_lease_and_gives_it_back(x_account):
    taken = timezone.now() + dt.timedelta(seconds=3)
    SocialAccount.objects.filter(pk=x_account.pk).update(poll_lease_until=taken)
    keeper = lease.LeaseKeeper(x_account.pk, taken, seconds=3).start()
    try:
        wait_for(lambda: lease_in_db(x_account.pk) > taken, what="the lease to be renewed")
        renewed = lease_in_db(x_account.pk)
        wait_for(lambda: lease_in_db(x_account.pk) > renewed, what="the lease to be renewed again")
    finally:
        last = keeper.stop()
    assert lease_in_db(x_account.pk) == last
    assert lease.release(x_account.pk, last)
    assert lease_in_db(x_account.pk) is None


@pytest.mark.django_db(transaction=True)
def test_a_lease_taken_over_is_neither_renewed_nor_freed_by_its_old_holder(x_account, caplog):
    taken = timezone.now() + dt.timedelta(seconds=3)
    SocialAccount.objects.filter(pk=x_account.pk).update(poll_lease_until=taken)
    keeper = lease.LeaseKeeper(x_account.pk, taken, seconds=3).start()
    # The old holder stalled past its lease and another poll took the account.
    theirs = timezone.now() + dt.timedelta(seconds=30)
    SocialAccount.objects.filter(pk=x_account.pk).update(poll_lease_until=theirs)
    try:
        wait_for(lambda: keeper.lost, what="the old holder to notice")
    finally:
        mine = keeper.stop()
    assert not lease.release(x_account.pk, mine)
    assert lease_in_db(x_account.pk) == theirs
    assert "was taken over" in caplog.text


@pytest.mark.django_db
def test_a_poll_takes_a_short_lease_and_a_skipped_poll_says_why(sandbox, x_account, settings, caplog):
    caplog.set_level(logging.INFO, logger="listening.services")
    assert account_poll(account_id=x_account.pk).status == "ok"
    x_account.refresh_from_db()
    assert x_account.poll_lease_until is None

    held = timezone.now() + dt.timedelta(seconds=settings.POLL_LEASE_SECONDS)
    SocialAccount.objects.filter(pk=x_account.pk).update(poll_lease_until=held)
    outcome = account_poll(account_id=x_account.pk)
    assert outcome.status == "skipped" and "another poll holds the lease" in outcome.detail
    [line] = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert line.startswith(f"poll of account {x_account.pk} skipped: another poll holds the lease until")

    # A lease whose holder is gone (it stopped renewing) is taken over once it runs out.
    SocialAccount.objects.filter(pk=x_account.pk).update(poll_lease_until=timezone.now())
    assert account_poll(account_id=x_account.pk).status == "ok"


@pytest.mark.django_db
def test_the_account_pages_say_stalled_after_three_intervals_without_a_poll(client, lead, x_account):
    client.force_login(lead)
    url = reverse("listening:account", args=[x_account.pk])
    now = timezone.now()

    SocialAccount.objects.filter(pk=x_account.pk).update(last_success_at=now - dt.timedelta(seconds=150))
    page = client.get(url).content.decode()
    assert "Stalled" not in page  # two and a half intervals of 60 s
    assert '<span class="state state-ok">OK</span>' in page

    SocialAccount.objects.filter(pk=x_account.pk).update(last_success_at=now - dt.timedelta(seconds=181))
    page = client.get(url).content.decode()
    assert "Stalled: no successful poll for 3\xa0minutes" in page
    assert "state-ok" not in page  # the last poll's "OK" is not how the account is now
    listed = client.get(reverse("listening:accounts")).content.decode()
    assert "Stalled" in listed and "state-ok" not in listed
    inbox = client.get(reverse("inbox:list")).content.decode()  # the agents' side rail says it too
    stalled = '<span class="health health-stalled" title="No successful poll for 3\xa0minutes">Stalled</span>'
    assert stalled in inbox

    # A paused account is paused, not stalled.
    SocialAccount.objects.filter(pk=x_account.pk).update(is_active=False)
    assert "Stalled" not in client.get(url).content.decode()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_a_poll_that_finds_the_account_held_polls_once_the_lease_ends(celery_worker, sandbox, x_account):
    """A worker died holding the account: the next poll does not wait for the next interval."""
    from listening.tasks import poll_account

    held = timezone.now() + dt.timedelta(seconds=3)
    SocialAccount.objects.filter(pk=x_account.pk).update(poll_lease_until=held)
    result = poll_account.apply_async(args=[x_account.pk], queue=celery_worker.queue)
    wait_for(
        lambda: SocialAccount.objects.get(pk=x_account.pk).last_success_at is not None,
        seconds=60,
        what=f"the retried poll to succeed\n{celery_worker.log()[-3000:]}",
    )
    polled = SocialAccount.objects.get(pk=x_account.pk)
    assert polled.last_poll_at >= held and polled.poll_lease_until is None
    log = celery_worker.log()
    assert f"poll of account {x_account.pk} skipped: another poll holds the lease" in log
    assert f"[{result.id}] retry: Retry in" in log
