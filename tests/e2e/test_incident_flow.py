"""A whole incident in Chromium: open it from a spike, a second lead approves the status post, the
personal replies go out (a fraud report inside the outage is held for a person), resolving it
sends the follow-ups. A real Celery worker sends everything to the sandbox."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import Conversation, Reply
from incidents.models import Incident, Post
from listening.models import SpikeAlert
from tests.inbox.replying import wait_for
from tests.incidents.conftest import customer, make_checker, poll, route_to_worker

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/incidents-shots")


def shots(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True, caret="initial")
    page.set_viewport_size({"width": 1280, "height": 800})


@pytest.fixture
def checker_lead(db):
    return make_checker()


def test_a_whole_incident(
    browser, page, login, live_server, lead, checker_lead, sandbox, x_account, facebook_account,
    celery_worker, monkeypatch, django_capture_on_commit_callbacks,
):  # fmt: skip
    route_to_worker(celery_worker, monkeypatch)
    for i in range(3):
        sandbox.post(
            network="x", text=f"@northbridgebank is the app down? I cannot log in ({i})", author=customer(i)
        )
    sandbox.post(
        network="x",
        text="@northbridgebank app down and someone took £200 from my account, I did not make that payment!",
        author=customer(9),
    )
    poll(x_account, django_capture_on_commit_callbacks)
    now = timezone.now()
    spike = SpikeAlert.objects.create(
        started_at=now - dt.timedelta(minutes=30),
        last_spike_at=now - dt.timedelta(minutes=15),
        peak_count=180,
        baseline=9,
        scopes=[{"kind": "account", "id": x_account.pk, "label": "@northbridgebank", "count": 180}],
        terms=["app", "down", "log"],
    )
    spike.accounts.add(x_account)

    # The lead opens the incident from the spike.
    login(page, "laura")
    page.get_by_role("link", name="Incidents").first.click()
    shots(page, "index")
    page.locator(f"#spike-{spike.pk}").get_by_role("link", name="Open an incident from this spike").click()
    expect(page.get_by_label("Name")).to_have_value(spike.title[:120])
    shots(page, "new")
    page.get_by_label("Name").fill("App outage")
    page.get_by_label("Listening terms").fill("app down, log in")
    page.get_by_role("button", name="Open the incident").click()
    expect(page.locator(".flash")).to_contain_text("Incident opened: 4 open conversations match.")
    incident = Incident.objects.get()
    expect(page.locator("#fig-members .dash-figure-value")).to_have_text("4")

    # The status post, on X and Facebook, for approval.
    page.locator("#status").get_by_label("X · northbridgebank").check()
    page.locator("#status").get_by_label("Facebook · ").check()
    page.get_by_role("button", name="Send for approval").click()
    expect(page.locator(".banner-warn")).to_contain_text("You wrote this post: another lead approves it.")
    post = Post.objects.get()

    # A second lead approves it; the worker publishes it on both.
    other = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(other, "lars")
    other.goto(f"{live_server.url}/incidents/posts/{post.pk}/")
    other.get_by_role("button", name="Approve and publish").click()
    expect(other.locator(".flash")).to_contain_text("Approved: the post is on its way.")
    wait_for(
        lambda: Post.objects.filter(pk=post.pk, state=Post.State.PUBLISHED).exists(),
        seconds=90,
        what=f"the status post to be published\n{celery_worker.log()[-2000:]}",
    )
    assert sorted(s["network"] for s in sandbox.sent() if s["kind"] == "post") == ["facebook", "x"]
    other.reload()
    expect(other.locator("#post-state")).to_have_text("Published")
    shots(other, "post")
    other.goto(f"{live_server.url}/incidents/posts/")
    shots(other, "calendar")
    other.get_by_role("link", name="Write a post").click()
    long_post = "Our branches open at 10:00 on Monday for staff training. " * 5
    other.get_by_label("Post", exact=True).fill(long_post)
    other.get_by_label("X · northbridgebank").check()
    other.get_by_label("Facebook · ").check()
    other.get_by_role("button", name="Preview").click()
    expect(other.locator(".inc-preview.is-over")).to_contain_text("too long for X")
    shots(other, "post-form")
    other.context.close()

    # Everyone answered, personally; the fraud report is held.
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    expect(page.locator("#fig-first-post .dash-figure-value")).not_to_have_text("—")
    page.locator("#send-all").click()
    expect(page.locator(".flash")).to_contain_text("The replies are going out")
    wait_for(
        lambda: Reply.objects.filter(state=Reply.State.SENT).count() == 3,
        seconds=120,
        what=f"three personal replies\n{celery_worker.log()[-2000:]}",
    )
    page.reload()
    expect(page.locator("#fig-sent .dash-figure-value")).to_have_text("3")
    expect(page.locator("#fig-held .dash-figure-value")).to_have_text("1")
    page.locator("#fig-held").click()
    expect(page.locator("#members tbody tr")).to_have_count(1)
    expect(page.locator("#members")).to_contain_text("a person answers it")
    replies = [s for s in sandbox.sent("x") if s["kind"] == "reply"]
    assert len(replies) == 3 and len({s["in_reply_to"] for s in replies}) == 3
    shots(page, "incident")

    # Resolve: the follow-ups go out and the answered conversations are resolved.
    page.goto(f"{live_server.url}/incidents/{incident.pk}/#resolve")
    page.locator("#resolve-button").click()
    expect(page.locator(".flash")).to_contain_text("Resolved.")
    wait_for(
        lambda: Reply.objects.filter(state=Reply.State.SENT, text__contains="it's fixed").count() == 3,
        seconds=120,
        what=f"three follow-ups\n{celery_worker.log()[-2000:]}",
    )
    answered = incident.members.filter(reply__isnull=False).values("conversation")
    assert set(Conversation.objects.filter(pk__in=answered).values_list("status", flat=True)) == {"resolved"}
    held = incident.members.get(reply__isnull=True).conversation
    assert held.status != "resolved"
    page.reload()
    expect(page.locator("#resolved")).to_contain_text("Resolved")
    expect(page.locator("#timeline-title + ol")).to_contain_text("Every affected customer answered")
    expect(page.locator("#timeline-title + ol")).to_contain_text("Resolved by Laura Schmidt")
    assert Post.objects.filter(purpose=Post.Purpose.FOLLOW_UP, state=Post.State.AWAITING_APPROVAL).exists()
