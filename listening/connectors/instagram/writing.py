"""Writing on Instagram: comments and replies, direct messages, hiding, deleting."""

from __future__ import annotations

import datetime as dt
from typing import Any

from listening.connectors.base import ConnectorError, SentMessage
from listening.connectors.graph import Malformed, match_text, parse_time
from listening.connectors.http import clean_json
from listening.connectors.instagram.client import (
    MESSAGE_FIELDS,
    ONE_COMMENT_FIELDS,
    PAGE_SIZE,
    InstagramClient,
)
from listening.connectors.instagram.items import THREAD_PREFIX

# The Messaging API's windows, counted from the person's last message.
STANDARD_WINDOW = dt.timedelta(hours=24)
HUMAN_AGENT_WINDOW = dt.timedelta(days=7)


class InstagramWriting(InstagramClient):
    """Answering in public and in private, and moderating comments."""

    def _reply_target(self, object_id: str) -> tuple[str, str]:
        """Where an answer to `object_id` goes: ("replies", top-level comment) or ("comments", media).

        Instagram keeps replies one level deep, so an answer to a reply goes under its parent.
        A media has no `parent_id` field: Graph's (#100) "nonexisting field" says it is one.
        """
        try:
            body = self._call(
                "GET", object_id, params={"fields": "id,parent_id"}, action="looking up the comment"
            )
        except ConnectorError as exc:
            if getattr(exc, "graph_code", None) == 100 and "nonexisting field" in exc.message:
                return "comments", object_id
            raise
        parent = body.get("parent_id")
        return "replies", parent if isinstance(parent, str) and parent else object_id

    def send_public_reply(self, *, text: str, in_reply_to: str) -> SentMessage:
        edge, target = self._reply_target(in_reply_to)
        body = self._call(
            "POST", f"{target}/{edge}", data={"message": text}, action="posting a comment", writing=True
        )
        comment_id = body.get("id")
        if not isinstance(comment_id, str) or not comment_id:
            raise ConnectorError("Instagram accepted the comment but returned no id")
        return SentMessage(external_id=comment_id, raw=clean_json(body))

    def _last_from_customer(self, conversation_id: str) -> tuple[str, dt.datetime | None]:
        """The customer's id in a conversation and when they last wrote (the window's start)."""
        params = {"fields": "id,created_time,from", "limit": 25}
        for data in self._pages(f"{conversation_id}/messages", params, action="reading a conversation"):
            for raw in data:
                sender = raw.get("from") if isinstance(raw, dict) else None
                if (
                    isinstance(sender, dict)
                    and isinstance(sender.get("id"), str)
                    and sender["id"] != self.user_id
                ):
                    try:
                        return sender["id"], parse_time(raw.get("created_time"))
                    except Malformed:
                        return sender["id"], None
        return "", None

    def send_private_message(self, *, text: str, recipient_id: str, thread_key: str) -> SentMessage:
        if not thread_key.startswith(THREAD_PREFIX):
            raise ConnectorError("an Instagram message needs the ig: conversation it answers", permanent=True)
        customer, last = self._last_from_customer(thread_key.removeprefix(THREAD_PREFIX))
        recipient_id = recipient_id or customer
        if not recipient_id or last is None:
            raise ConnectorError("the customer has not written to the account on Instagram", permanent=True)
        payload: dict[str, Any] = {"recipient": {"id": recipient_id}, "message": {"text": text}}
        age = dt.datetime.now(dt.UTC) - last
        if age > HUMAN_AGENT_WINDOW:
            raise ConnectorError("Instagram's 7-day window for a person's answer has closed", permanent=True)
        if age > STANDARD_WINDOW:
            # Past 24 hours only a person may answer, and must say so with the HUMAN_AGENT tag.
            payload.update({"messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"})
        body = self._call(
            "POST", "me/messages", json=payload, action="sending an Instagram message", writing=True
        )
        message_id = body.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise ConnectorError("Instagram accepted the message but returned no id")
        return SentMessage(external_id=message_id, raw=clean_json(body))

    def hide(self, *, external_id: str) -> None:
        self._set_hidden(external_id, True)

    def unhide(self, *, external_id: str) -> None:
        self._set_hidden(external_id, False)

    def _set_hidden(self, external_id: str, hidden: bool) -> None:
        action = "hiding a comment" if hidden else "unhiding a comment"
        body = self._call(
            "POST", external_id, data={"hide": "true" if hidden else "false"}, action=action, writing=True
        )
        if body.get("success") is not True:
            raise ConnectorError(f"Instagram did not confirm {action}")

    def delete(self, *, external_id: str) -> None:
        body = self._call("DELETE", external_id, action="deleting a comment", writing=True)
        if body.get("success") is not True:
            raise ConnectorError("Instagram did not confirm deleting the comment")

    def find_sent(self, *, text: str, in_reply_to: str) -> SentMessage | None:
        """Our comment answering `in_reply_to`, or our message in "ig:<conversation>"."""
        wanted = match_text(text)
        if in_reply_to.startswith(THREAD_PREFIX):
            path, key = f"{in_reply_to.removeprefix(THREAD_PREFIX)}/messages", "message"
            params: dict[str, Any] = {"fields": MESSAGE_FIELDS, "limit": 25}
        else:
            edge, target = self._reply_target(in_reply_to)
            path, key = f"{target}/{edge}", "text"
            params = {"fields": ONE_COMMENT_FIELDS, "limit": PAGE_SIZE}
        for data in self._pages(path, params, action="looking for a sent reply"):
            for raw in data:
                sender = raw.get("from") if isinstance(raw, dict) else None
                if not isinstance(sender, dict) or sender.get("id") != self.user_id:
                    continue
                if isinstance(raw.get(key), str) and match_text(raw[key]) == wanted:
                    return SentMessage(external_id=str(raw.get("id", "")), raw=clean_json(raw))
        return None
