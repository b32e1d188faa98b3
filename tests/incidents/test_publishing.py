"""Publishing with maker-checker: through the sandbox with tweepy and facebook-sdk, exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from bankbuzz.audit.models import AuditEvent
from incidents import publishing
from incidents.models import Post, PostDelivery
from listening.connectors import base
from listening.models import Mention
from tests.inbox.replying import drain_queue

pytestmark = pytest.mark.django_db

TEXT = "Some customers cannot log in to the app. We are on it and will post here when it is fixed."


@pytest.fixture(autouse=True)
def _clean_queue():
    yield
    drain_queue()


def publish_all(post: Post) -> list[str]:
    return [publishing.delivery_publish(delivery_id=d.pk) for d in post.deliveries.order_by("pk")]


def test_the_author_cannot_approve_their_own_post_a_second_lead_does_and_it_appears_once(
    sandbox, x_account, facebook_account, lead, checker
):
    post = publishing.post_submit(actor=lead, text=TEXT, accounts=[x_account, facebook_account])
    assert post.state == Post.State.AWAITING_APPROVAL

    with pytest.raises(publishing.PublishError, match="another lead approves it"):
        publishing.post_approve(actor=lead, post=post)
    # Nothing is queued before the second person says yes.
    assert publish_all(post) == ["skipped", "skipped"]
    assert sandbox.sent() == []

    publishing.post_approve(actor=checker, post=post, comment="Fine")
    assert publish_all(post) == ["sent", "sent"]
    # A second task for the same copies (a redelivered message) sends nothing more.
    assert publish_all(post) == ["skipped", "skipped"]

    sent = sandbox.sent()
    assert sorted((s["network"], s["kind"], s["text"]) for s in sent) == [
        ("facebook", "post", TEXT),
        ("x", "post", TEXT),
    ]
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert post.published_at is not None
    # The bank's own post, in its own thread, on each account; it opens no conversation.
    ours = Mention.objects.filter(direction=Mention.Direction.OUT, kind=Mention.Kind.POST)
    assert sorted(ours.values_list("network", flat=True)) == ["facebook", "x"]
    urls = set(post.deliveries.values_list("url", flat=True))
    assert any(u.startswith("https://x.com/northbridgebank/status/") for u in urls)
    assert any(u.startswith("https://www.facebook.com/") for u in urls)
    verbs = list(
        AuditEvent.objects.filter(object_type="incidents.post").order_by("id").values_list("verb", flat=True)
    )
    assert verbs[:2] == ["post.submit", "post.approve"]
    assert verbs.count("post.published") == 2


def test_the_facebook_post_shows_on_the_page_feed_read_by_the_sdk(sandbox, facebook_account, lead, checker):
    post = publishing.post_submit(actor=lead, text=TEXT, accounts=[facebook_account])
    publishing.post_approve(actor=checker, post=post)
    publish_all(post)
    connector = base.connector_for(facebook_account.as_account_info())
    found = connector.find_published(text=TEXT)
    assert found is not None
    assert found.external_id == post.deliveries.get().external_id


def test_a_worker_that_died_after_posting_does_not_post_twice(sandbox, x_account, lead, checker):
    post = publishing.post_submit(actor=lead, text=TEXT, accounts=[x_account])
    publishing.post_approve(actor=checker, post=post)
    delivery = post.deliveries.get()
    # The first worker claimed the copy and the network took the post; then the worker died.
    PostDelivery.objects.filter(pk=delivery.pk).update(
        state=PostDelivery.State.SENDING, attempts=1, lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    base.connector_for(x_account.as_account_info()).publish_post(text=TEXT)
    assert len(sandbox.sent("x")) == 1

    assert publishing.delivery_publish(delivery_id=delivery.pk) == "sent"
    assert len(sandbox.sent("x")) == 1
    delivery.refresh_from_db()
    assert delivery.external_id == sandbox.sent("x")[0]["id"]


def test_a_scheduled_post_waits_for_its_time(sandbox, x_account, lead, checker):
    when = timezone.now() + dt.timedelta(hours=2)
    post = publishing.post_submit(actor=lead, text=TEXT, accounts=[x_account], scheduled_for=when)
    publishing.post_approve(actor=checker, post=post)
    delivery = post.deliveries.get()
    assert delivery.not_before == when

    # The relay hands nothing over before its time; a task that comes early waits.
    assert publishing.posts_dispatch(now=timezone.now()) == []
    with pytest.raises(publishing.RetryLater):
        publishing.delivery_publish(delivery_id=delivery.pk)
    assert sandbox.sent() == []

    # Two hours later the relay hands it over and it goes out.
    assert publishing.posts_dispatch(now=when + dt.timedelta(seconds=1)) == [delivery.pk]
    PostDelivery.objects.filter(pk=delivery.pk).update(not_before=timezone.now() - dt.timedelta(seconds=1))
    assert publishing.delivery_publish(delivery_id=delivery.pk) == "sent"
    assert [s["text"] for s in sandbox.sent("x")] == [TEXT]


def test_edit_needs_a_new_approval_and_withdraw_stops_it(sandbox, x_account, facebook_account, lead, checker):
    post = publishing.post_submit(
        actor=lead, text=TEXT, accounts=[x_account], scheduled_for=timezone.now() + dt.timedelta(hours=1)
    )
    publishing.post_approve(actor=checker, post=post)
    post = publishing.post_edit(
        actor=lead, post=post, text=TEXT + " Sorry.", accounts=[x_account, facebook_account]
    )
    assert post.state == Post.State.AWAITING_APPROVAL
    assert set(post.deliveries.values_list("state", flat=True)) == {PostDelivery.State.WAITING}
    assert post.deliveries.count() == 2

    publishing.post_withdraw(actor=lead, post=post)
    assert publish_all(post) == ["skipped", "skipped"]
    with pytest.raises(publishing.PublishError, match="withdrawn"):
        publishing.post_approve(actor=checker, post=post)
    assert sandbox.sent() == []


def test_too_long_for_x_and_card_numbers_are_refused(x_account, linkedin_account, lead):
    with pytest.raises(publishing.PublishError, match=r"X \(281 of 280"):
        publishing.post_submit(actor=lead, text="a" * 281, accounts=[x_account, linkedin_account])
    with pytest.raises(publishing.PublishError, match="card number"):
        publishing.post_submit(actor=lead, text="Test 4111 1111 1111 1111", accounts=[linkedin_account])
    assert Post.objects.count() == 0


def test_only_leads_write_and_approve(x_account, agent, lead, manager):
    with pytest.raises(publishing.PublishError):
        publishing.post_submit(actor=agent, text=TEXT, accounts=[x_account])
    post = publishing.post_submit(actor=lead, text=TEXT, accounts=[x_account])
    for person in (agent, manager):
        with pytest.raises(publishing.PublishError, match="Only social leads"):
            publishing.post_approve(actor=person, post=post)


def test_linkedin_posts_go_out_as_the_organisation(sandbox, linkedin_account, lead, checker):
    post = publishing.post_submit(actor=lead, text=TEXT, accounts=[linkedin_account])
    publishing.post_approve(actor=checker, post=post)
    assert publish_all(post) == ["sent"]
    (sent,) = sandbox.sent("linkedin")
    assert sent["kind"] == "post"
    assert post.deliveries.get().external_id == sent["id"]
