"""The sandbox's crowd behaves like people, so the demo inbox tells a believable story: someone who
just wrote does not open another conversation minutes later, spam comes from bots and never lands in
a customer's conversation, and a customer thanks the bank only once it has answered them."""

from __future__ import annotations

import random
from collections import defaultdict

from devtools.sandbox import content
from devtools.sandbox.scenarios import Scenarios
from devtools.sandbox.state import Store
from devtools.sandbox.traffic import Traffic
from devtools.sandbox.world import BANK_X


def _crowd(count: int) -> tuple[Store, list[tuple[str, str, str]]]:
    """`count` posts of the steady stream, as (author, thread, text)."""
    store = Store()
    traffic = Traffic(store, Scenarios(store), rate=0, seed=1)
    made = [traffic.emit() for _ in range(count)]
    data = store.data
    posts = []
    for item in made:
        network, external_id = item["network"], item["id"]
        if network == "x":
            record = data["x"]["tweets"].get(external_id) or data["x"]["dm_events"][external_id]
            author = record.get("author_id") or record["sender_id"]
        elif network == "facebook":
            facebook = data["facebook"]
            record = (
                facebook["comments"].get(external_id)
                or facebook["posts"].get(external_id)
                or facebook["messages"][external_id]
            )
            author = record["from_id"]
        else:
            record = data["linkedin"]["comments"][external_id]
            author = record["actor"]
        text = record.get("text") or record.get("message", "")
        posts.append((f"{network}:{author}", f"{network}:{item['thread']}", text))
    return store, posts


def _bots() -> set[str]:
    return {
        key
        for bot in content.SPAMMERS
        for key in (f"x:{bot.x_id}", f"facebook:{bot.facebook_id}", f"linkedin:{bot.linkedin_urn}")
    }


def test_nobody_opens_several_conversations_within_minutes():
    _store, posts = _crowd(400)
    bots = _bots()
    # 48 posts: eight minutes of an outage at the `make run` rate.
    for start in range(len(posts) - 48):
        threads = defaultdict(set)
        for author, thread, _text in posts[start : start + 48]:
            if author not in bots:
                threads[author].add(thread)
        assert max(len(t) for t in threads.values()) == 1, posts[start : start + 48]


def test_spam_comes_from_bots_and_never_joins_a_customers_conversation():
    _store, posts = _crowd(400)
    bots = _bots()
    spam_texts = tuple(text.split("{bank}")[-1].strip()[:20] for text in content._TEMPLATES["spam"])
    spam = {author for author, _thread, text in posts if any(bit in text for bit in spam_texts)}
    assert spam
    # A conversation is one author's in one thread: a bot's spam is a conversation of its own.
    assert spam <= bots
    assert all(any(bit in text for bit in spam_texts) for author, _thread, text in posts if author in bots)


def test_a_follow_up_thanks_only_after_the_bank_answered():
    store, _posts = _crowd(300)
    tweets = store.data["x"]["tweets"]
    answered_texts = {text.format(bank="@northbridgebank") for text in content._FOLLOW_UPS_ANSWERED}
    waiting_texts = {text.format(bank="@northbridgebank") for text in content._FOLLOW_UPS_WAITING}
    # Nobody has been answered yet: they chase, nobody thanks.
    assert any(t["text"] in waiting_texts for t in tweets.values())
    assert not any(t["text"] in answered_texts for t in tweets.values())

    # One customer's tweet, then their follow-ups: chasing until the bank answers, then reacting.
    store = Store()
    traffic = Traffic(store, Scenarios(store), rate=0, seed=1)
    customer = content.CUSTOMERS[7]
    store.ensure_customer(customer)
    asked = store.add_tweet(text="@northbridgebank my card was declined", author_id=customer.x_id)

    def follow_ups(count: int) -> set[str]:
        texts = set()
        for number in range(count):
            rng = random.Random(number)
            made = traffic._emit_channel(
                rng, "x_follow_up", "card_declined", customer, hostile=False, outage=False
            )
            texts.add(tweets_of(store)[made["id"]]["text"])
        return texts

    assert follow_ups(12) <= waiting_texts
    store.add_tweet(
        text="Sorry about that, please DM us", author_id=BANK_X["user_id"], in_reply_to=asked["id"]
    )
    reactions = follow_ups(12)
    assert reactions <= answered_texts
    assert "@northbridgebank thanks, that worked" in reactions


def tweets_of(store: Store) -> dict:
    return store.data["x"]["tweets"]
