"""The Graph API's Page objects read into FetchedItems: posts, comments, Messenger messages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_COMMENT,
    KIND_DIRECT,
    KIND_MENTION,
    KIND_POST,
    FetchedAuthor,
    FetchedItem,
    ItemUnreadable,
)
from listening.connectors.facebook.client import COMMENT_FIELDS, MESSAGE_FIELDS, POST_FIELDS, FacebookClient
from listening.connectors.graph import Malformed, parse_id, parse_time
from listening.connectors.http import clean_json, clean_text, safe_http_url


class FacebookItems(FacebookClient):
    """Parsing, for the connector: needs `page_id` (the Page's id)."""

    def _author(self, raw: Any) -> FetchedAuthor:
        if not isinstance(raw, dict):
            raise Malformed("from is missing")
        author_id = parse_id(raw.get("id"), "from.id")
        name = raw.get("name")
        picture = raw.get("picture")
        data = picture.get("data") if isinstance(picture, dict) else None
        avatar = safe_http_url(data.get("url")) if isinstance(data, dict) else ""
        return FetchedAuthor(
            external_id=author_id,
            # People have no handle on Facebook; the Page's is its account handle.
            handle=self.account.handle if author_id == self.page_id else "",
            name=clean_text(name) if isinstance(name, str) else "",
            avatar_url=avatar,
            profile_url=f"https://www.facebook.com/{author_id}" if author_id == self.page_id else "",
        )

    def _text(self, raw: dict[str, Any]) -> str:
        message = raw.get("message", "")
        if not isinstance(message, str):
            raise Malformed("message is not a string")
        return clean_text(message)

    def _post_item(self, raw: Any, *, edge: str) -> FetchedItem:
        if not isinstance(raw, dict):
            raise Malformed("post is not an object")
        post_id = parse_id(raw.get("id"))
        author = self._author(raw.get("from"))
        url = safe_http_url(raw.get("permalink_url")) or f"https://www.facebook.com/{post_id}"
        return FetchedItem(
            external_id=post_id,
            kind=KIND_MENTION if edge == "tagged" else KIND_POST,
            text=self._text(raw),
            author=author,
            created_at=parse_time(raw.get("created_time")),
            thread_key=post_id,
            raw=clean_json(raw),
            direction=DIRECTION_OUT if author.external_id == self.page_id else DIRECTION_IN,
            url=url,
        )

    def _comment_item(self, raw: Any, *, post_id: str) -> FetchedItem:
        if not isinstance(raw, dict):
            raise Malformed("comment is not an object")
        comment_id = parse_id(raw.get("id"))
        author = self._author(raw.get("from"))
        parent = raw.get("parent")
        parent_id = parse_id(parent.get("id"), "parent.id") if isinstance(parent, dict) else ""
        url = safe_http_url(raw.get("permalink_url")) or f"https://www.facebook.com/{comment_id}"
        return FetchedItem(
            external_id=comment_id,
            kind=KIND_COMMENT,
            text=self._text(raw),
            author=author,
            created_at=parse_time(raw.get("created_time")),
            thread_key=post_id,
            raw=clean_json(raw),
            direction=DIRECTION_OUT if author.external_id == self.page_id else DIRECTION_IN,
            in_reply_to=parent_id or post_id,
            url=url,
        )

    def _message_item(self, raw: Any, *, conversation_id: str) -> FetchedItem:
        if not isinstance(raw, dict):
            raise Malformed("message is not an object")
        message_id = parse_id(raw.get("id"))
        author = self._author(raw.get("from"))
        return FetchedItem(
            external_id=message_id,
            kind=KIND_DIRECT,
            text=self._text(raw),
            author=author,
            created_at=parse_time(raw.get("created_time")),
            thread_key=f"m:{conversation_id}",
            raw=clean_json(raw),
            direction=DIRECTION_OUT if author.external_id == self.page_id else DIRECTION_IN,
            url=f"https://business.facebook.com/latest/inbox/all?selected_item_id={conversation_id}",
        )

    def _parser(self, stream: str, context: dict[str, Any]) -> Callable[[Any], FetchedItem]:
        if stream in ("feed", "tagged"):
            return lambda raw: self._post_item(raw, edge=stream)
        if stream == "comments" and isinstance(context.get("post_id"), str):
            return lambda raw: self._comment_item(raw, post_id=context["post_id"])
        if stream == "messenger" and isinstance(context.get("conversation_id"), str):
            return lambda raw: self._message_item(raw, conversation_id=context["conversation_id"])
        raise ItemUnreadable(f"no way to read a {stream} item without its post or conversation")

    _FIELDS_BY_STREAM = {"feed": POST_FIELDS, "tagged": POST_FIELDS, "comments": COMMENT_FIELDS,
                         "messenger": MESSAGE_FIELDS}  # fmt: skip
