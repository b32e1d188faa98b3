"""Reading an Instagram account: comments under its newest media, tags, direct messages."""

from __future__ import annotations

from typing import Any

from listening.connectors.base import (
    ConnectorError,
    FetchedItem,
    FetchResult,
    ItemGone,
    ItemUnreadable,
    Quarantined,
)
from listening.connectors.graph import Malformed, TimeCursor, keep, parse_time, take_newest_first
from listening.connectors.http import clean_json, safe_http_url
from listening.connectors.instagram.client import COMMENT_FIELDS, MEDIA_FIELDS, MESSAGE_FIELDS, PAGE_SIZE
from listening.connectors.instagram.items import InstagramItems, ig_id

DEFAULT_RECENT_POSTS = 10


class InstagramReading(InstagramItems):
    """Fetching a poll's new items, and reading quarantined ones again."""

    def fetch(self, cursors: dict[str, str]) -> FetchResult:
        self._rate = None
        result = FetchResult()
        self._read_comments(cursors, result)
        if self.account.options.get("tags", True):
            self._read_tags(cursors, result)
        if self.account.options.get("messages", True):
            self._read_messages(cursors, result)
        result.rate = self._rate
        return result

    def _read_comments(self, cursors: dict[str, str], result: FetchResult) -> None:
        """Comments and their replies under the account's newest media (Instagram has no `since`)."""
        stream = TimeCursor.load("comments", cursors)
        body = self._call(
            "GET",
            f"{self.user_id}/media",
            action="listing recent media",
            params={
                "fields": "id,comments_count,permalink",
                "limit": self._option("recent_posts", DEFAULT_RECENT_POSTS),
            },
        )
        for media in body.get("data") if isinstance(body.get("data"), list) else []:
            if (
                not isinstance(media, dict)
                or not isinstance(media.get("id"), str)
                or media.get("comments_count") == 0
            ):
                continue
            context = {"media_id": media["id"], "permalink": safe_http_url(media.get("permalink"))}
            params = {"fields": COMMENT_FIELDS, "limit": PAGE_SIZE}
            for data in self._pages(f"{media['id']}/comments", params, action="reading comments"):
                for raw in data:
                    replies = raw.get("replies", {}).get("data", []) if isinstance(raw, dict) else []
                    for one in [raw, *(replies if isinstance(replies, list) else [])]:
                        item = keep(
                            result, "comments", one, lambda r, c=context: self._comment_item(r, c), context
                        )
                        if item is not None:
                            stream.take(item, result)
        result.cursors.update(stream.dump())

    def _read_tags(self, cursors: dict[str, str], result: FetchResult) -> None:
        """Media in which someone tagged the account, newest first."""
        stream = TimeCursor.load("tags", cursors)
        params = {"fields": MEDIA_FIELDS, "limit": 25}
        pages = self._pages(f"{self.user_id}/tags", params, action="reading tags")
        take_newest_first(pages, stream, result, lambda raw: keep(result, "tags", raw, self._tag_item))
        result.cursors.update(stream.dump())

    def _read_messages(self, cursors: dict[str, str], result: FetchResult) -> None:
        stream = TimeCursor.load("messages", cursors)
        params = {"platform": "instagram", "fields": "id,updated_time", "limit": 25}
        for conversations in self._pages(
            "me/conversations", params, action="reading Instagram conversations"
        ):
            for conversation in conversations:
                try:
                    conversation_id = ig_id(
                        conversation.get("id") if isinstance(conversation, dict) else None
                    )
                    updated = parse_time(conversation.get("updated_time"), "updated_time")
                except Malformed as exc:
                    result.quarantined.append(
                        Quarantined(stream="messages", reason=str(exc), raw=clean_json(conversation))
                    )
                    continue
                if stream.since and int(updated.timestamp()) < stream.since:
                    result.cursors.update(stream.dump())
                    return  # most recently updated first: the rest were read before
                self._read_conversation(conversation_id, stream, result)
        result.cursors.update(stream.dump())

    def _read_conversation(self, conversation_id: str, stream: TimeCursor, result: FetchResult) -> None:
        context = {"conversation_id": conversation_id}
        params = {"fields": MESSAGE_FIELDS, "limit": 25}
        pages = self._pages(f"{conversation_id}/messages", params, action="reading Instagram messages")
        take_newest_first(
            pages,
            stream,
            result,
            lambda raw: keep(result, "messages", raw, lambda r: self._message_item(r, context), context),
        )

    # -- quarantine ----------------------------------------------------------------

    def refetch(self, *, stream: str, external_id: str, context: dict[str, Any]) -> FetchedItem | None:
        parse, fields = self._parser(stream, context)
        try:
            body = self._call("GET", ig_id(external_id), params={"fields": fields}, action="reading one item")
            return parse(body)
        except Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
        except ConnectorError as exc:
            if getattr(exc, "graph_code", None) in (100, 803):
                raise ItemGone(f"Instagram no longer has this item: {exc.message}"[:300]) from exc
            raise

    def parse_quarantined(self, *, stream: str, raw: Any, context: dict[str, Any]) -> FetchedItem | None:
        parse, _fields = self._parser(stream, context)
        try:
            return parse(raw)
        except Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
