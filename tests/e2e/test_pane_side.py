"""In Chromium: the conversation pane shows its thread at once, and the lower part of the customer
card (complaints, experts, the customer's other conversations) comes in right after; if it cannot
come, the card says so and links to it."""

import re

import pytest
from playwright.sync_api import expect

from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SIDE = re.compile(r".*/inbox/c/\d+/side/$")


def test_the_pane_shows_the_thread_then_the_rest_of_the_card(page, login, live_server, agent):
    opened = customer_message(text="my card was declined twice", thread="p1", handle="bob", minutes_ago=1)
    customer_message(text="the app logs me out", thread="p2", author=opened.customer, minutes_ago=90)
    login(page, "amira")
    page.goto(f"{live_server.url}/inbox/?view=open")

    held = []

    def hold(route):
        held.append(route)

    page.route(SIDE, hold)
    page.locator(f"#row-link-{opened.pk}").click()

    card = page.locator("#pane .customer-card")
    expect(page.locator("#pane")).to_contain_text("my card was declined twice")
    expect(page.locator("#pane-side")).to_have_attribute("aria-busy", "true")
    expect(card).to_contain_text("Loading complaints, experts and other conversations…")
    expect(card).not_to_contain_text("Other conversations")
    for _ in range(50):  # the route's handler records the request as the browser's events arrive
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1 and held[0].request.url.endswith(f"/inbox/c/{opened.pk}/side/")
    assert held[0].request.headers.get("hx-request") == "true"

    held[0].continue_()
    expect(card.get_by_role("heading", name="Other conversations")).to_be_visible()
    expect(card).to_contain_text("the app logs me out")
    expect(card.locator("#escalation-panel")).to_be_visible()
    expect(card).not_to_contain_text("Loading complaints")
    expect(page.locator("#pane-side")).to_have_count(1)

    # The customer's other conversation opens in the pane, and its card comes with it.
    page.unroute(SIDE, hold)
    card.locator(".other-list a").first.click()
    expect(page.locator("#pane")).to_contain_text("the app logs me out")
    expect(card.get_by_role("heading", name="Other conversations")).to_be_visible()
    expect(card).to_contain_text("my card was declined twice")


def test_a_card_that_fails_to_load_says_so_and_links_to_it(page, login, live_server, agent):
    from complaints.models import Complaint
    from complaints.seed import seed_now
    from listening.models import Mention

    seed_now()  # the migration's regimes and holidays (this test's database was flushed)
    opened = customer_message(text="the one I was sent", thread="f1", minutes_ago=1)
    Mention.objects.filter(thread_key="f1").update(intent="complaint")
    login(page, "amira")
    page.route(SIDE, lambda route: route.fulfill(status=503, body="down"))
    page.goto(f"{live_server.url}/inbox/c/{opened.pk}/")

    expect(page.locator("#pane")).to_contain_text("the one I was sent")
    side = page.locator("#pane-side")
    expect(side).to_contain_text("These panels did not load.")
    expect(side).to_have_attribute("aria-busy", "false")
    expect(side.get_by_text("Loading complaints, experts and other conversations…")).to_be_hidden()
    expect(side.get_by_role("link", name="Show them")).to_have_attribute(
        "href", f"/inbox/c/{opened.pk}/side/"
    )
    page.unroute(SIDE)

    # The link's page holds the same panels; its forms are plain forms there, and an action
    # goes back to the conversation.
    side.get_by_role("link", name="Show them").click()
    expect(page).to_have_url(f"{live_server.url}/inbox/c/{opened.pk}/side/")
    expect(page.get_by_role("heading", name="Other conversations")).to_be_visible()
    page.get_by_role("button", name="Confirm complaint").click()
    expect(page).to_have_url(f"{live_server.url}/inbox/c/{opened.pk}/")
    expect(page.locator("#pane")).to_contain_text("the one I was sent")
    expect(page.locator(".flash")).to_contain_text("Recorded as a complaint: the clocks are running.")
    complaint = Complaint.objects.get(conversation=opened)
    expect(page.locator("#pane-side")).to_contain_text(complaint.reference)


def test_a_late_card_never_lands_in_another_customers_pane(page, login, live_server, agent):
    first = customer_message(text="first customer's message", thread="a1", handle="ann", minutes_ago=1)
    customer_message(text="ann's other conversation", thread="a2", author=first.customer, minutes_ago=80)
    second = customer_message(text="second customer's message", thread="b1", handle="bob", minutes_ago=2)
    login(page, "amira")
    page.goto(f"{live_server.url}/inbox/?view=open")

    held = []

    def hold(route):
        if route.request.url.endswith(f"/inbox/c/{first.pk}/side/"):
            held.append(route)
        else:
            route.continue_()

    page.route(SIDE, hold)
    page.locator(f"#row-link-{first.pk}").click()
    expect(page.locator("#pane")).to_contain_text("first customer's message")
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1

    # The agent moves on before the first customer's card has come; then it comes.
    page.locator(f"#row-link-{second.pk}").click()
    card = page.locator("#pane .customer-card")
    expect(page.locator("#pane")).to_contain_text("second customer's message")
    expect(card.get_by_role("heading", name="Other conversations")).to_be_visible()
    held[0].continue_()
    page.wait_for_timeout(500)
    expect(page.locator("#pane-side")).to_have_count(1)
    expect(card).not_to_contain_text("ann's other conversation")
    expect(card).to_contain_text("None on X.")
