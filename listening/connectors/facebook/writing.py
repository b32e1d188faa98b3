"""Writing on a Facebook Page: comments, posts, Messenger messages, hiding, deleting."""

from __future__ import annotations

import json
from typing import Any

from listening.connectors.base import ConnectorError, SentMessage
from listening.connectors.facebook.client import MESSAGE_FIELDS, PAGE_SIZE, FacebookClient
from listening.connectors.graph import match_text
from listening.connectors.http import clean_json


class FacebookWriting(FacebookClient):
    """Answering in public and in Messenger, publishing, moderating, and checking before a re-send."""

    def send_public_reply(self, *, text: str, in_reply_to: str) -> SentMessage:
        graph = self._client()
        with self._errors(action="posting a comment", writing=True):
            body = graph.put_comment(object_id=in_reply_to, message=text)
        comment_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(comment_id, str) or not comment_id:
            raise ConnectorError("Graph accepted the comment but returned no id", permanent=False)
        return SentMessage(
            external_id=comment_id, url=f"https://www.facebook.com/{comment_id}", raw=clean_json(body)
        )

    def publish_post(self, *, text: str) -> SentMessage:
        """A post on the page's own feed (facebook-sdk's put_object on the page's feed edge)."""
        graph = self._client()
        with self._errors(action="publishing a post", writing=True):
            body = graph.put_object(parent_object=self.page_id, connection_name="feed", message=text)
        post_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(post_id, str) or not post_id:
            raise ConnectorError("Graph accepted the post but returned no id", permanent=False)
        return SentMessage(
            external_id=post_id,
            url=f"https://www.facebook.com/{post_id.replace('_', '/posts/', 1)}",
            raw=clean_json(body),
        )

    def find_published(self, *, text: str) -> SentMessage | None:
        """Our post with this text among the page's latest posts."""
        wanted = match_text(text)
        args: dict[str, Any] = {"fields": "id,message,from,created_time", "limit": PAGE_SIZE}
        for data in self._pages(f"{self.page_id}/posts", args, action="looking for a published post"):
            for raw in data:
                if not isinstance(raw, dict) or not isinstance(raw.get("message"), str):
                    continue
                if match_text(raw["message"]) == wanted and isinstance(raw.get("id"), str):
                    post_id = raw["id"]
                    return SentMessage(
                        external_id=post_id,
                        url=f"https://www.facebook.com/{post_id.replace('_', '/posts/', 1)}",
                        raw=clean_json(raw),
                    )
            break  # the latest page is enough: a re-send check runs minutes after the first try
        return None

    def send_private_message(self, *, text: str, recipient_id: str, thread_key: str) -> SentMessage:
        if not recipient_id and thread_key.startswith("m:"):
            recipient_id = self._customer_in(thread_key.removeprefix("m:"))
        if not recipient_id:
            raise ConnectorError(
                "a Messenger reply needs the customer's id or an m: thread key", permanent=True
            )
        body = self._request(
            "me/messages",
            post={
                # The Send API takes JSON-encoded values in a form body.
                "recipient": json.dumps({"id": recipient_id}),
                "message": json.dumps({"text": text}),
                "messaging_type": "RESPONSE",
            },
            action="sending a Messenger message",
            writing=True,
        )
        message_id = body.get("message_id")
        if not isinstance(message_id, str) or not message_id:
            raise ConnectorError("Graph accepted the message but returned no id", permanent=False)
        return SentMessage(external_id=message_id, raw=clean_json(body))

    def _customer_in(self, conversation_id: str) -> str:
        body = self._request(
            conversation_id, args={"fields": "participants"}, action="reading a conversation"
        )
        participants = body.get("participants", {})
        people = participants.get("data", []) if isinstance(participants, dict) else []
        for person in people:
            if (
                isinstance(person, dict)
                and isinstance(person.get("id"), str)
                and person["id"] != self.page_id
            ):
                return person["id"]
        return ""

    def hide(self, *, external_id: str) -> None:
        self._set_hidden(external_id, hidden=True)

    def unhide(self, *, external_id: str) -> None:
        self._set_hidden(external_id, hidden=False)

    def _set_hidden(self, external_id: str, *, hidden: bool) -> None:
        action = "hiding a comment" if hidden else "showing a hidden comment"
        body = self._request(
            external_id, post={"is_hidden": "true" if hidden else "false"}, action=action, writing=True
        )
        if body.get("success") is not True:
            raise ConnectorError(f"Graph did not confirm {action}", permanent=False)

    def delete(self, *, external_id: str) -> None:
        graph = self._client()
        with self._errors(action="deleting a comment", writing=True):
            body = graph.request(f"{graph.version}/{external_id}", method="DELETE")
        if not isinstance(body, dict) or body.get("success") is not True:
            raise ConnectorError("Graph did not confirm deleting the comment", permanent=False)

    def find_sent(self, *, text: str, in_reply_to: str) -> SentMessage | None:
        """Our comment under `in_reply_to`, or our Messenger message in "m:<conversation>"."""
        wanted = match_text(text)
        if in_reply_to.startswith("m:"):
            path = f"{in_reply_to.removeprefix('m:')}/messages"
            args: dict[str, Any] = {"fields": MESSAGE_FIELDS, "limit": PAGE_SIZE}
        else:
            path = f"{in_reply_to}/comments"
            args = {"fields": "id,message,from", "filter": "stream", "order": "reverse_chronological",
                    "limit": PAGE_SIZE}  # fmt: skip
        for data in self._pages(path, args, action="looking for a sent reply"):
            for raw in data:
                if not isinstance(raw, dict):
                    continue
                sender = raw.get("from")
                if not isinstance(sender, dict) or sender.get("id") != self.page_id:
                    continue
                if isinstance(raw.get("message"), str) and match_text(raw["message"]) == wanted:
                    found_id = str(raw.get("id", ""))
                    url = "" if in_reply_to.startswith("m:") else f"https://www.facebook.com/{found_id}"
                    return SentMessage(external_id=found_id, url=url, raw=clean_json(raw))
        return None
