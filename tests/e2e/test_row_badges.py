"""In Chromium: a busy list row (status, priority, sentiment, tags) shows every badge whole, on a
desktop and on a phone, wrapping to a second line rather than squeezing a tag to a letter."""

import pytest

from inbox.models import Conversation
from inbox.services import conversation_tag_add
from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

BUSY = [
    ("waiting_expert", Conversation.Priority.URGENT, "negative", ["Card declined abroad", "Fraud"]),
    ("waiting_customer", Conversation.Priority.HIGH, "negative", ["Fraud", "App login"]),
    ("open", Conversation.Priority.NORMAL, "positive", ["Complaint", "Savings", "Vulnerable customer"]),
]


def test_every_badge_of_a_busy_row_is_readable_at_any_width(page, login, agent):
    for number, (status, priority, sentiment, tags) in enumerate(BUSY):
        conversation = customer_message(
            text="My card was declined at the till again and nobody answers",
            thread=f"busy-{number}",
            handle=f"rosa{number}",
            name="Rosa García Fernández",
            sentiment=sentiment,
        )
        Conversation.objects.filter(pk=conversation.pk).update(status=status, priority=priority)
        for tag in tags:
            conversation_tag_add(actor=agent, conversation=conversation, name=tag)
    login(page, "amira")
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(page.url)
        badges = page.locator(".row .badges .badge")
        assert badges.count() >= 3 * 4
        # (text, shown width, width its text needs) of every badge cut short.
        cut = page.evaluate(
            """() => [...document.querySelectorAll('.row .badges .badge')]
                .filter(b => b.scrollWidth > b.clientWidth + 1 || b.getBoundingClientRect().width < 18)
                .map(b => [b.textContent, b.clientWidth, b.scrollWidth])"""
        )
        assert not cut, f"at {width}px: {cut}"
        assert page.locator(".row .badge-more").first.text_content().startswith("+1")
