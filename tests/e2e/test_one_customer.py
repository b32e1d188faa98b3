"""In Chromium: one customer per conversation, the thread's others as context; bulk tags; phrase search."""

import pytest
from playwright.sync_api import expect

from inbox.models import Conversation
from tests.e2e.conftest import screenshot
from tests.factories import MentionFactory
from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_conversation(page, conversation):
    page.locator(f"#row-{conversation.pk} .row-link").click()
    expect(page.locator("#pane [data-conversation-id]")).to_have_attribute(
        "data-conversation-id", str(conversation.pk)
    )


def test_the_others_in_a_public_thread_are_context_collapsed_and_apart(page, login, agent):
    conversation = customer_message(
        text="My card was declined", thread="T9|c1", handle="rosa", name="Rosa García", minutes_ago=9
    )
    first = conversation.customer.mentions.get()
    first.network_thread = "T9"
    first.save(update_fields=["network_thread"])
    for n, text in enumerate(["Mine too, since this morning", "Card declined at Tesco as well"], start=2):
        MentionFactory(
            network="x", thread_key=f"T9|c{n}", network_thread="T9", text=text, author__handle=f"other{n}"
        )
    login(page, "amira")
    open_conversation(page, conversation)
    context = page.locator(".thread-context")
    expect(context.locator("summary")).to_contain_text("2 other people have written in this thread")
    expect(page.get_by_text("Card declined at Tesco as well")).to_be_hidden()  # collapsed
    context.locator("summary").click()
    expect(page.get_by_text("Card declined at Tesco as well")).to_be_visible()
    expect(page.locator("#thread")).not_to_contain_text("Mine too")
    expect(page.locator(".reply-routes")).to_contain_text("Replying to @rosa's post of")
    screenshot(page, "thread-context")


def test_bulk_tag_applies_the_typed_tag(page, login, agent):
    rows = [customer_message(text=f"question {n}", thread=f"b{n}", minutes_ago=n) for n in range(3)]
    login(page, "amira")
    for conversation in rows[:2]:
        page.locator(f"#row-{conversation.pk} input[type=checkbox]").check()
    page.locator("#bulk-action").select_option("tag")
    page.locator("#bulk-tag").fill("App outage")
    page.locator("#bulk-form").get_by_role("button", name="Apply").click()
    expect(page.locator("#list-region")).to_contain_text("Done for 2 conversations")
    tagged = {c.pk: list(c.tags.values_list("name", flat=True)) for c in Conversation.objects.all()}
    assert tagged == {rows[0].pk: ["App outage"], rows[1].pk: ["App outage"], rows[2].pk: []}
    assert not Conversation.objects.filter(tags__name="open").exists()


def test_a_quoted_phrase_finds_only_that_phrase(page, login, agent):
    down = customer_message(text="The app is down again", thread="s1", handle="amy")
    store = customer_message(text="Your app store page is out of date", thread="s2", handle="bob")
    login(page, "amira")
    page.locator("#id_q").fill('"app is down"')
    page.locator("#id_q").press("Enter")
    expect(page.locator(f"#row-{down.pk}")).to_be_visible()
    expect(page.locator(f"#row-{store.pk}")).to_have_count(0)
