"""The pages, as a browser submits them (CSRF token from the rendered form), and who may do what."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from incidents import publishing, services
from incidents.models import Incident, Post
from listening.models import SpikeAlert
from tests.factories import SocialAccountFactory
from tests.inbox.world import customer_message
from tests.security.auth import VerifiedClient

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def browser(user) -> VerifiedClient:
    client = VerifiedClient(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def submit(client, page: str, url: str, data: dict):
    html = client.get(page).content.decode()
    token = TOKEN.search(html)
    assert token, f"no form with a CSRF token on {page}"
    return client.post(url, {"csrfmiddlewaretoken": token.group(1), **data})


@pytest.fixture
def spike(db):
    x = SocialAccountFactory(network="x", handle="northbridgebank")
    alert = SpikeAlert.objects.create(
        started_at="2026-12-06T09:00:00Z",
        last_spike_at="2026-12-06T09:15:00Z",
        peak_count=240,
        baseline=12,
        scopes=[{"kind": "account", "id": x.pk, "label": "@northbridgebank", "count": 240}],
        terms=["app", "down", "login"],
    )
    alert.accounts.add(x)
    return alert


@pytest.mark.parametrize(
    ("who", "index", "new"),
    [("agent", 200, 403), ("lead", 200, 200), ("manager", 200, 403), ("compliance", 200, 403),
     ("specialist", 403, 403), ("outsider", 403, 403)],
)  # fmt: skip
def test_who_sees_incidents_and_who_opens_them(request, who, index, new):
    user = request.getfixturevalue(who)
    client = browser(user)
    assert client.get("/incidents/").status_code == index
    assert client.get("/incidents/new/").status_code == new
    assert client.get("/incidents/posts/").status_code == index


def test_a_lead_opens_an_incident_from_a_spike(lead, spike):
    customer_message(text="@northbridgebank app down again, cannot login", thread="t-1", network="x")
    client = browser(lead)
    index = client.get("/incidents/").content.decode()
    assert f"/incidents/new/?spike={spike.pk}" in index
    form = client.get(f"/incidents/new/?spike={spike.pk}").content.decode()
    assert "app, down, login" in form
    response = submit(
        client,
        f"/incidents/new/?spike={spike.pk}",
        "/incidents/new/",
        {"name": "App outage", "terms": "app down, login", "networks": ["x"], "spike": spike.pk},
    )
    incident = Incident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/incidents/{incident.pk}/"
    assert incident.spike == spike
    page = client.get(response["Location"]).content.decode()
    assert "Spike began" in page
    assert f"tag={incident.tag_id}" in page  # the incident's view in the inbox
    assert incident.members.count() == 1


def test_bad_input_is_a_clear_error_not_a_500(lead, agent):
    client = browser(lead)
    response = submit(
        client, "/incidents/new/", "/incidents/new/", {"name": "", "terms": "", "networks": ["zz"]}
    )
    assert response.status_code == 200
    assert "error-text" in response.content.decode()
    incident = services.incident_open(actor=lead, name="Outage", terms="app down", networks=["x"])
    page = f"/incidents/{incident.pk}/"
    response = submit(client, page, f"/incidents/{incident.pk}/members/add/", {"conversation": "999999"})
    assert response.status_code == 302
    assert "There is no conversation 999999" in client.get(page).content.decode()
    assert client.get("/incidents/424242/").status_code == 404
    assert browser(agent).get(f"{page}?show=<script>&network=zz").status_code == 200


def test_the_author_cannot_approve_their_post_on_the_page_and_the_checker_can(lead, checker):
    account = SocialAccountFactory(network="x", handle="northbridgebank")
    client = browser(lead)
    response = submit(
        client,
        "/incidents/posts/new/",
        "/incidents/posts/new/",
        {"text": "We are looking into a problem with the app.", "accounts": [account.pk], "preview": "1"},
    )
    assert "43 / 280 characters" in response.content.decode()
    assert Post.objects.count() == 0
    response = submit(
        client,
        "/incidents/posts/new/",
        "/incidents/posts/new/",
        {"text": "We are looking into a problem with the app.", "accounts": [account.pk]},
    )
    post = Post.objects.get()
    page = client.get(f"/incidents/posts/{post.pk}/").content.decode()
    assert "You wrote this post: another lead approves it." in page
    assert "Approve and publish" not in page
    submit(client, f"/incidents/posts/{post.pk}/", f"/incidents/posts/{post.pk}/approve/", {})
    post.refresh_from_db()
    assert post.state == Post.State.AWAITING_APPROVAL

    other = browser(checker)
    assert "Approve and publish" in other.get(f"/incidents/posts/{post.pk}/").content.decode()
    submit(other, f"/incidents/posts/{post.pk}/", f"/incidents/posts/{post.pk}/approve/", {"comment": "ok"})
    post.refresh_from_db()
    assert post.state == Post.State.SCHEDULED and post.decided_by == checker
    calendar = other.get("/incidents/posts/").content.decode()
    assert f'id="post-{post.pk}"' in calendar


def test_agents_add_and_take_out_conversations_but_do_not_send_or_resolve(lead, agent):
    conversation = customer_message(text="@northbridgebank my card was declined", thread="t-2")
    incident = services.incident_open(actor=lead, name="Outage", terms="app down", networks=["x"])
    client = browser(agent)
    page = f"/incidents/{incident.pk}/"
    submit(client, page, f"/incidents/{incident.pk}/members/add/", {"conversation": conversation.pk})
    assert incident.members.filter(conversation=conversation, removed_at__isnull=True).exists()
    html = client.get(page).content.decode()
    assert "Answer everyone" not in html and "Resolve the incident" not in html
    submit(client, page, f"/incidents/{incident.pk}/resolve/", {"follow_up_text": "Fixed"})
    incident.refresh_from_db()
    assert incident.is_open
    submit(client, page, f"/incidents/{incident.pk}/members/{conversation.pk}/remove/", {})
    assert not incident.members.filter(conversation=conversation, removed_at__isnull=True).exists()


def test_a_manager_reads_but_cannot_write_posts(manager, lead):
    account = SocialAccountFactory(network="x", handle="northbridgebank")
    post = publishing.post_submit(actor=lead, text="Hello", accounts=[account])
    client = browser(manager)
    assert client.get(f"/incidents/posts/{post.pk}/").status_code == 200
    assert client.get("/incidents/posts/new/").status_code == 403


def test_the_spike_alert_offers_leads_to_open_an_incident(lead, agent, spike):
    link = f"/incidents/new/?spike={spike.pk}"
    assert link in browser(lead).get("/listening/alerts/").content.decode()
    page = browser(agent).get("/listening/alerts/")
    assert page.status_code == 200 and link not in page.content.decode()


def test_the_incident_page_names_its_networks_as_people_do(lead):
    linkedin = SocialAccountFactory(network="linkedin", handle="northbridge")
    incident = services.incident_open(
        actor=lead, name="Outage", terms="app down", networks=["facebook", "linkedin"]
    )
    post = Post.objects.create(
        text="We know the app is down.",
        purpose=Post.Purpose.STATUS,
        incident=incident,
        author=lead,
        state=Post.State.PUBLISHED,
        published_at=timezone.now(),
    )
    post.deliveries.create(
        account=linkedin, state="sent", external_id="urn:li:share:1", url="https://www.linkedin.com/feed/1"
    )
    client = browser(lead)
    page = client.get(f"/incidents/{incident.pk}/").content.decode()
    assert "networks: Facebook, LinkedIn ·" in page
    assert 'target="_blank">LinkedIn</a>' in page  # the status post's link in "Answer everyone"
    filtered = client.get(f"/incidents/{incident.pk}/?network=linkedin").content.decode()
    assert '<span class="chip">LinkedIn</span> <a href="?show=all#members">all networks</a>' in filtered
