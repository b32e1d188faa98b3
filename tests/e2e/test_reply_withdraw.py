"""In Chromium: a reply sent while the broker is unreachable says sending is delayed, shows as
queued with a Withdraw button, and once withdrawn is never sent, even when the broker is back."""

import pytest
from playwright.sync_api import expect

from inbox import reply_services
from inbox.models import Reply
from tests.inbox.replying import broker_unreachable, drain_queue, sandbox_conversation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = "Sorry your card was declined! Please send us a direct message and we will look into it."


@pytest.fixture
def conversation(sandbox, x_account, django_capture_on_commit_callbacks):
    drain_queue()
    yield sandbox_conversation(
        sandbox, x_account, django_capture_on_commit_callbacks, text="@northbridgebank my card was declined"
    )
    drain_queue()


def test_a_queued_reply_is_withdrawn_from_the_conversation_and_never_sent(
    page, login, live_server, agent, sandbox, conversation
):
    login(page, "amira")
    page.locator(f"#row-{conversation.pk} .row-link").click()
    page.get_by_role("tab", name="Reply to customer").click()
    page.get_by_label("Reply to the customer").fill(TEXT)
    with broker_unreachable():
        page.locator("#reply-send").click()
        expect(page.locator("#pane .banner-ok")).to_contain_text("sending is delayed")

    reply = Reply.objects.get(conversation=conversation)
    assert reply.state == Reply.State.QUEUED and reply.dispatched_at is None
    outbox = page.locator(f"#reply-{reply.pk}")
    expect(outbox.locator(".chip-reply")).to_have_text("Queued")
    outbox.get_by_role("button", name="Withdraw").click()
    expect(page.locator("#pane .banner-ok")).to_contain_text("Withdrawn: it will not be sent.")
    # It leaves the thread's outbox; the thread says who withdrew it.
    expect(page.locator(f"#reply-{reply.pk}")).to_have_count(0)
    expect(page.locator("#pane")).to_contain_text("withdrew a reply")
    reply.refresh_from_db()
    assert reply.state == Reply.State.CANCELLED

    # The broker is back: the relay has nothing to hand over, a stray task sends nothing.
    assert reply_services.replies_dispatch() == []
    assert reply_services.reply_send(reply_id=reply.pk) == "skipped"
    assert sandbox.sent() == []
