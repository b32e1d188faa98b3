"""An incident on the real stack: a Celery worker over Redis, PostgreSQL and the sandbox's X and Graph.

The approved status post appears once on the bank's X account and Facebook page, and each of
more than a hundred customers gets exactly one personal reply, in their own thread.
"""

from __future__ import annotations

from collections import Counter

import pytest

from inbox.models import Reply
from incidents import publishing, services
from incidents.models import IncidentConversation, Post
from tests.inbox.replying import wait_for
from tests.incidents.conftest import customer, make_checker, poll, route_to_worker

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CUSTOMERS = 105
TEMPLATE = "Hi {customer_name}, sorry: the app is down for some customers. Updates: {status_link}"


@pytest.fixture
def checker_lead(db):
    return make_checker()


def test_the_status_post_reaches_x_and_facebook_and_every_customer_gets_one_reply(
    celery_worker, monkeypatch, sandbox, x_account, facebook_account, lead, checker_lead,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    route_to_worker(celery_worker, monkeypatch)
    capture = django_capture_on_commit_callbacks
    tweets = [
        sandbox.post(
            network="x", text=f"@northbridgebank is the app down? I cannot log in ({i})", author=customer(i)
        )
        for i in range(CUSTOMERS)
    ]
    poll(x_account, capture)
    incident = services.incident_open(actor=lead, name="App outage", terms="app down", networks=["x"])
    assert incident.members.count() == CUSTOMERS

    with capture(execute=True):
        post = publishing.post_submit(
            actor=lead, text="Some customers cannot log in to the app. We are on it.",
            accounts=[x_account, facebook_account], purpose=Post.Purpose.STATUS, incident=incident,
        )  # fmt: skip
        publishing.post_approve(actor=checker_lead, post=post)
    wait_for(
        lambda: Post.objects.filter(pk=post.pk, state=Post.State.PUBLISHED).exists(),
        seconds=120,
        what=f"the worker to publish the status post\n{celery_worker.log()[-3000:]}",
    )
    posts = [s for s in sandbox.sent() if s["kind"] == "post"]
    assert sorted(s["network"] for s in posts) == ["facebook", "x"]

    with capture(execute=True):
        services.incident_replies_prepare(actor=lead, incident=incident, text=TEMPLATE)
    wait_for(
        lambda: Reply.objects.filter(state=Reply.State.SENT).count() == CUSTOMERS,
        seconds=600,
        what=f"the worker to send every reply\n{celery_worker.log()[-3000:]}",
    )
    replies = [s for s in sandbox.sent("x") if s["kind"] == "reply"]
    assert len(replies) == CUSTOMERS
    # Exactly one per customer, each answering that customer's own tweet, by their own name.
    answered = Counter(s["in_reply_to"] for s in replies)
    assert set(answered) == {t["id"] for t in tweets} and set(answered.values()) == {1}
    x_link = post.deliveries.get(account=x_account).url
    assert all(x_link in s["text"] for s in replies)
    for member in IncidentConversation.objects.filter(incident=incident).select_related(
        "reply", "conversation__customer"
    ):
        assert member.reply.state == Reply.State.SENT
        assert member.reply.text.startswith(f"Hi {member.conversation.customer.name.split()[0]},")
