"""The whole path on the real stack: a post on X, a Celery worker over Redis, PostgreSQL, the inbox."""

import time

import pytest

from listening.models import Mention
from listening.tasks import poll_account

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def wait_for(predicate, *, seconds: float = 30, what: str = "condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def test_a_customer_post_on_x_appears_in_the_inbox(celery_worker, sandbox, x_account, client, agent):
    posted = sandbox.post(network="x", text="@northbridgebank my card was declined at the till twice today")

    poll_account.apply_async(args=[x_account.pk], queue=celery_worker.queue)

    mention = wait_for(
        lambda: Mention.objects.filter(network="x", external_id=posted["id"]).first(),
        what=f"the worker to store the mention\n{celery_worker.log()[-3000:]}",
    )
    assert mention.author.handle
    x_account.refresh_from_db()
    assert x_account.cursors["mentions"] == posted["id"]
    assert x_account.health == "ok"

    client.force_login(agent)
    wait_for(lambda: "my card was declined at the till twice today" in client.get("/inbox/").content.decode())


def test_polling_again_stores_nothing_twice(celery_worker, sandbox, x_account):
    for number in range(3):
        sandbox.post(network="x", text=f"@northbridgebank question number {number} about my mortgage")
    for _ in range(2):
        poll_account.apply_async(args=[x_account.pk], queue=celery_worker.queue)
    wait_for(lambda: Mention.objects.count() >= 3, what="three mentions")
    # Give the second poll time to run, then check for doubles.
    time.sleep(2)
    assert Mention.objects.count() == 3
