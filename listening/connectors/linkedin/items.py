"""LinkedIn's wire format read into FetchedItems: organisation posts and the comments under them."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import quote

from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_COMMENT,
    KIND_POST,
    FetchedAuthor,
    FetchedItem,
)
from listening.connectors.http import clean_json, clean_text
from listening.connectors.linkedin.client import LinkedInClient

URN_RE = re.compile(r"^urn:li:[A-Za-z]+:.{1,200}$")
COMMENT_URN_RE = re.compile(r"^urn:li:comment:\((urn:li:[A-Za-z]+:[^,]+),([0-9]+)\)$")


class Malformed(ValueError):
    pass


def quarantine_urn(raw: Any) -> str:
    """The comment's URN for the quarantine, however much of the comment survived.

    A comment URN is documented as urn:li:comment:({object},{id}), so it can be
    rebuilt when `commentUrn` and `$URN` are lost but `object` and `id` are not.
    """
    if not isinstance(raw, dict):
        return ""
    for key in ("commentUrn", "$URN"):
        value = raw.get(key)
        if isinstance(value, str) and COMMENT_URN_RE.match(value):
            return value
    obj, comment_id = raw.get("object"), raw.get("id")
    if isinstance(obj, str) and URN_RE.match(obj) and isinstance(comment_id, str) and comment_id.isdigit():
        urn = f"urn:li:comment:({obj},{comment_id})"
        return urn if COMMENT_URN_RE.match(urn) else ""
    return ""


def enc(urn: str) -> str:
    # URNs are path keys: every reserved character, ":" "(" "," included, is escaped.
    return quote(urn, safe="")


def to_millis(moment: dt.datetime) -> int:
    # round, not int: float seconds * 1000 can land just below the integer it came from.
    return round(moment.timestamp() * 1000)


def match_text(text: str) -> str:
    return " ".join(text.split()).casefold()


class LinkedInItems(LinkedInClient):
    """Parsing, for the connector: what the organisation itself wrote has direction out."""

    def _post_item(self, raw: Any) -> FetchedItem:
        if not isinstance(raw, dict):
            raise Malformed("post is not an object")
        urn = raw.get("id")
        if not isinstance(urn, str) or not URN_RE.match(urn):
            raise Malformed("post id is not a URN")
        created = raw.get("createdAt") or raw.get("publishedAt")
        if not isinstance(created, int) or isinstance(created, bool):
            raise Malformed("createdAt is not epoch milliseconds")
        text = raw.get("commentary", "")
        if not isinstance(text, str):
            raise Malformed("commentary is not a string")
        return FetchedItem(
            external_id=urn,
            kind=KIND_POST,
            text=clean_text(text),
            author=self._organisation(),
            created_at=self._millis(created),
            thread_key=urn,
            raw=clean_json(raw),
            direction=DIRECTION_OUT,
            url=f"https://www.linkedin.com/feed/update/{urn}/",
        )

    def _comment_item(self, raw: Any, *, post_urn: str) -> FetchedItem:
        if not isinstance(raw, dict):
            raise Malformed("comment is not an object")
        urn = raw.get("commentUrn") or raw.get("$URN")
        if not isinstance(urn, str) or not COMMENT_URN_RE.match(urn):
            raise Malformed("commentUrn is missing or not a comment URN")
        actor = raw.get("actor")
        if not isinstance(actor, str) or not URN_RE.match(actor):
            raise Malformed("actor is not a URN")
        message = raw.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str):
            raise Malformed("message.text is missing or not a string")
        created = raw.get("created")
        millis = created.get("time") if isinstance(created, dict) else None
        if not isinstance(millis, int) or isinstance(millis, bool):
            raise Malformed("created.time is not epoch milliseconds")
        parent = raw.get("parentComment", "")
        if not isinstance(parent, str):
            raise Malformed("parentComment is not a URN")
        own = actor == self.org_urn
        return FetchedItem(
            external_id=urn,
            kind=KIND_COMMENT,
            text=clean_text(text),
            author=self._organisation() if own else FetchedAuthor(external_id=actor, handle=""),
            created_at=self._millis(millis),
            thread_key=post_urn,
            raw=clean_json(raw),
            direction=DIRECTION_OUT if own else DIRECTION_IN,
            in_reply_to=parent or post_urn,
            url=f"https://www.linkedin.com/feed/update/{post_urn}?commentUrn={enc(urn)}",
        )

    @staticmethod
    def _millis(value: int) -> dt.datetime:
        try:
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise Malformed("time is out of range") from None

    def _organisation(self) -> FetchedAuthor:
        return FetchedAuthor(
            external_id=self.org_urn,
            handle=self.account.handle,
            name=self.account.handle,
            profile_url=f"https://www.linkedin.com/company/{self.account.handle}/"
            if self.account.handle
            else "",
        )
