"""The sandbox's world: everything said on the three fake networks.

The state is one JSON-able dict guarded by one lock. That keeps persistence
trivial (dump the dict, atomically) and makes the server's behaviour easy to
reason about: every request sees a consistent world. Records are stored in a
network-neutral internal shape (epoch milliseconds, plain ids) and rendered
into each network's wire format by the API modules.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from devtools.sandbox import instagram_state
from devtools.sandbox.content import CUSTOMERS, Customer
from devtools.sandbox.world import BANK_FACEBOOK_PAGE, BANK_LINKEDIN_ORG, BANK_NAME, BANK_X

STATE_VERSION = 1

# X ids are snowflakes: 64-bit, increasing with time. A counter scaled into the
# same range keeps them ordered (since_id relies on that) and realistic-looking.
_X_ID_BASE = 1_860_000_000_000_000_000
_FB_ID_BASE = 1_220_000_000_000_000
_LI_ID_BASE = 7_240_000_000_000_000_000

Record = dict[str, Any]


def now_ms() -> int:
    return int(time.time() * 1000)


class Store:
    """The world, its lock, and the only code that mutates it."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self.lock = threading.RLock()
        self.data: dict[str, Any] = self._load() if path and path.exists() else self._fresh()
        # A world saved before Instagram existed gets it now (a no-op otherwise).
        instagram_state.install(self, start_ms=now_ms() - 6 * 3600 * 1000)

    # -- persistence -------------------------------------------------------

    def _load(self) -> dict[str, Any]:
        assert self.path is not None
        with self.path.open(encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("version") != STATE_VERSION:
            # An old layout is demo data, not something worth migrating.
            return self._fresh()
        return data

    def save(self) -> None:
        """Write the world atomically: a crash mid-write leaves the previous file intact."""
        if self.path is None:
            return
        with self.lock:
            payload = json.dumps(self.data, ensure_ascii=False, separators=(",", ":"))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".state-", suffix=".json", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(payload)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    @contextlib.contextmanager
    def mutate(self) -> Iterator[dict[str, Any]]:
        """Hold the lock for a change, then persist it."""
        with self.lock:
            yield self.data
            self.save()

    def reset(self) -> None:
        with self.lock:
            self.data = self._fresh()
            self.save()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.data)

    # -- the empty world ---------------------------------------------------

    def _fresh(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": STATE_VERSION,
            "seq": 0,
            "generated": 0,
            "scenarios": [],
            "sent": [],
            "x": {"users": {}, "tweets": {}, "dm_events": {}},
            "facebook": {"users": {}, "posts": {}, "comments": {}, "conversations": {}, "messages": {}},
            "linkedin": {"people": {}, "posts": {}, "comments": {}},
        }
        self.data = data
        self._seed_bank(data)
        instagram_state.install(self, start_ms=now_ms() - 6 * 3600 * 1000)
        return data

    def _seed_bank(self, data: dict[str, Any]) -> None:
        """The bank's own accounts and a few posts customers can answer under."""
        data["x"]["users"][BANK_X["user_id"]] = {
            "id": BANK_X["user_id"],
            "name": BANK_NAME,
            "username": BANK_X["handle"],
            "verified": True,
            "followers_count": 48_210,
        }
        data["facebook"]["users"][BANK_FACEBOOK_PAGE["page_id"]] = {
            "id": BANK_FACEBOOK_PAGE["page_id"],
            "name": BANK_NAME,
        }
        start = now_ms() - 6 * 3600 * 1000
        announcements = (
            "Our mobile app gets a fresh look this week: savings pots, card freeze in one tap, and "
            "faster log-in. Tell us what you think!",
            "Reminder: we will never ask for your PIN or full card number. If in doubt, call the number "
            "on the back of your card.",
            "Our branches open late on Thursdays until 7pm from this month.",
        )
        for offset, text in enumerate(announcements):
            created = start + offset * 3600 * 1000
            self.add_tweet(text=text, author_id=BANK_X["user_id"], created_ms=created)
            self.add_facebook_post(text=text, from_id=BANK_FACEBOOK_PAGE["page_id"], created_ms=created)
            self.add_linkedin_post(text=text, created_ms=created)

    # -- ids ---------------------------------------------------------------

    def _next(self) -> int:
        self.data["seq"] += 1
        return int(self.data["seq"])

    # -- people ------------------------------------------------------------

    def ensure_customer(self, customer: Customer) -> None:
        """Register a crowd member on every network (idempotent)."""
        data = self.data
        if "instagram" in data:
            instagram_state.ensure_user(self, customer)
        data["x"]["users"].setdefault(
            customer.x_id,
            {
                "id": customer.x_id,
                "name": customer.name,
                "username": customer.handle,
                "verified": customer.verified,
                "followers_count": customer.followers,
            },
        )
        data["facebook"]["users"].setdefault(
            customer.facebook_id, {"id": customer.facebook_id, "name": customer.name}
        )
        first, _, last = customer.name.partition(" ")
        data["linkedin"]["people"].setdefault(
            customer.linkedin_id,
            {
                "id": customer.linkedin_id,
                "first": first,
                "last": last,
                "vanity": customer.handle.lower().replace("_", "-"),
            },
        )

    def upsert_x_user(self, fields: dict[str, Any]) -> str:
        """An author given by the control API; unknown fields are kept for hostile tests."""
        with self.lock:
            user_id = str(fields.get("id") or CUSTOMERS[0].x_id)
            user = self.data["x"]["users"].setdefault(user_id, {"id": user_id})
            for key in ("name", "username", "profile_image_url", "verified", "followers_count", "url"):
                if key in fields:
                    user[key] = fields[key]
            user.setdefault("name", user.get("username") or "Customer")
            user.setdefault("username", f"user{user_id[-6:]}")
            user.setdefault("followers_count", 0)
            user.setdefault("verified", False)
            return user_id

    # -- X -----------------------------------------------------------------

    def add_tweet(
        self,
        *,
        text: str,
        author_id: str,
        created_ms: int | None = None,
        in_reply_to: str = "",
        quote_of: str = "",
        retweet_of: str = "",
        edit_of: str = "",
        lang: str = "en",
    ) -> Record:
        with self.lock:
            tweets = self.data["x"]["tweets"]
            tweet_id = str(_X_ID_BASE + self._next() * 4096)
            references: list[dict[str, str]] = []
            conversation_id = tweet_id
            in_reply_to_user_id = ""
            history = [tweet_id]
            if in_reply_to:
                parent = tweets.get(in_reply_to)
                conversation_id = parent["conversation_id"] if parent else in_reply_to
                in_reply_to_user_id = parent["author_id"] if parent else ""
                references.append({"type": "replied_to", "id": in_reply_to})
            if quote_of:
                references.append({"type": "quoted", "id": quote_of})
            if retweet_of:
                original = tweets.get(retweet_of)
                if original:
                    handle = self.data["x"]["users"].get(original["author_id"], {}).get("username", "")
                    text = f"RT @{handle}: {original['text']}"
                references.append({"type": "retweeted", "id": retweet_of})
            if edit_of:
                # An edit is a new tweet whose history starts with the original.
                original = tweets.get(edit_of)
                if original:
                    history = [*original["edit_history_tweet_ids"], tweet_id]
                    conversation_id = original["conversation_id"]
                    references = list(original.get("referenced_tweets", []))
                    in_reply_to_user_id = original.get("in_reply_to_user_id", "")
                    for earlier in original["edit_history_tweet_ids"]:
                        if earlier in tweets:
                            tweets[earlier]["edit_history_tweet_ids"] = history
            record: Record = {
                "id": tweet_id,
                "text": text,
                "author_id": author_id,
                "created_ms": created_ms if created_ms is not None else now_ms(),
                "conversation_id": conversation_id,
                "edit_history_tweet_ids": history,
                "lang": lang,
                "referenced_tweets": references,
                "in_reply_to_user_id": in_reply_to_user_id,
            }
            tweets[tweet_id] = record
            return record

    def add_dm(self, *, text: str, sender_id: str, recipient_id: str) -> Record:
        with self.lock:
            event_id = str(_X_ID_BASE + self._next() * 4096)
            low, high = sorted((sender_id, recipient_id), key=int)
            record: Record = {
                "id": event_id,
                "event_type": "MessageCreate",
                "text": text,
                "sender_id": sender_id,
                "participant_ids": [low, high],
                "dm_conversation_id": f"{low}-{high}",
                "created_ms": now_ms(),
            }
            self.data["x"]["dm_events"][event_id] = record
            return record

    # -- Facebook ----------------------------------------------------------

    def add_facebook_post(
        self, *, text: str, from_id: str, created_ms: int | None = None, tagged: bool = False
    ) -> Record:
        with self.lock:
            page_id = BANK_FACEBOOK_PAGE["page_id"]
            number = _FB_ID_BASE + self._next()
            # A post someone else makes about the page lives on their timeline:
            # its id is prefixed with their id, not the page's.
            owner = from_id if tagged else page_id
            record: Record = {
                "id": f"{owner}_{number}",
                "message": text,
                "from_id": from_id,
                "created_ms": created_ms if created_ms is not None else now_ms(),
                "tagged": tagged,
            }
            self.data["facebook"]["posts"][record["id"]] = record
            return record

    def add_facebook_comment(self, *, text: str, from_id: str, target_id: str) -> Record | None:
        """A comment on a post, or a reply to a comment (Graph flattens to one level)."""
        with self.lock:
            fb = self.data["facebook"]
            if target_id in fb["posts"]:
                post_id, parent_id = target_id, ""
            elif target_id in fb["comments"]:
                parent = fb["comments"][target_id]
                post_id = parent["post_id"]
                parent_id = parent["parent_id"] or target_id
            else:
                return None
            post_number = post_id.split("_", 1)[1]
            record: Record = {
                "id": f"{post_number}_{_FB_ID_BASE + self._next()}",
                "post_id": post_id,
                "parent_id": parent_id,
                "message": text,
                "from_id": from_id,
                "created_ms": now_ms(),
                "is_hidden": False,
            }
            fb["comments"][record["id"]] = record
            # Graph moves a post's updated_time when someone comments on it.
            fb["posts"][post_id]["updated_ms"] = record["created_ms"]
            return record

    def add_messenger_message(self, *, text: str, from_id: str, to_id: str) -> Record:
        with self.lock:
            fb = self.data["facebook"]
            page_id = BANK_FACEBOOK_PAGE["page_id"]
            customer_id = to_id if from_id == page_id else from_id
            conversation = next(
                (c for c in fb["conversations"].values() if c["user_id"] == customer_id), None
            )
            created = now_ms()
            if conversation is None:
                conversation = {"id": f"t_{_FB_ID_BASE + self._next()}", "user_id": customer_id}
                fb["conversations"][conversation["id"]] = conversation
            conversation["updated_ms"] = created
            record: Record = {
                "id": f"m_{_FB_ID_BASE + self._next()}",
                "conversation_id": conversation["id"],
                "from_id": from_id,
                "to_id": to_id,
                "message": text,
                "created_ms": created,
            }
            fb["messages"][record["id"]] = record
            return record

    # -- LinkedIn ----------------------------------------------------------

    def add_linkedin_post(self, *, text: str, created_ms: int | None = None) -> Record:
        with self.lock:
            urn = f"urn:li:share:{_LI_ID_BASE + self._next()}"
            record: Record = {
                "id": urn,
                "author": BANK_LINKEDIN_ORG["urn"],
                "commentary": text,
                "created_ms": created_ms if created_ms is not None else now_ms(),
            }
            self.data["linkedin"]["posts"][urn] = record
            return record

    def add_linkedin_comment(self, *, text: str, actor: str, target_urn: str) -> Record | None:
        """A comment on an organisation post, or a reply to a comment (one level deep)."""
        with self.lock:
            li = self.data["linkedin"]
            if target_urn in li["posts"]:
                post_urn, parent_urn = target_urn, ""
            elif target_urn in li["comments"]:
                parent = li["comments"][target_urn]
                post_urn, parent_urn = parent["post_urn"], parent["parent_urn"] or target_urn
            else:
                return None
            activity = post_urn.rsplit(":", 1)[1]
            comment_id = str(_LI_ID_BASE + self._next())
            record: Record = {
                "id": comment_id,
                "urn": f"urn:li:comment:(urn:li:activity:{activity},{comment_id})",
                "post_urn": post_urn,
                "activity_urn": f"urn:li:activity:{activity}",
                "parent_urn": parent_urn,
                "actor": actor,
                "text": text,
                "created_ms": now_ms(),
            }
            li["comments"][record["urn"]] = record
            return record

    # -- the bank's outbox ---------------------------------------------------

    def record_sent(self, *, network: str, kind: str, external_id: str, text: str, **extra: Any) -> None:
        """Remember everything the bank posted: tests prove a reply went out exactly once."""
        with self.lock:
            self.data["sent"].append(
                {
                    "network": network,
                    "kind": kind,
                    "id": external_id,
                    "text": text,
                    "at_ms": now_ms(),
                    **extra,
                }
            )
