"""The complaint panel's "raise by hand" form in the pane: which messages and categories it offers,
and how (the newest 20 of the customer's own, time and masked text cut to 60 characters, escaped)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils.html import escape

from complaints.models import Category
from tests.complaints.conftest import at
from tests.factories import AuthorFactory, MentionFactory
from tests.panes import conversation_html

HX = {"HTTP_HX_REQUEST": "true"}
EMAIL = "jane.doe@example.com"


def _select(html: str, name: str) -> str:
    match = re.search(rf'<select id="raise-{name}-\d+" name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert match, f"no {name} select"
    return match.group(1)


def _pane(client, user, conversation) -> str:
    client.force_login(user)
    return conversation_html(client, conversation.pk)


def _say(conversation, text: str, when: dt.datetime, **fields):
    return MentionFactory(
        author=fields.pop("author", conversation.customer),
        account=conversation.account,
        thread_key=conversation.thread_key,
        intent="question",
        text=text,
        created_at=when,
        **fields,
    )


def test_the_newest_twenty_of_the_customers_own_messages_masked_cut_and_escaped(client, agent, unhappy):
    start = at(2026, 9, 1, 8, 0)
    for n in range(20):
        _say(unhappy, f"Message number {n}", start + dt.timedelta(minutes=n))
    long = "<b>Bold</b> & " + "very long words " * 6  # 110 characters
    _say(unhappy, long, at(2026, 9, 2, 7, 5))
    text = f"Write to {EMAIL} about it"
    _say(
        unhappy,
        text,
        at(2026, 9, 2, 7, 6),
        has_pii=True,
        pii_findings=[
            {"kind": "email", "start": 9, "end": 9 + len(EMAIL), "valid": True, "preview": "j…@example.com"}
        ],
    )
    _say(unhappy, "Someone else in the thread", at(2026, 9, 2, 7, 7), author=AuthorFactory())

    options = _select(_pane(client, agent, unhappy), "mention")

    shown = re.findall(r'<option value="(\d+)">([^<]*(?:<(?!/option>)[^<]*)*)</option>', options)
    assert len(shown) == 20
    assert "Someone else" not in options
    assert "Message number 0<" not in options and "Message number 1<" not in options  # the oldest left out
    assert (
        "Message number 19" in options and "Message number 2<" in options and "How do I order" not in options
    )
    assert "<b>" not in options
    cut = escape(long[:59]) + "…"  # 60 characters with the ellipsis, then escaped
    assert f">2 Sep 07:05: {cut}</option>" in options  # the bank's zone (London)
    assert EMAIL not in options and "2 Sep 07:06: Write to " in options
    assert shown[0][1].startswith("2 Sep 07:06: ")  # newest first


def test_the_categories_offered_are_the_active_ones_in_order_and_escaped(client, agent, unhappy):
    Category.objects.create(kind="product", name="Loans & <mortgages>", position=0)
    Category.objects.create(kind="product", name="Retired product", is_active=False)
    _say(unhappy, "One more", at(2026, 9, 1, 8, 0))

    html = _pane(client, agent, unhappy)

    products = _select(html, "product")
    expected = Category.objects.filter(kind="product", is_active=True).order_by("position", "name")
    names = re.findall(r'<option value="\d+">([^<]*)</option>', products)
    assert names == [
        str(c.name).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for c in expected
    ]
    assert products.startswith('<option value="">Later</option>')
    assert "Loans &amp; &lt;mortgages&gt;" in products and "Retired product" not in products
    causes = _select(html, "cause")
    assert re.findall(r'<option value="\d+">([^<]*)</option>', causes) == list(
        Category.objects.filter(kind="cause", is_active=True)
        .order_by("position", "name")
        .values_list("name", flat=True)
    )
