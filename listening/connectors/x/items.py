"""X's wire format read into FetchedItems: tweets, their authors, direct-message events."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_DIRECT,
    KIND_MENTION,
    KIND_REPLY,
    KIND_SEARCH,
    ConnectorError,
    FetchedAuthor,
    FetchedItem,
    Quarantined,
)
from listening.connectors.http import clean_json, clean_text, safe_http_url
from listening.connectors.x.client import XClient

ID_RE = re.compile(r"^[0-9]{1,19}$")
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_URL = re.compile(r"https?://\S+")
_LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")


class Malformed(ValueError):
    """One item does not have the shape we rely on."""


@dataclass
class Page:
    items: list[FetchedItem]
    quarantined: list[Quarantined]
    newest_id: str
    next_token: str
    # True when this page reached ids at or below the old cursor: nothing older is needed.
    reached_cursor: bool = False

    def add(self, stream: str, raw: Any, raw_id: Any, parse: Callable[[Any], FetchedItem | None]) -> None:
        """Add the item `parse` reads from `raw` (None: not one we store), or quarantine `raw`."""
        try:
            item = parse(raw)
        except Malformed as exc:
            self.quarantined.append(
                Quarantined(
                    stream=stream,
                    reason=str(exc),
                    raw=clean_json(raw),
                    external_id=raw_id if isinstance(raw_id, str) else "",
                )
            )
            return
        if item is not None:
            self.items.append(item)


def unescape(text: str) -> str:
    # X escapes exactly these three characters in tweet text; undo only those,
    # in this order, so that text a customer typed as "&amp;" survives.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def require_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise Malformed(f"{name} is not an id string: {value!r}"[:200])
    return value


def parse_time(value: Any, name: str = "created_at") -> dt.datetime:
    if not isinstance(value, str):
        raise Malformed(f"{name} is missing or not a string")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"{name} is not an ISO timestamp: {value!r}"[:200]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def next_token(meta: dict[str, Any], what: str) -> str:
    """The token of the next page, "" at the end; a damaged one refuses the page.

    Reading a damaged token as "no more pages" would end the walk and move the
    cursor over every page we never read.
    """
    token = meta.get("next_token")
    if token is None:
        return ""
    if not isinstance(token, str) or not token or len(token) > 1000:
        raise ConnectorError(f"X answered {what} with a damaged next_token", permanent=False)
    return token


def normalise_for_match(text: str) -> str:
    """What survives X's rewriting of a posted text: no t.co links, no leading @mentions."""
    text = _LEADING_MENTIONS.sub("", unescape(text).strip())
    return " ".join(_URL.sub("<url>", text).split()).casefold()


def envelope(body: Any, what: str) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
    """The data list, includes and meta of a page; a page we cannot read at all is an error."""
    if not isinstance(body, dict):
        raise ConnectorError(f"X answered {what} with a {type(body).__name__}, not an object")
    data = body.get("data", [])
    meta = body.get("meta", {})
    includes = body.get("includes", {})
    if not isinstance(data, list) or not isinstance(meta, dict) or not isinstance(includes, dict):
        raise ConnectorError(f"X answered {what} with a page of the wrong shape")
    return data, includes, meta


def users_by_id(includes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    users = includes.get("users", [])
    if not isinstance(users, list):
        return {}
    return {u["id"]: u for u in users if isinstance(u, dict) and isinstance(u.get("id"), str)}


class XItems(XClient):
    """Parsing, for the connector: what the bank's own account wrote has direction out."""

    def _author(self, user_id: str, user: dict[str, Any] | None) -> FetchedAuthor:
        """The author from `includes.users`; a missing or odd profile degrades to just the id."""
        if user is None:
            return FetchedAuthor(external_id=user_id, handle="")
        handle = user.get("username")
        handle = handle if isinstance(handle, str) and _HANDLE.match(handle) else ""
        name = user.get("name")
        metrics = user.get("public_metrics")
        followers = metrics.get("followers_count") if isinstance(metrics, dict) else None
        return FetchedAuthor(
            external_id=user_id,
            handle=handle,
            name=clean_text(name) if isinstance(name, str) else "",
            avatar_url=safe_http_url(user.get("profile_image_url")),
            profile_url=f"https://x.com/{handle}" if handle else "",
            followers=followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
            verified=user.get("verified") is True,
        )

    def _tweet_page(self, body: Any, *, stream: str, since: str) -> Page:
        data, includes, meta = envelope(body, stream)
        users = users_by_id(includes)
        page = Page(items=[], quarantined=[], newest_id="", next_token="")
        newest = meta.get("newest_id")
        valid_ids: list[int] = []
        for raw in data:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and ID_RE.match(raw_id):
                valid_ids.append(int(raw_id))
                if since and int(raw_id) <= int(since):
                    continue  # the server should not send these; never store them twice
            page.add(stream, raw, raw_id, lambda r: self._tweet(r, users, stream=stream))
        # The cursor is the newest id we actually saw. meta.newest_id is believed
        # only where it can name an item we could not read the id of (quarantined
        # without one): a damaged or lying meta must not move the cursor past
        # posts that are not in this page.
        seen = max(valid_ids, default=0)
        claimed = int(newest) if isinstance(newest, str) and ID_RE.match(newest) else 0
        idless = any(not q.external_id for q in page.quarantined)
        newest_id = max(seen, claimed if idless else 0)
        if newest_id and since and newest_id < int(since):
            newest_id = int(since)  # a page of stale ids never moves the cursor back
        page.newest_id = str(newest_id) if newest_id else ""
        page.next_token = next_token(meta, stream)
        return page

    def _tweet(self, raw: Any, users: dict[str, dict[str, Any]], *, stream: str) -> FetchedItem | None:
        if not isinstance(raw, dict):
            raise Malformed("item is not an object")
        tweet_id = require_id(raw.get("id"), "id")
        text = raw.get("text")
        if not isinstance(text, str):
            raise Malformed("text is missing or not a string")
        author_id = require_id(raw.get("author_id"), "author_id")
        created_at = parse_time(raw.get("created_at"))
        conversation_id = raw.get("conversation_id", tweet_id)
        conversation_id = require_id(conversation_id, "conversation_id")
        references = raw.get("referenced_tweets", [])
        if not isinstance(references, list) or not all(
            isinstance(r, dict) and isinstance(r.get("type"), str) and isinstance(r.get("id"), str)
            for r in references
        ):
            raise Malformed("referenced_tweets is not a list of {type, id}")
        history = raw.get("edit_history_tweet_ids", [tweet_id])
        if not isinstance(history, list) or not all(isinstance(h, str) and ID_RE.match(h) for h in history):
            raise Malformed("edit_history_tweet_ids is not a list of ids")
        lang = raw.get("lang", "")
        if not isinstance(lang, str):
            raise Malformed("lang is not a string")

        kinds = {r["type"]: r["id"] for r in references}
        if "retweeted" in kinds and not self.account.options.get("include_retweets", False):
            return None
        in_reply_to = kinds.get("replied_to", "")
        kind = KIND_SEARCH if stream == "search" else KIND_REPLY if in_reply_to else KIND_MENTION
        user = users.get(author_id)
        author = self._author(author_id, user)
        handle = author.handle
        url = (
            f"https://x.com/{handle}/status/{tweet_id}"
            if handle
            else f"https://x.com/i/web/status/{tweet_id}"
        )
        # An edit is a new tweet whose history starts with the original id.
        replaces = history[0] if len(history) > 1 and history[0] != tweet_id else ""
        return FetchedItem(
            external_id=tweet_id,
            kind=kind,
            text=clean_text(unescape(text)),
            author=author,
            created_at=created_at,
            thread_key=conversation_id,
            raw=clean_json({"tweet": raw, "author": user}),
            direction=DIRECTION_OUT if author_id == self.account.external_id else DIRECTION_IN,
            in_reply_to=in_reply_to,
            url=url,
            lang="" if lang in ("und", "zxx", "qme", "qht") else lang,
            replaces=replaces,
        )

    def _dm(self, raw: Any, users: dict[str, dict[str, Any]]) -> FetchedItem | None:
        if not isinstance(raw, dict):
            raise Malformed("event is not an object")
        event_id = require_id(raw.get("id"), "id")
        if raw.get("event_type", "MessageCreate") != "MessageCreate":
            return None  # participants joining or leaving: not a message
        text = raw.get("text")
        if not isinstance(text, str):
            raise Malformed("text is missing or not a string")
        sender_id = require_id(raw.get("sender_id"), "sender_id")
        conversation = raw.get("dm_conversation_id")
        if not isinstance(conversation, str) or not conversation:
            raise Malformed("dm_conversation_id is missing")
        created_at = parse_time(raw.get("created_at"))
        user = users.get(sender_id)
        return FetchedItem(
            external_id=event_id,
            kind=KIND_DIRECT,
            text=clean_text(text),
            author=self._author(sender_id, user),
            created_at=created_at,
            thread_key=f"dm:{conversation}",
            raw=clean_json({"event": raw, "author": user}),
            direction=DIRECTION_OUT if sender_id == self.account.external_id else DIRECTION_IN,
            url=f"https://x.com/messages/{conversation}",
        )
