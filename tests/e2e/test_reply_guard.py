"""The composer in Chromium: the personal-data guard, the counter, saved replies by search and ;shortcut."""

import pytest
from playwright.sync_api import expect

from bankbuzz.audit.models import AuditEvent
from inbox import reply_services
from inbox.models import Reply, SavedReply
from tests.inbox.replying import sandbox_conversation, send_replies_through, shoot, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CARD = "4111 1111 1111 1111"
IBAN = "GB82 WEST 1234 5698 7654 32"


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
        text="@northbridgebank which card did you block? I have two",
    )


def open_reply_tab(page, conversation):
    page.locator(f"#row-{conversation.pk} .row-link").click()
    expect(page.locator("#pane [data-conversation-id]")).to_have_attribute(
        "data-conversation-id", str(conversation.pk)
    )
    page.keyboard.press("r")
    box = page.get_by_label("Reply to the customer")
    expect(box).to_be_focused()
    return box


def test_a_card_number_is_refused_in_public_and_in_private_with_no_shortcut(
    page, login, lead, sandbox, conversation
):
    login(page, "laura")
    box = open_reply_tab(page, conversation)
    box.fill(f"Hi! We blocked the card ending 1111: {CARD}. The other one still works.")
    page.locator("#reply-send").click()

    block = page.locator("#guard-block")
    expect(block).to_be_visible()
    expect(block).to_contain_text("Not sent: personal data in a public reply")
    expect(block.locator("mark.guard-hit")).to_have_text(CARD)
    expect(block).to_contain_text("A card number (it passes the Luhn check)")
    expect(block).to_contain_text("in public or in a private message")
    # The text stays in the composer; no shortcut to private, and not even a lead may override.
    expect(box).to_have_value(f"Hi! We blocked the card ending 1111: {CARD}. The other one still works.")
    expect(page.get_by_role("button", name="Send as a private message instead")).to_have_count(0)
    expect(page.get_by_text("Override the guard")).to_have_count(0)
    shoot(page, "reply-guard")

    # Chosen by hand, the private channel refuses it too.
    page.get_by_label("Private message").check()
    page.locator("#reply-send").click()
    expect(page.locator("#guard-block")).to_contain_text("Not sent: personal data in a private message")
    expect(page.locator("#guard-never")).to_be_visible()
    assert not Reply.objects.exists()
    assert sandbox.sent() == []


def test_an_iban_goes_out_privately_once_the_agent_confirms(
    page, login, agent, sandbox, conversation, worker
):
    login(page, "amira")
    box = open_reply_tab(page, conversation)
    box.fill(f"The transfer went to {IBAN}, as you asked.")
    page.locator("#reply-send").click()
    block = page.locator("#guard-block")
    expect(block).to_contain_text("Not sent: personal data in a public reply")
    expect(block.locator("mark.guard-hit")).to_have_text(IBAN)

    # The shortcut to private is there; without the confirmation it still waits.
    page.get_by_role("button", name="Send as a private message instead").click()
    expect(page.locator("#guard-block")).to_contain_text("Confirm that the customer asked for it")
    assert not Reply.objects.exists()
    page.get_by_label("The customer asked for an IBAN in this private conversation").check()
    page.locator("#reply-send").click()
    expect(page.locator("#pane .banner-ok")).to_contain_text("On its way")
    reply = Reply.objects.get()
    assert reply.channel == Reply.Channel.PRIVATE
    created = AuditEvent.objects.get(verb="reply.create", object_id=str(reply.pk))
    assert created.after["confirmed_in_private"] == ["an IBAN"]

    wait_for(
        lambda: Reply.objects.filter(pk=reply.pk, state=Reply.State.SENT).exists(),
        what=f"the worker to send the direct message\n{worker.log()[-3000:]}",
    )
    sent = sandbox.sent()
    assert len(sent) == 1, sent
    assert IBAN in sent[0]["text"]
    expect(page.locator("#thread .message-out")).to_contain_text("as you asked", timeout=15_000)
    expect(page.locator("#thread .message-out")).to_contain_text("Direct message")


def test_a_leads_override_needs_a_reason_is_audited_and_waits_for_a_second_person(
    page, login, lead, agent, sandbox, conversation
):
    login(page, "laura")
    box = open_reply_tab(page, conversation)
    box.fill(f"Refunded to {IBAN}")
    page.locator("#reply-send").click()
    expect(page.locator("#guard-block")).to_be_visible()
    page.get_by_text("Override the guard").click()
    page.get_by_label("Why must it go out as it is?").fill("The customer asked us to confirm it in public.")
    page.locator("#reply-send").click()
    expect(page.locator("#pane .banner-ok")).to_contain_text("the personal-data guard was overridden")
    reply = Reply.objects.get()
    assert reply.state == Reply.State.AWAITING_APPROVAL
    assert reply.override_findings[0]["kind"] == "iban" and IBAN not in str(reply.override_findings)
    assert AuditEvent.objects.filter(verb="reply.guard_override", object_id=str(reply.pk)).exists()
    assert sandbox.sent() == []
    # The lead who wrote it reads it whole in the thread.
    expect(page.locator(f"#reply-{reply.pk} .message-text")).to_have_text(f"Refunded to {IBAN}")


def test_the_counter_and_saved_replies(page, login, agent, lead, conversation, worker):
    reply_services.saved_reply_create(
        actor=lead,
        title="Card declined",
        body="Hi {customer_name}, sorry your card was declined. Please DM us. {agent_first_name}",
        shortcut="declined",
        tags=["cards"],
    )
    reply_services.saved_reply_create(
        actor=lead, title="Outage", body="Our app is down; we are on it.", shortcut="outage"
    )
    login(page, "amira")
    box = open_reply_tab(page, conversation)
    counter = page.locator("#reply-count")

    # X counts a link as 23 characters, whatever its length.
    box.fill("See https://www.northbridgebank.example/help/cards/declined-payments")
    expect(counter).to_have_text("27 / 280")
    box.fill("x" * 281)
    expect(counter).to_have_text("281 / 280")
    expect(counter).to_have_class("reply-count is-over")
    expect(page.locator("#reply-send")).to_be_disabled()
    box.fill("")
    expect(page.locator("#reply-send")).to_be_enabled()

    # Search, pick: the variables are filled in and the text stays editable.
    page.get_by_label("Insert a saved reply").fill("declin")
    options = page.locator(".saved-item")
    expect(options.filter(has_text="Card declined")).to_be_visible()
    expect(options.filter(has_text="Outage")).to_be_hidden()
    options.filter(has_text="Card declined").click()
    name = conversation.customer.name.split(" ")[0]
    expected = f"Hi {name}, sorry your card was declined. Please DM us. Amira"
    expect(box).to_have_value(expected)
    expect(box).to_be_focused()
    expect(counter).to_have_text(f"{len(expected)} / 280")
    expect(page.locator("#reply-saved")).to_have_value(str(SavedReply.objects.get(shortcut="declined").pk))

    # ;shortcut then a space, typed in the reply.
    box.fill("")
    box.press_sequentially(";outage ")
    expect(box).to_have_value("Our app is down; we are on it.")
    box.press_sequentially(" Sorry!")
    expect(box).to_have_value("Our app is down; we are on it. Sorry!")
    expect(page.locator("#reply-saved")).to_have_value(str(SavedReply.objects.get(shortcut="outage").pk))

    # With the keyboard: type, arrow down, Enter.
    box.fill("")
    search = page.get_by_label("Insert a saved reply")
    search.fill("outage")
    search.press("ArrowDown")
    expect(options.filter(has_text="Outage")).to_be_focused()
    page.keyboard.press("Enter")
    expect(box).to_have_value("Our app is down; we are on it.")

    page.locator("#reply-send").click()
    expect(page.locator("#pane .banner-ok")).to_contain_text("On its way")
    assert SavedReply.objects.get(shortcut="outage").usage_count == 1
