"""The right library entry ranks first for what customers really write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inbox.models import SavedReply
from inbox.services import conversation_tag_add
from learning.models import AdviceArticle, EntryStats
from learning.suggest import for_conversation, rank_entries
from tests.learning.conftest import customer_conversation

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "learning" / "relevance.json"
CASES = json.loads(FIXTURE.read_text())

pytestmark = pytest.mark.django_db


def test_thirty_labelled_messages_rank_their_entry_first(library):
    assert len(CASES) == 30
    misses = []
    for case in CASES:
        found = rank_entries(text=case["message"], network="x")
        top = (found[0].kind, found[0].title) if found else None
        if top != (case["first"]["kind"], case["first"]["title"]):
            misses.append(f"{case['message']!r}: expected {case['first']}, got {[s.title for s in found]}")
    assert not misses, "\n".join(misses)


def test_at_most_three_and_each_at_most_once(library):
    found = rank_entries(text="my card was declined abroad and I lost my PIN", network="x")
    assert len(found) == 3
    assert len({(s.kind, s.id) for s in found}) == 3


def test_the_customers_latest_messages_are_read_masked(library, agent):
    conversation = customer_conversation("I want to remortgage, my fixed rate ends soon")
    found = for_conversation(conversation)
    assert found[0].title == "Remortgaging: when your fixed rate ends"


def test_a_conversation_tag_lifts_entries_of_that_topic(library, agent):
    # "payment" fits a declined card payment and a transfer equally; the tag says which.
    text = "my payment did not go through"
    conversation = customer_conversation(text)
    before = [s.title for s in for_conversation(conversation)]
    conversation_tag_add(actor=agent, conversation=conversation, name="Cards")
    after = [s.title for s in for_conversation(conversation)]
    assert before != after
    cards_titles = set(
        AdviceArticle.objects.filter(topics__contains=["cards"]).values_list("title", flat=True)
    )
    assert after[0] in cards_titles | set(
        SavedReply.objects.filter(tags__contains=["cards"]).values_list("title", flat=True)
    )
    assert before[0] not in cards_titles


def test_what_helped_before_lifts_an_entry(library):
    text = "my card got declined at the supermarket"
    first, second, *_ = rank_entries(text=text, network="x")
    assert (first.title, second.title) == ("Why was my card declined?", "Card declined: move to DM")
    saved = SavedReply.objects.get(title="Card declined: move to DM")
    EntryStats.objects.create(saved_reply=saved, thanks=30, resolved=10)
    article = AdviceArticle.objects.get(title="Why was my card declined?")
    EntryStats.objects.create(article=article, wrote_again=35, escalated=5)
    first, second, *_ = rank_entries(text=text, network="x")
    assert (first.title, second.title) == ("Card declined: move to DM", "Why was my card declined?")


def test_saved_replies_for_another_network_are_not_suggested(library):
    text = "please delete my post, it shows my card details"
    on_x = [s.title for s in rank_entries(text=text, network="x")]
    on_facebook = [s.title for s in rank_entries(text=text, network="facebook")]
    assert "Please delete your post (personal data)" in on_x
    assert "Please delete your post (personal data)" not in on_facebook


@pytest.mark.parametrize(
    "text",
    ["", "!!! ??? ...", "a:b & c | !d ' \\ ( ) <-> *", "カードが使えません 😡", "the and of to", "x" * 5000],
)
def test_any_text_is_ranked_without_an_error(library, text):
    assert isinstance(rank_entries(text=text, network="x"), list)
