"""Maker-checker in Chromium: a trainee's reply waits for a lead who approves it; a real worker sends it."""

import pytest
from playwright.sync_api import expect

from bankbuzz.accounts import roles
from bankbuzz.audit.models import AuditEvent
from inbox import replies, reply_services
from inbox.models import Reply
from tests.conftest import make_person
from tests.factories import SocialAccountFactory
from tests.inbox.replying import sandbox_conversation, send_replies_through, shoot, wait_for
from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXT = "Hi! Sorry your card was declined. We have checked and it works again now; please try once more."


@pytest.fixture
def worker(celery_worker, monkeypatch):
    send_replies_through(celery_worker, monkeypatch)
    return celery_worker


@pytest.fixture
def conversation(sandbox, x_account, django_capture_on_commit_callbacks):
    return sandbox_conversation(
        sandbox,
        x_account,
        django_capture_on_commit_callbacks,
        text="@northbridgebank my card was declined twice at the supermarket",
    )


def open_reply_tab(page, conversation):
    page.locator(f"#row-{conversation.pk} .row-link").click()
    expect(page.locator("#pane [data-conversation-id]")).to_have_attribute(
        "data-conversation-id", str(conversation.pk)
    )
    page.get_by_role("tab", name="Reply to customer").click()


def test_a_trainees_reply_waits_for_a_lead_then_goes_out_once(
    browser, page, login, live_server, agent, lead, sandbox, conversation, worker
):
    agent.is_trainee = True
    agent.save(update_fields=["is_trainee"])

    login(page, "amira")
    open_reply_tab(page, conversation)
    page.get_by_label("Reply to the customer").fill(TEXT)
    page.locator("#reply-send").click()

    expect(page.locator("#pane .banner-ok")).to_contain_text(
        "Waiting for a lead's approval: written by a trainee"
    )
    reply = Reply.objects.get(conversation=conversation)
    outbox = page.locator(f"#reply-{reply.pk}")
    expect(outbox.locator(".chip-reply")).to_have_text("Waiting for approval")
    expect(outbox).to_contain_text("A lead approves it before it goes: written by a trainee")
    assert reply.state == Reply.State.AWAITING_APPROVAL
    assert sandbox.sent() == []
    shoot(page, "reply-outbox")

    # The lead: notified, opens the approvals queue, approves.
    checker = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(checker, "laura")
    expect(checker.locator("#notif-badge .notif-count")).to_contain_text("1")
    checker.get_by_role("link", name="Approvals").click()
    item = checker.locator(f"#approval-{reply.pk}")
    expect(item).to_contain_text("Amira Khan")
    expect(item).to_contain_text("Trainee")
    expect(item).to_contain_text("Why: written by a trainee")
    expect(item).to_contain_text(TEXT)
    shoot(checker, "approvals")
    item.get_by_role("button", name="Approve and send").click()
    expect(checker.locator(".flash")).to_contain_text("Approved: the reply is on its way.")
    expect(checker.locator(f"#approval-{reply.pk}")).to_have_count(0)
    expect(checker.locator(".decided-table")).to_contain_text("Laura Schmidt")

    # The worker sends it: exactly one post on X, answering the customer's tweet.
    wait_for(
        lambda: Reply.objects.filter(pk=reply.pk, state=Reply.State.SENT).exists(),
        what=f"the worker to send the reply\n{worker.log()[-3000:]}",
    )
    sent = sandbox.sent()
    assert len(sent) == 1, sent
    assert sent[0]["text"] == TEXT
    reply.refresh_from_db()
    assert reply.decided_by == lead and reply.external_id == sent[0]["id"]
    verbs = set(AuditEvent.objects.filter(object_id=str(reply.pk)).values_list("verb", flat=True))
    assert {"reply.create", "reply.approve", "reply.sent"} <= verbs

    # The trainee's open pane learns it by itself: the outbox item becomes our message in the thread.
    expect(page.locator(f"#reply-{reply.pk}")).to_have_count(0, timeout=15_000)
    ours = page.locator("#thread .message-out")
    expect(ours).to_contain_text(TEXT)
    expect(ours.locator(".chip-reply-sent")).to_have_text("Sent")
    checker.context.close()


def test_a_lead_sends_a_reply_back_with_a_comment(browser, page, login, agent, lead, sandbox, conversation):
    agent.is_trainee = True
    agent.save(update_fields=["is_trainee"])
    login(page, "amira")
    open_reply_tab(page, conversation)
    page.get_by_label("Reply to the customer").fill("We will refund the fee today, promise!")
    page.locator("#reply-send").click()
    expect(page.locator("#pane .outbox .chip-reply")).to_have_text("Waiting for approval")
    reply = Reply.objects.get(conversation=conversation)
    assert {"written by a trainee", "mentions “refund”"} <= set(reply.approval_reasons)

    checker = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    login(checker, "laura")
    checker.goto(checker.url.replace("/inbox/", "/inbox/approvals/"))
    item = checker.locator(f"#approval-{reply.pk}")
    item.get_by_label("Comment for Amira Khan").fill("Don't promise a refund in public: ask them to DM us.")
    item.get_by_role("button", name="Send back").click()
    expect(checker.locator(".flash")).to_contain_text("Sent back to its author")
    checker.context.close()

    # The trainee sees why, and takes the text back into the composer to fix it.
    outbox = page.locator(f"#reply-{reply.pk}")
    expect(outbox.locator(".chip-reply")).to_have_text("Rejected", timeout=15_000)
    expect(outbox).to_contain_text("Laura Schmidt sent it back: Don't promise a refund in public")
    outbox.get_by_role("button", name="Edit in the composer").click()
    expect(page.get_by_label("Reply to the customer")).to_have_value("We will refund the fee today, promise!")
    assert sandbox.sent() == []


def test_screenshot_of_the_approvals_queue(page, login, agent, other_agent, lead, monkeypatch):
    """docs/screenshots/approvals.png (with UPDATE_SCREENSHOTS=1): a morning's queue, seen by a lead."""
    for module in (replies.submit, replies.approvals):
        monkeypatch.setattr(module, "enqueue", lambda reply_id: None)  # nothing is sent here
    priya = make_person("priya", roles.LEAD, first_name="Priya", last_name="Nair")
    agent.is_trainee = True
    agent.save(update_fields=["is_trainee"])
    accounts = {
        network: SocialAccountFactory(network=network, handle="northbridgebank", name="Northbridge Bank")
        for network in ("x", "facebook", "linkedin")
    }

    def conversation(network, thread, text, handle, name, **fields):
        return customer_message(
            text=text, thread=thread, network=network, account=accounts[network], handle=handle, name=name,
            **fields,
        )  # fmt: skip

    def submit(actor, conv, text, **kw):
        return reply_services.reply_submit(
            actor=actor, conversation=conv, channel="public", text=text, seen_version=None, **kw
        )

    declined = conversation(
        "x", "a1", "@northbridgebank card declined at Tesco again?!", "rosa_g", "Rosa García"
    )
    fee = conversation(
        "facebook", "a2", "You charged me twice for the same transfer.", "mark.w", "Mark Wilson"
    )
    rate = conversation(
        "linkedin", "a3", "What is the interest rate on the new saver?", "d-okoro", "Daniel Okoro",
        followers=48_200,
    )  # fmt: skip
    card = conversation("x", "a4", "@northbridgebank which of my cards did you block?", "tom_h", "Tom Hughes")
    app = conversation("x", "a5", "@northbridgebank app keeps logging me out", "jan_k", "Jan Kowalski")

    rejected = submit(agent, app, "Have you tried turning it off and on again lol")
    reply_services.reply_reject(
        actor=lead, reply=rejected, comment="Too casual: use the saved reply ;outage."
    )
    approved = submit(
        agent, fee, "Sorry Mark, we are checking the double charge now: please DM us your name."
    )
    reply_services.reply_approve(actor=lead, reply=approved)
    submit(
        agent, declined, "Hi Rosa, sorry about that! Could you send us a DM so we can check your card? Amira"
    )
    submit(
        other_agent,
        fee,
        "Hi Mark, we see the second payment and will refund it by tomorrow. Sorry for the trouble! Ben",
    )
    submit(
        other_agent,
        rate,
        "Hi Daniel, the Easy Saver pays 4.1% AER variable; you can open one in the app. Ben",
    )
    submit(
        priya,
        card,
        "Tom, the refund went to GB82 WEST 1234 5698 7654 32 as you asked; the other one works. Priya",
        override_reason="The customer asked in public which account; the IBAN is already in his own post.",
    )

    login(page, "laura")
    page.goto(page.url.replace("/inbox/", "/inbox/approvals/"))
    expect(page.locator(".approval")).to_have_count(4)
    shoot(page, "approvals")
