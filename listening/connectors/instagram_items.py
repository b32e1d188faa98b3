"""Instagram's wire format read into FetchedItems: comments, tagged media, direct messages.

Split from the connector (listening/connectors/instagram.py) only to keep each module short.
"""

from __future__ import annotations

from typing import Any

from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_COMMENT,
    KIND_DIRECT,
    KIND_MENTION,
    FetchedAuthor,
    FetchedItem,
)
from listening.connectors.facebook import _id, _Malformed, _time
from listening.connectors.http import clean_json, clean_text, safe_http_url

THREAD_PREFIX = "ig:"


def _ig_id(value: Any, name: str = "id") -> str:
    """Conversation and message ids are long base64 text; media, comment and user ids decimal."""
    if (
        isinstance(value, str)
        and 0 < len(value) <= 200
        and value.isascii()
        and value.replace("-", "").replace("_", "").isalnum()
    ):
        return value
    raise _Malformed(f"{name} is not an id: {value!r}"[:200])


class InstagramItems:
    """Parsing, for the connector: needs `user_id` (the account's Instagram user id)."""

    user_id: str

    def _author(self, raw: Any, *, username: Any = None) -> FetchedAuthor:
        if not isinstance(raw, dict):
            raise _Malformed("from is missing")
        author_id = _id(raw.get("id"), "from.id")
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
            raise _Malformed(f"{key} is missing")
        value = raw.get(key, "")
        if not isinstance(value, str):
            raise _Malformed(f"{key} is not a string")
        return clean_text(value)

    def _comment_item(self, raw: Any, context: dict[str, str]) -> FetchedItem:
        if not isinstance(raw, dict):
            raise _Malformed("comment is not an object")
        media_id = context["media_id"]
        parent = raw.get("parent_id")
        author = self._author(raw.get("from"), username=raw.get("username"))
        return FetchedItem(
            external_id=_id(raw.get("id")),
            kind=KIND_COMMENT,
            text=self._text(raw, "text", required=True),
            author=author,
            created_at=_time(raw.get("timestamp"), "timestamp"),
            thread_key=media_id,
            raw=clean_json(raw),
            direction=self._direction(author),
            in_reply_to=_id(parent, "parent_id") if parent else media_id,
            url=context.get("permalink", ""),
        )

    def _tag_item(self, raw: Any) -> FetchedItem:
        if not isinstance(raw, dict):
            raise _Malformed("media is not an object")
        media_id = _id(raw.get("id"))
        author = self._author(raw.get("owner"), username=raw.get("username"))
        return FetchedItem(
            external_id=media_id,
            kind=KIND_MENTION,
            text=self._text(raw, "caption"),
            author=author,
            created_at=_time(raw.get("timestamp"), "timestamp"),
            thread_key=media_id,
            raw=clean_json(raw),
            direction=self._direction(author),
            url=safe_http_url(raw.get("permalink")),
        )

    def _message_item(self, raw: Any, context: dict[str, str]) -> FetchedItem:
        if not isinstance(raw, dict):
            raise _Malformed("message is not an object")
        author = self._author(raw.get("from"))
        return FetchedItem(
            external_id=_ig_id(raw.get("id")),
            kind=KIND_DIRECT,
            text=self._text(raw, "message"),
            author=author,
            created_at=_time(raw.get("created_time")),
            thread_key=f"{THREAD_PREFIX}{context['conversation_id']}",
            raw=clean_json(raw),
            direction=self._direction(author),
            url="https://www.instagram.com/direct/inbox/",
        )
