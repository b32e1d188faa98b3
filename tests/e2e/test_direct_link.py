"""A direct link in Chromium: the conversation shows at once, the list's rows come right after, and
the keyboard and the list's poll work on them."""

import re

import pytest
from playwright.sync_api import expect

from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_direct_link_shows_the_conversation_then_the_list(page, login, live_server, agent):
    first = customer_message(text="first in the list", thread="d1", handle="ann", minutes_ago=1)
    opened = customer_message(text="the one I was sent", thread="d2", handle="bob", minutes_ago=2)
    third = customer_message(text="third in the list", thread="d3", handle="cat", minutes_ago=3)
    login(page, "amira")

    # Hold the list's request, to see the page before its rows arrive.
    held = []
    list_url = re.compile(r".*/inbox/\?view=open.*")

    def hold(route):
        held.append(route)

    page.route(list_url, hold)
    page.goto(f"{live_server.url}/inbox/c/{opened.pk}/?view=open")

    expect(page.locator("#pane [data-conversation-id]")).to_have_attribute(
        "data-conversation-id", str(opened.pk)
    )
    expect(page.locator("#pane")).to_contain_text("the one I was sent")
    loading = page.locator("#list-region #list-loading")
    expect(loading).to_contain_text("Loading the conversations…")
    expect(loading).to_have_attribute("aria-busy", "true")
    expect(page.locator("#rows")).to_have_count(0)
    open_count = page.locator("#view-list .view-open .view-count")
    expect(open_count).to_have_text("")  # the rail's counts come with the rows
    for _ in range(50):  # the route's handler records the request as the browser's events arrive
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1 and held[0].request.headers.get("hx-target") == "list-region"
    assert held[0].request.headers.get("x-inbox-counts") == "1"

    with page.expect_request(re.compile(r".*/inbox/poll/\?.*view=open.*"), timeout=12_000):
        held[0].continue_()
        page.unroute(list_url, hold)
        # The rows arrive in the list region; the open conversation's row is marked as such.
        expect(page.locator("#rows .row")).to_have_count(3)
        expect(loading).to_have_count(0)
        expect(open_count).to_have_text("3")
        expect(open_count).to_have_attribute("aria-label", "3 conversations")
        expect(page.locator("#view-list .view-open")).to_have_attribute("aria-current", "page")
        expect(page.locator(f"#row-{opened.pk}")).to_have_class(re.compile(r"\bis-active\b"))
        expect(page.locator(f"#row-link-{opened.pk}")).to_have_attribute("aria-current", "true")
        assert page.url == f"{live_server.url}/inbox/c/{opened.pk}/?view=open"

        # j and k move from the open conversation through the rows that came.
        page.keyboard.press("j")
        expect(page.locator(f"#row-link-{third.pk}")).to_be_focused()
        page.keyboard.press("k")
        page.keyboard.press("k")
        expect(page.locator(f"#row-link-{first.pk}")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#pane [data-conversation-id]")).to_have_attribute(
            "data-conversation-id", str(first.pk)
        )
        # ...and the list's poll runs (every 5 s) once the list is there.


def test_a_list_that_fails_to_load_says_so_and_links_to_it(page, login, live_server, agent):
    opened = customer_message(text="the one I was sent", thread="f1", minutes_ago=1)
    login(page, "amira")
    page.route(re.compile(r".*/inbox/\?sort=waiting.*"), lambda route: route.fulfill(status=503, body="down"))
    page.goto(f"{live_server.url}/inbox/c/{opened.pk}/?sort=waiting")

    expect(page.locator("#pane")).to_contain_text("the one I was sent")
    loading = page.locator("#list-loading")
    expect(loading).to_contain_text("The conversations did not load.")
    expect(loading).to_have_attribute("aria-busy", "false")
    expect(loading.get_by_text("Loading the conversations…")).to_be_hidden()
    expect(loading.get_by_role("link", name="Show the conversations")).to_have_attribute(
        "href", "/inbox/?sort=waiting"
    )


def test_the_open_conversation_is_scrolled_into_the_list_when_it_arrives(page, login, live_server, agent):
    for number in range(24):
        customer_message(
            text=f"waiting {number}", thread=f"s{number}", handle=f"c{number}", minutes_ago=number + 1
        )
    opened = customer_message(text="far down the list", thread="far", handle="far", minutes_ago=300)
    login(page, "amira")
    page.goto(f"{live_server.url}/inbox/c/{opened.pk}/?view=open")

    row = page.locator(f"#row-{opened.pk}")
    expect(row).to_have_class(re.compile(r"\bis-active\b"))
    expect(row).to_be_in_viewport()
    expect(page.locator("#rows .row").first).not_to_be_in_viewport()
    assert page.evaluate("window.scrollY") == 0  # the list scrolled, not the page

    # On a phone the list is behind the conversation: the page stays where it is.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/inbox/c/{opened.pk}/?view=open")
    expect(page.locator("#pane")).to_contain_text("far down the list")
    expect(page.locator(f"#row-{opened.pk}")).to_have_count(1)
    page.wait_for_timeout(300)
    assert page.evaluate("window.scrollY") == 0
