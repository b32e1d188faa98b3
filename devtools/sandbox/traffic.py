"""The crowd: customers saying things to and about the bank, at a steady rate.

Item number N is drawn from `random.Random(f"{seed}:{N}")`, and N is kept in
the persisted state, so the same seed produces the same sequence of posts, and
a restarted sandbox carries on the sequence instead of repeating it. Only the
timing depends on the wall clock.

The crowd behaves like people: someone who just wrote waits a while before writing
again (the last `RECENT_AUTHORS` people are not picked for a new post), and when they do
it is often about the same matter (their story); a follow-up chases while the bank has
not answered them and thanks or reacts once it has; spam comes from a few bot accounts,
never from a customer in the middle of a conversation.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from devtools.sandbox import content, instagram_state
from devtools.sandbox.content import CUSTOMERS, SPAMMERS, Customer
from devtools.sandbox.scenarios import Scenarios
from devtools.sandbox.state import Store
from devtools.sandbox.world import BANK_FACEBOOK_PAGE, BANK_X

# Channel -> (network, weight). Mentions dominate, as they do for a real bank.
CHANNELS: dict[str, tuple[str, int]] = {
    "x_mention": ("x", 38),
    "x_follow_up": ("x", 12),
    "x_brand_talk": ("x", 6),
    "x_dm": ("x", 8),
    "fb_comment": ("facebook", 14),
    "fb_comment_reply": ("facebook", 4),
    "fb_visitor_post": ("facebook", 4),
    "fb_tagged": ("facebook", 2),
    "fb_message": ("facebook", 6),
    "li_comment": ("linkedin", 6),
}

# Talk about other banks on X, per customer post: what the demo's competitor queries
# find. A stream of its own (own counter, own random sequence), so adding it left
# the customers' sequence for a seed as it was.
COMPETITOR_SHARE = 0.25

# Instagram, per customer post: comments on the bank's posts, replies, tags and direct
# messages. A stream of its own like the competitor chatter, for the same reason.
INSTAGRAM_SHARE = 0.3
INSTAGRAM_CHANNELS: dict[str, int] = {"comment": 10, "comment_reply": 3, "tagged": 2, "message": 5}

_HOSTILE_X_ID_BASE = 1_666_000_000_000_000_000

# People who wrote in the last this many posts are not picked for a new one (two hours at the
# `make run` rate, a quarter of an hour in an outage); of the crowd's 400 people, 280 remain.
RECENT_AUTHORS = 120
# How often someone who writes again writes about the same matter as last time.
SAME_STORY = 0.7


class Traffic:
    def __init__(self, store: Store, scenarios: Scenarios, *, rate: float, seed: int):
        self.store = store
        self.scenarios = scenarios
        self.rate = max(0.0, rate)
        self.seed = seed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- background stream -------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sandbox-traffic", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        # Fractional budgets instead of sleeping 1/rate: the rate can change
        # (outage on, outage off) without restarting the loop.
        last = time.monotonic()
        budget = 0.0
        competitor_budget = 0.0
        instagram_budget = 0.0
        extra: dict[str | None, float] = {}
        while not self._stop.wait(0.05):
            now = time.monotonic()
            elapsed, last = now - last, now
            if self.rate <= 0:
                continue
            budget += self.rate * elapsed
            while budget >= 1 and not self._stop.is_set():
                budget -= 1
                self.emit()
            competitor_budget += COMPETITOR_SHARE * self.rate * elapsed
            while competitor_budget >= 1 and not self._stop.is_set():
                competitor_budget -= 1
                self.emit_competitor()
            instagram_budget += INSTAGRAM_SHARE * self.rate * elapsed
            while instagram_budget >= 1 and not self._stop.is_set():
                instagram_budget -= 1
                self.emit_instagram()
            outages = [s for s in self.scenarios.list() if s["name"] == "outage"]
            for scope in {s.get("network") for s in outages}:
                extra[scope] = extra.get(scope, 0.0) + 9 * self.rate * elapsed
                while extra[scope] >= 1 and not self._stop.is_set():
                    extra[scope] -= 1
                    self.emit(network=scope, outage=True)

    # -- one item ------------------------------------------------------------

    def emit(
        self,
        *,
        network: str | None = None,
        topic: str | None = None,
        outage: bool | None = None,
        hostile: bool | None = None,
    ) -> dict[str, Any]:
        """Create the next item of the sequence; returns {"network", "kind", "id", "thread"}."""
        with self.store.mutate() as data:
            index = data["generated"]
            data["generated"] = index + 1
            rng = random.Random(f"{self.seed}:{index}")
            channels = [c for c, (net, _) in CHANNELS.items() if network in (None, net)]
            channel = rng.choices(channels, weights=[CHANNELS[c][1] for c in channels])[0]
            net = CHANNELS[channel][0]
            if outage is None:
                outage = self.scenarios.active("outage", net) is not None
            if hostile is None:
                hostile = self.scenarios.active("hostile", net) is not None
            chosen_topic = topic or content.pick_topic(rng, outage=outage)
            if hostile:
                customer = self._hostile_author(rng)
            else:
                customer, chosen_topic = self._author_for(
                    rng, chosen_topic, keep_topic=topic is None and not outage
                )
            self.store.ensure_customer(customer)
            return self._emit_channel(rng, channel, chosen_topic, customer, hostile=hostile, outage=outage)

    def _author_for(self, rng: random.Random, topic: str, *, keep_topic: bool) -> tuple[Customer, str]:
        """Who writes this post, and about what: a bot for spam; else someone who has not written
        lately, about their own matter again when they have one (unless `keep_topic` is false)."""
        if topic == "spam":
            return rng.choice(SPAMMERS), topic
        data = self.store.data
        recent: list[int] = data.setdefault("recent_authors", [])
        stories: dict[str, str] = data.setdefault("stories", {})
        taken = set(recent)
        customer = rng.choice(CUSTOMERS)
        for _ in range(8):
            if customer.index not in taken:
                break
            customer = rng.choice(CUSTOMERS)
        recent.append(customer.index)
        del recent[:-RECENT_AUTHORS]
        story = stories.get(str(customer.index))
        if keep_topic and story and rng.random() < SAME_STORY:
            topic = story
        stories[str(customer.index)] = topic
        return customer, topic

    def emit_competitor(self) -> dict[str, Any]:
        """The next post of the competitor stream: a tweet about another bank."""
        with self.store.mutate() as data:
            index = data.get("competitor_generated", 0)
            data["competitor_generated"] = index + 1
            rng = random.Random(f"{self.seed}:competitor:{index}")
            customer = rng.choice(CUSTOMERS)
            self.store.ensure_customer(customer)
            text = content.compose_competitor(rng, content.pick_competitor(rng))
            tweet = self.store.add_tweet(text=text, author_id=customer.x_id)
            return _made("x", "tweet", tweet["id"], tweet["conversation_id"])

    def emit_instagram(self) -> dict[str, Any]:
        """The next post of the Instagram stream: a comment, a reply, a tag or a direct message."""
        with self.store.mutate() as data:
            index = data.get("instagram_generated", 0)
            data["instagram_generated"] = index + 1
            rng = random.Random(f"{self.seed}:instagram:{index}")
            channels = list(INSTAGRAM_CHANNELS)
            channel = rng.choices(channels, weights=[INSTAGRAM_CHANNELS[c] for c in channels])[0]
            outage = self.scenarios.active("outage", "instagram") is not None
            customer, topic = self._author_for(
                rng, content.pick_topic(rng, outage=outage), keep_topic=not outage
            )
            self.store.ensure_customer(customer)
            return self._emit_instagram(rng, channel, topic, customer)

    def _emit_instagram(
        self, rng: random.Random, channel: str, topic: str, customer: Customer
    ) -> dict[str, Any]:
        ig = self.store.data["instagram"]
        author = customer.instagram_id
        if channel == "message":
            text = content.compose_direct(rng, topic=topic)
            message = instagram_state.add_message(
                self.store, text=text, from_id=author, to_id=instagram_state.BANK_ID
            )
            return _made("instagram", "message", message["id"], message["conversation_id"])
        text = content.compose(rng, topic=topic, network="instagram")
        if channel == "tagged":
            media = instagram_state.add_media(self.store, caption=text, owner_id=author, tagged=True)
            return _made("instagram", "tagged", media["id"], media["id"])
        target = ""
        if channel == "comment_reply":
            recent = sorted(ig["comments"].values(), key=lambda c: c["created_ms"])[-20:]
            target = rng.choice(recent)["id"] if recent else ""
        if not target:
            own = [m for m in ig["media"].values() if m["owner_id"] == instagram_state.BANK_ID]
            target = rng.choice(sorted(own, key=lambda m: m["created_ms"])[-5:])["id"]
        comment = instagram_state.add_comment(self.store, text=text, from_id=author, target_id=target)
        assert comment is not None
        return _made("instagram", "comment", comment["id"], comment["media_id"])

    def _hostile_author(self, rng: random.Random) -> Customer:
        """An author whose name and URLs are built to break a careless page."""
        number = rng.randrange(len(content.HOSTILE_NAMES))
        url = content.HOSTILE_URLS[number % len(content.HOSTILE_URLS)]
        author = Customer(
            index=10_000 + number,
            name=content.HOSTILE_NAMES[number],
            handle=f"h0stile_{number}",
            x_id=str(_HOSTILE_X_ID_BASE + number),
            facebook_id=str(_HOSTILE_X_ID_BASE + number),
            linkedin_id=f"h0stile{number}",
            followers=rng.randint(0, 50),
            verified=False,
        )
        self.store.ensure_customer(author)
        data = self.store.data
        data["x"]["users"][author.x_id].update({"profile_image_url": url, "url": url})
        data["facebook"]["users"][author.facebook_id]["picture"] = url
        data["linkedin"]["people"][author.linkedin_id].update(
            {"first": author.name, "last": "", "picture": url}
        )
        return author

    def _emit_channel(
        self, rng: random.Random, channel: str, topic: str, customer: Customer, *, hostile: bool, outage: bool
    ) -> dict[str, Any]:
        network = CHANNELS[channel][0]
        if network == "x":
            return self._emit_x(rng, channel, topic, customer, hostile=hostile, outage=outage)
        if network == "facebook":
            return self._emit_facebook(rng, channel, topic, customer, hostile=hostile)
        return self._emit_linkedin(rng, topic, customer, hostile=hostile)

    def _emit_x(
        self, rng: random.Random, channel: str, topic: str, customer: Customer, *, hostile: bool, outage: bool
    ) -> dict[str, Any]:
        store = self.store
        if channel == "x_follow_up":
            made = self._x_follow_up(rng, topic, hostile=hostile, outage=outage)
            if made is not None:
                return made
            channel = "x_mention"
        if channel == "x_mention":
            text = content.compose(rng, topic=topic, network="x", hostile=hostile)
            bank_tweets = [
                t for t in store.data["x"]["tweets"].values() if t["author_id"] == BANK_X["user_id"]
            ]
            # A third of mentions answer one of the bank's own tweets.
            in_reply_to = rng.choice(bank_tweets)["id"] if bank_tweets and rng.random() < 0.33 else ""
            tweet = store.add_tweet(text=text, author_id=customer.x_id, in_reply_to=in_reply_to)
            kind = "reply" if in_reply_to else "mention"
            return _made("x", kind, tweet["id"], tweet["conversation_id"])
        if channel == "x_brand_talk":
            text = content.compose_brand_talk(rng, topic=topic)
            tweet = store.add_tweet(text=text, author_id=customer.x_id)
            return _made("x", "tweet", tweet["id"], tweet["conversation_id"])
        text = content.compose_direct(rng, hostile=hostile, topic=topic)
        event = store.add_dm(text=text, sender_id=customer.x_id, recipient_id=BANK_X["user_id"])
        return _made("x", "dm", event["id"], event["dm_conversation_id"])

    def _x_follow_up(
        self, rng: random.Random, topic: str, *, hostile: bool, outage: bool
    ) -> dict[str, Any] | None:
        """A customer writes again in their own recent thread; None when nobody wrote lately."""
        parent = self._recent_customer_tweet(rng)
        if parent is None:
            return None
        author = parent["author_id"]
        conversation = [
            t
            for t in self.store.data["x"]["tweets"].values()
            if t["conversation_id"] == parent["conversation_id"]
        ]
        latest = max(conversation, key=lambda t: int(t["id"]))
        # The customer's own tweets in the thread, and whether the bank answered one of them.
        own = {t["id"] for t in conversation if t["author_id"] == author}
        answered = any(
            t["author_id"] == BANK_X["user_id"]
            and any(ref["id"] in own for ref in t.get("referenced_tweets", []))
            for t in conversation
        )
        # During an outage even follow-ups are about the outage.
        text = (
            content.compose(rng, topic=topic, network="x", hostile=hostile)
            if hostile or outage
            else content.compose_follow_up(rng, network="x", answered=answered)
        )
        tweet = self.store.add_tweet(text=text, author_id=author, in_reply_to=latest["id"])
        return _made("x", "reply", tweet["id"], tweet["conversation_id"])

    def _emit_facebook(
        self, rng: random.Random, channel: str, topic: str, customer: Customer, *, hostile: bool
    ) -> dict[str, Any]:
        store = self.store
        if channel in ("fb_comment", "fb_comment_reply"):
            fb = store.data["facebook"]
            target = ""
            if channel == "fb_comment_reply":
                comments = sorted(fb["comments"].values(), key=lambda c: c["created_ms"])[-20:]
                if comments:
                    target = rng.choice(comments)["id"]
            if not target:
                page_posts = [
                    p for p in fb["posts"].values() if p["from_id"] == BANK_FACEBOOK_PAGE["page_id"]
                ]
                target = rng.choice(sorted(page_posts, key=lambda p: p["created_ms"])[-5:])["id"]
            text = content.compose(rng, topic=topic, network="facebook", hostile=hostile)
            comment = store.add_facebook_comment(text=text, from_id=customer.facebook_id, target_id=target)
            assert comment is not None
            return _made("facebook", "comment", comment["id"], comment["post_id"])
        if channel in ("fb_visitor_post", "fb_tagged"):
            text = content.compose(rng, topic=topic, network="facebook", hostile=hostile)
            post = store.add_facebook_post(
                text=text, from_id=customer.facebook_id, tagged=channel == "fb_tagged"
            )
            return _made("facebook", "tagged" if post["tagged"] else "visitor_post", post["id"], post["id"])
        text = content.compose_direct(rng, hostile=hostile, topic=topic)
        message = store.add_messenger_message(
            text=text, from_id=customer.facebook_id, to_id=BANK_FACEBOOK_PAGE["page_id"]
        )
        return _made("facebook", "message", message["id"], message["conversation_id"])

    def _emit_linkedin(
        self, rng: random.Random, topic: str, customer: Customer, *, hostile: bool
    ) -> dict[str, Any]:
        """A comment on one of the organisation's posts, now and then a reply to a comment."""
        li = self.store.data["linkedin"]
        target = ""
        if li["comments"] and rng.random() < 0.25:
            target = rng.choice(sorted(li["comments"])[-20:])
        if not target:
            target = rng.choice(sorted(li["posts"].values(), key=lambda p: p["created_ms"])[-5:])["id"]
        text = content.compose(rng, topic=topic, network="linkedin", hostile=hostile)
        comment = self.store.add_linkedin_comment(text=text, actor=customer.linkedin_urn, target_urn=target)
        assert comment is not None
        return _made("linkedin", "comment", comment["urn"], comment["post_urn"])

    def _recent_customer_tweet(self, rng: random.Random) -> dict[str, Any] | None:
        tweets = self.store.data["x"]["tweets"].values()
        bots = {spammer.x_id for spammer in SPAMMERS}
        recent = sorted(
            (
                t
                for t in tweets
                if t["author_id"] not in bots and t["author_id"] not in (BANK_X["user_id"], "")
            ),
            key=lambda t: int(t["id"]),
        )[-30:]
        return rng.choice(recent) if recent else None


def _made(network: str, kind: str, external_id: str, thread: str) -> dict[str, Any]:
    return {"network": network, "kind": kind, "id": external_id, "thread": thread}
