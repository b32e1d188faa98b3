"""Instagram's wire format read into FetchedItems: comments, tagged media, direct messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_COMMENT,
    KIND_DIRECT,
    KIND_MENTION,
    FetchedAuthor,
    FetchedItem,
    ItemUnreadable,
)
from listening.connectors.graph import Malformed, parse_id, parse_time
from listening.connectors.http import clean_json, clean_text, safe_http_url
from listening.connectors.instagram.client import (
    MEDIA_FIELDS,
    MESSAGE_FIELDS,
    ONE_COMMENT_FIELDS,
    InstagramClient,
)

THREAD_PREFIX = "ig:"


def ig_id(value: Any, name: str = "id") -> str:
    """Conversation and message ids are long base64 text; media, comment and user ids decimal."""
    if (
        isinstance(value, str)
        and 0 < len(value) <= 200
        and value.isascii()
        and value.replace("-", "").replace("_", "").isalnum()
    ):
        return value
    raise Malformed(f"{name} is not an id: {value!r}"[:200])


class InstagramItems(InstagramClient):
    """Parsing, for the connector: what the account itself wrote has direction out."""

    def _author(self, raw: Any, *, username: Any = None) -> FetchedAuthor:
        if not isinstance(raw, dict):
            raise Malformed("from is missing")
        author_id = parse_id(raw.get("id"), "from.id")
        handle = raw.get("username", username)
        handle = clean_text(handle)[:100] if isinstance(handle, str) else ""
        return FetchedAuthor(
            external_id=author_id,
            handle=handle,
            profile_url=f"https://www.instagram.com/{handle}/"
            if handle.replace(".", "").replace("_", "").isalnum()
            else "",
        )

    def _direction(self, author: FetchedAuthor) -> str:
        return DIRECTION_OUT if author.external_id == self.user_id else DIRECTION_IN

    @staticmethod
    def _text(raw: dict[str, Any], key: str, *, required: bool = False) -> str:
        if required and key not in raw:
            raise Malformed(f"{key} is missing")
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise Malformed(f"{key} is not a string")
        return clean_text(value)

    def _comment_item(self, raw: Any, context: dict[str, str]) -> FetchedItem:
        if not isinstance(raw, dict):
            raise Malformed("comment is not an object")
        media_id = context["media_id"]
        parent = raw.get("parent_id")
        author = self._author(raw.get("from"), username=raw.get("username"))
        return FetchedItem(
            external_id=parse_id(raw.get("id")),
            kind=KIND_COMMENT,
            text=self._text(raw, "text", required=True),
            author=author,
            created_at=parse_time(raw.get("timestamp"), "timestamp"),
            thread_key=media_id,
            raw=clean_json(raw),
            direction=self._direction(author),
            in_reply_to=parse_id(parent, "parent_id") if parent else media_id,
            url=context.get("permalink", ""),
        )

    def _tag_item(self, raw: Any) -> FetchedItem:
        if not isinstance(raw, dict):
            raise Malformed("media is not an object")
        media_id = parse_id(raw.get("id"))
        author = self._author(raw.get("owner"), username=raw.get("username"))
        return FetchedItem(
            external_id=media_id,
            kind=KIND_MENTION,
            text=self._text(raw, "caption"),
            author=author,
            created_at=parse_time(raw.get("timestamp"), "timestamp"),
            thread_key=media_id,
            raw=clean_json(raw),
            direction=self._direction(author),
            url=safe_http_url(raw.get("permalink")),
        )

    def _message_item(self, raw: Any, context: dict[str, str]) -> FetchedItem:
        if not isinstance(raw, dict):
            raise Malformed("message is not an object")
        author = self._author(raw.get("from"))
        return FetchedItem(
            external_id=ig_id(raw.get("id")),
            kind=KIND_DIRECT,
            text=self._text(raw, "message"),
            author=author,
            created_at=parse_time(raw.get("created_time")),
            thread_key=f"{THREAD_PREFIX}{context['conversation_id']}",
            raw=clean_json(raw),
            direction=self._direction(author),
            url="https://www.instagram.com/direct/inbox/",
        )

    def _parser(self, stream: str, context: dict[str, Any]) -> tuple[Callable[[Any], FetchedItem], str]:
        if stream == "comments" and isinstance(context.get("media_id"), str):
            return (lambda raw: self._comment_item(raw, context)), ONE_COMMENT_FIELDS
        if stream == "messages" and isinstance(context.get("conversation_id"), str):
            return (lambda raw: self._message_item(raw, context)), MESSAGE_FIELDS
        if stream == "tags":
            return self._tag_item, MEDIA_FIELDS
        raise ItemUnreadable(f"no way to read a {stream} item without its media or conversation")
