"""In Chromium: what cannot be undone asks first. Deleting a tag (taken off every conversation), a
routing rule, or revoking an API token takes two clicks: "Delete" (or "Revoke") shows what will
go, and only that second button sends the form."""

import pytest

from bankbuzz.api.models import ApiToken
from bankbuzz.api.tokens import api_token_create
from escalations.models import RoutingRule
from inbox.models import Tag
from inbox.services import conversation_tag_add
from tests.escalations.conftest import make_department
from tests.inbox.world import customer_message

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_deleting_a_tag_a_rule_or_a_token_asks_first(page, login, lead, live_server):
    for number in range(2):
        conversation = customer_message(text="Why this fee?", thread=f"fee-{number}", handle=f"tom{number}")
        conversation_tag_add(actor=lead, conversation=conversation, name="fees")
    RoutingRule.objects.create(name="Card trouble", phrases="declined", department=make_department("Cards"))
    api_token_create(actor=lead, name="CRM sync", scope="read", days=30)
    login(page, "laura")

    page.goto(f"{live_server.url}/inbox/tags/")
    page.locator("summary", has_text="Delete").click()
    assert Tag.objects.filter(name="fees").exists(), "the first click only asks"
    with page.expect_navigation():
        page.get_by_role("button", name="Delete “fees” from 2 conversations").click()
    assert not Tag.objects.filter(name="fees").exists()

    page.goto(f"{live_server.url}/escalations/rules/")
    page.locator("summary", has_text="Delete").click()
    assert RoutingRule.objects.exists()
    with page.expect_navigation():
        page.get_by_role("button", name="Delete “Card trouble”").click()
    assert not RoutingRule.objects.exists()

    page.goto(f"{live_server.url}/accounts/me/")
    page.locator("summary", has_text="Revoke").click()
    assert ApiToken.objects.get().revoked_at is None
    with page.expect_navigation():
        page.get_by_role("button", name="Revoke “CRM sync”: systems using it stop at once").click()
    assert ApiToken.objects.get().revoked_at is not None
