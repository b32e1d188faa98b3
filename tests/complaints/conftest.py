"""A customer's conversation whose messages the understanding layer labelled a complaint."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest

from complaints.seed import seed_now
from inbox.models import Conversation
from tests.factories import AuthorFactory, ConversationFactory, MentionFactory, SocialAccountFactory

LONDON = zoneinfo.ZoneInfo("Europe/London")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def complaint_config(db):
    # Transactional tests flush the migration's rows: put the regimes and holidays back.
    seed_now()


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def browser(db):
    """A logged-in client that, like a browser against the real site, must send the CSRF token."""
    from tests.security.auth import VerifiedClient

    return VerifiedClient(enforce_csrf_checks=True)


@pytest.fixture
def unhappy(db):
    """Jane's conversation: a question, then two complaints, the first on Fri 28 Aug 2026 at 19:45,
    after close of business, before a weekend and the summer bank holiday (Mon 31 Aug)."""
    account = SocialAccountFactory(handle="northbridgebank")
    customer = AuthorFactory(handle="jane_doe", name="Jane Doe")
    conversation = ConversationFactory(customer=customer, account=account, status=Conversation.Status.OPEN)
    thread = conversation.thread_key
    MentionFactory(
        author=customer,
        account=account,
        thread_key=thread,
        intent="question",
        text="How do I order a new card?",
        created_at=at(2026, 8, 28, 9, 0),
    )
    first = MentionFactory(
        author=customer,
        account=account,
        thread_key=thread,
        intent="complaint",
        text="Third time my card is declined, this is useless",
        created_at=at(2026, 8, 28, 19, 45),
    )
    MentionFactory(
        author=customer,
        account=account,
        thread_key=thread,
        intent="complaint",
        text="Still nothing. Fed up.",
        created_at=at(2026, 8, 29, 10, 0),
    )
    conversation.first_complaint_message = first
    return conversation


def csrf_post(client, page_url: str, url: str, data: dict, **headers):
    """Post as the browser does: with the CSRF token of the page the form is on."""
    html = client.get(page_url, **headers).content.decode()
    match = TOKEN.search(html)
    assert match, "the page has no form with a CSRF token"
    return client.post(url, {"csrfmiddlewaretoken": match.group(1), **data}, **headers)
