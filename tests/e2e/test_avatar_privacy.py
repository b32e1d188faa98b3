"""Reading hostile customers' conversations makes no request to anyone but us.

Customers choose their avatar URLs: a tracking pixel, a host inside the bank, a protocol-relative
URL. Chromium records every request the pages make while an agent reads the inbox and opens each
conversation; every one goes to the live server. The avatar we fetched and stored is shown from
our origin; the others show the person's initial.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from bankbuzz.accounts import roles
from listening.avatars import avatar_store
from tests.conftest import make_person
from tests.factories import TINY_PNG, AuthorFactory, ConversationFactory, MentionFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

HOSTILE_AVATARS = [
    "https://tracker.example/pixel.gif?who=bank&read=1",
    "http://evil.example/a.png",
    "//evil.example/protocol-relative.png",
    "https://169.254.169.254/latest/meta-data/",
    "https://intranet.bank.internal/logo.png",
    "javascript:alert(1)",
    "data:image/svg+xml,<svg onload=alert(1)>",
]


def _conversations():
    conversations = []
    for n, url in enumerate(HOSTILE_AVATARS):
        customer = AuthorFactory(handle=f"hostile{n}", name=f"Hostile {n}", avatar_url=url)
        conversation = ConversationFactory(customer=customer)
        MentionFactory(author=customer, network=conversation.network, thread_key=conversation.thread_key)
        conversations.append(conversation)
    fetched = AuthorFactory(handle="fetched", name="Fetched Picture", avatar_url="https://pbs.example/f.png")
    avatar_store(author=fetched, url=fetched.avatar_url, content_type="image/png", data=TINY_PNG)
    conversation = ConversationFactory(customer=fetched)
    MentionFactory(author=fetched, network=conversation.network, thread_key=conversation.thread_key)
    return conversations, conversation


def test_reading_hostile_conversations_requests_only_our_origin(browser, live_server, page, login):
    make_person("amira", roles.AGENT, first_name="Amira", last_name="Khan")
    hostile, fetched = _conversations()
    ours = urlsplit(live_server.url).netloc
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    login(page, "amira")
    page.wait_for_selector("#conversation-list, .conversation-list, main")
    for conversation in [*hostile, fetched]:
        page.goto(live_server.url + reverse("inbox:detail", args=[conversation.pk]))
        page.wait_for_selector(".customer-card")
        card = page.locator(".customer-card .card-who")
        if conversation is fetched:
            image = card.locator("img.avatar")
            image.wait_for()
            page.wait_for_function(
                "img => img.complete && img.naturalWidth === 1", arg=image.element_handle()
            )
            assert image.get_attribute("src").startswith(
                f"/listening/avatars/{conversation.customer_id}.img?v="
            )
        else:
            assert card.locator("img").count() == 0
            assert card.locator(".avatar-initials").inner_text() == "H"
    page.goto(f"{live_server.url}/inbox/?view=all")
    page.wait_for_load_state("load")

    elsewhere = [
        url for url in requests if not url.startswith(("data:", "blob:")) and urlsplit(url).netloc != ours
    ]
    assert any("/listening/avatars/" in url for url in requests), "our stored avatar was loaded"
    assert not elsewhere, f"requests to other hosts: {elsewhere}"
    assert len(requests) > 10
