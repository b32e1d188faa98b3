"""Done when: an agent answers ten conversations on three networks in a few minutes with saved replies."""

import time

import pytest
from playwright.sync_api import expect

from devtools.demo.inbox import seed_saved_replies
from devtools.sandbox import world
from inbox.models import Conversation, Reply, SavedReply
from listening.services import account_poll, social_account_create
from tests.inbox.replying import send_replies_through, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

POSTS = [
    ("x", "declined", "@northbridgebank my card was declined at the petrol station"),
    ("x", "outage", "@northbridgebank is the app down? can't log in"),
    ("x", "fees", "@northbridgebank why was I charged a fee for a transfer?"),
    ("x", "thanks", "@northbridgebank great help in the Leeds branch today, thanks!"),
    ("facebook", "mortgage", "Can someone help me with a mortgage question?"),
    ("facebook", "declined", "My card got declined twice this morning"),
    ("facebook", "outage", "Your app is down again"),
    ("linkedin", "thanks", "Lovely to see Northbridge supporting local businesses"),
    ("linkedin", "fees", "What are the fees on the business account?"),
    ("linkedin", "mortgage", "Do you do buy-to-let mortgages for small landlords?"),
]


def connect(network: str):
    page, org = world.BANK_FACEBOOK_PAGE, world.BANK_LINKEDIN_ORG
    ids = {
        "x": (world.BANK_X["user_id"], world.BANK_X["handle"], world.BANK_X["name"]),
        "facebook": (page["page_id"], page["username"], page["name"]),
        "linkedin": (org["urn"], org["vanity_name"], org["name"]),
    }[network]
    return social_account_create(
        actor=None,
        network=network,
        external_id=ids[0],
        handle=ids[1],
        name=ids[2],
        credentials=world.DEMO_CREDENTIALS[network],
    )


def test_an_agent_answers_ten_conversations_on_three_networks_with_saved_replies(
    page, login, agent, sandbox, celery_worker, monkeypatch
):
    send_replies_through(celery_worker, monkeypatch)
    seed_saved_replies()
    accounts = {network: connect(network) for network in ("x", "facebook", "linkedin")}
    for number, (network, _, text) in enumerate(POSTS):
        if network == "x":
            sandbox.post(network=network, text=text, customer=number)
        else:  # one of the bank's posts each, so that every comment is a conversation of its own
            ours = sandbox.post(network=network, kind="page_post" if network == "facebook" else "org_post")
            sandbox.post(network=network, text=text, customer=number, in_reply_to=ours["id"])
    for account in accounts.values():
        assert account_poll(account_id=account.pk).status == "ok"
    shortcut_for = {text: shortcut for _, shortcut, text in POSTS}
    conversations = list(Conversation.objects.select_related("customer").order_by("last_activity_at"))
    assert len(conversations) == 10

    login(page, "amira")
    started = time.monotonic()
    for conversation in conversations:
        page.locator(f"#row-{conversation.pk} .row-link").click()
        expect(page.locator("#pane [data-conversation-id]")).to_have_attribute(
            "data-conversation-id", str(conversation.pk)
        )
        text = next(t for t in shortcut_for if t in page.locator("#thread").inner_text())
        page.keyboard.press("r")
        box = page.get_by_label("Reply to the customer")
        box.press_sequentially(f";{shortcut_for[text]} ")
        expect(box).not_to_have_value(f";{shortcut_for[text]} ")
        box.press("End")
        box.press_sequentially(" ^AK")  # the agent adapts the script a little
        page.locator("#reply-send").click()
        expect(page.locator("#pane .banner-ok")).to_contain_text("On its way")
    elapsed = time.monotonic() - started
    assert elapsed < 180, f"ten answers took {elapsed:.0f} s"

    wait_for(
        lambda: Reply.objects.filter(state=Reply.State.SENT).count() == 10,
        seconds=60,
        what=f"ten replies sent\n{celery_worker.log()[-3000:]}",
    )
    sent = sandbox.sent()
    assert sorted(item["network"] for item in sent) == ["facebook"] * 3 + ["linkedin"] * 3 + ["x"] * 4
    assert all(item["text"].endswith("^AK") for item in sent)
    assert sum(SavedReply.objects.values_list("usage_count", flat=True)) == 10
    assert Conversation.objects.filter(first_response_at__isnull=False).count() == 10
