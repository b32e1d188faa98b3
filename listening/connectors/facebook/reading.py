"""Reading a Facebook Page: its feed and tagged posts, comments under recent posts, Messenger."""

from __future__ import annotations

import contextlib
from typing import Any

import facebook

from listening.connectors.base import (
    ConnectorError,
    FetchedItem,
    FetchResult,
    ItemGone,
    ItemUnreadable,
    Quarantined,
)
from listening.connectors.facebook.client import (
    COMMENT_FIELDS,
    CONVERSATION_FIELDS,
    MESSAGE_FIELDS,
    PAGE_SIZE,
    POST_FIELDS,
    _Walk,
)
from listening.connectors.facebook.items import FacebookItems
from listening.connectors.graph import Malformed, TimeCursor, keep, parse_id, parse_time, take_newest_first
from listening.connectors.http import clean_json

DEFAULT_RECENT_POSTS = 25


class FacebookReading(FacebookItems):
    """Fetching a poll's new items, and reading quarantined ones again."""

    def fetch(self, cursors: dict[str, str]) -> FetchResult:
        self._rate = None
        result = FetchResult()
        self._read_posts("feed", cursors, result)
        self._read_comments(cursors, result)
        if self.account.options.get("tagged", True):
            self._read_posts("tagged", cursors, result)
        if self.account.options.get("messenger", True):
            self._read_messenger(cursors, result)
        result.rate = self._rate
        return result

    def _read_posts(self, edge: str, cursors: dict[str, str], result: FetchResult) -> None:
        """New posts on `edge` (the Page feed, or posts that tag the Page), read newest first."""
        stream = TimeCursor.load(edge, cursors)
        until = cursors.get(f"{edge}_until", "")
        head = cursors.get(f"{edge}_head", "")
        args: dict[str, Any] = {"fields": POST_FIELDS, "limit": PAGE_SIZE}
        if stream.since:
            args["since"] = stream.since
        if until.isdigit():
            args["until"] = until
        walk = _Walk()
        oldest_read = 0
        for data in self._pages(f"{self.page_id}/{edge}", args, action=f"reading the page {edge}", walk=walk):
            for raw in data:
                item = keep(result, edge, raw, lambda r: self._post_item(r, edge=edge))
                if item is None:
                    continue
                second = int(item.created_at.timestamp())
                oldest_read = min(oldest_read or second, second)
                stream.take(item, result)
        if not walk.complete and oldest_read:
            # Stopped before reaching the old cursor: keep it, and next time
            # read only the gap between it and the oldest post read now.
            result.cursors.update(
                {
                    edge: str(stream.since) if stream.since else "",
                    f"{edge}_seen": ",".join(sorted(stream.seen)),
                    f"{edge}_until": str(oldest_read),
                    f"{edge}_head": head or str(stream.newest),
                }
            )
            return
        dumped = stream.dump()
        if head.isdigit() and int(head) > stream.newest:
            dumped = {edge: head, f"{edge}_seen": ""}
        result.cursors.update({**dumped, f"{edge}_until": "", f"{edge}_head": ""})

    def _recent_posts(self) -> int:
        try:
            return max(1, int(self.account.options.get("recent_posts", DEFAULT_RECENT_POSTS)))
        except (TypeError, ValueError):
            return DEFAULT_RECENT_POSTS

    def _read_comments(self, cursors: dict[str, str], result: FetchResult) -> None:
        """New comments and replies under the Page's recent posts, read oldest first."""
        stream = TimeCursor.load("comments", cursors)
        # The feed is ordered by creation, so a burst of visitor posts would push
        # the Page's own posts (where most comments land) out of a feed listing:
        # list the Page's posts and the visitor posts separately.
        posts: list[Any] = []
        for edge in ("posts", "visitor_posts"):
            body = self._request(
                f"{self.page_id}/{edge}",
                args={"fields": "id,created_time,updated_time", "limit": self._recent_posts()},
                action="listing recent posts",
            )
            posts += body.get("data") if isinstance(body.get("data"), list) else []
        for post in posts:
            post_id = post.get("id") if isinstance(post, dict) else None
            if not isinstance(post_id, str):
                continue
            with contextlib.suppress(Malformed):
                # A post's updated_time moves when someone comments: skip quiet posts.
                updated = parse_time(post.get("updated_time") or post.get("created_time"), "updated_time")
                if stream.since and int(updated.timestamp()) < stream.since:
                    continue
            args: dict[str, Any] = {
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "order": "chronological",
                "limit": PAGE_SIZE,
            }
            if stream.since:
                args["since"] = stream.since
            for data in self._pages(f"{post_id}/comments", args, action="reading comments"):
                for raw in data:
                    item = keep(
                        result,
                        "comments",
                        raw,
                        lambda r, p=post_id: self._comment_item(r, post_id=p),
                        {"post_id": post_id},
                    )
                    if item is not None:
                        stream.take(item, result)
        # Oldest first: stopping after max_pages loses nothing, the next poll
        # carries on from the newest comment read.
        result.cursors.update(stream.dump())

    def _read_messenger(self, cursors: dict[str, str], result: FetchResult) -> None:
        stream = TimeCursor.load("messenger", cursors)
        args = {"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": PAGE_SIZE}
        for conversations in self._pages(f"{self.page_id}/conversations", args, action="reading Messenger"):
            stop = False
            for conversation in conversations:
                if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
                    result.quarantined.append(
                        Quarantined(
                            stream="messenger",
                            reason="conversation without an id",
                            raw=clean_json(conversation),
                        )
                    )
                    continue
                try:
                    updated = parse_time(conversation.get("updated_time"), "updated_time")
                except Malformed:
                    updated = None
                if updated is not None and stream.since and int(updated.timestamp()) < stream.since:
                    stop = True  # conversations come most recently updated first
                    break
                self._read_conversation(conversation["id"], stream, result)
            if stop:
                break
        result.cursors.update(stream.dump())

    def _read_conversation(self, conversation_id: str, stream: TimeCursor, result: FetchResult) -> None:
        """A Messenger thread's new messages, newest first down to one stored before."""
        args = {"fields": MESSAGE_FIELDS, "limit": PAGE_SIZE}
        context = {"conversation_id": conversation_id}
        pages = self._pages(f"{conversation_id}/messages", args, action="reading Messenger messages")
        take_newest_first(
            pages,
            stream,
            result,
            lambda raw: keep(
                result,
                "messenger",
                raw,
                lambda r: self._message_item(r, conversation_id=conversation_id),
                context,
            ),
        )

    # -- quarantine ----------------------------------------------------------------

    def refetch(self, *, stream: str, external_id: str, context: dict[str, Any]) -> FetchedItem | None:
        parse = self._parser(stream, context)
        try:
            parse_id(external_id)
        except Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
        try:
            body = self._request(
                external_id, args={"fields": self._FIELDS_BY_STREAM[stream]}, action="reading one item"
            )
        except ConnectorError as exc:
            cause = exc.__cause__
            result = cause.result if isinstance(cause, facebook.GraphAPIError) else None
            error = result.get("error") if isinstance(result, dict) else None
            # (#803) unknown alias / (#100) nonexisting field: deleted, or never visible to the Page.
            if isinstance(error, dict) and error.get("code") in (100, 803):
                raise ItemGone(f"Graph no longer has this item: {error.get('message', '')}"[:300]) from exc
            raise
        try:
            return parse(body)
        except Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc

    def parse_quarantined(self, *, stream: str, raw: Any, context: dict[str, Any]) -> FetchedItem | None:
        parse = self._parser(stream, context)
        try:
            return parse(raw)
        except Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
