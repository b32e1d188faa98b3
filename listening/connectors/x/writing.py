"""Writing on X: replies, posts, direct messages, hiding and deleting, and finding what was sent."""

from __future__ import annotations

from listening.connectors.base import ConnectorError, SentMessage
from listening.connectors.http import clean_json
from listening.connectors.x.client import DM_EVENT_FIELDS, PAGE_SIZE, TWEET_FIELDS, XClient
from listening.connectors.x.items import ID_RE, envelope, normalise_for_match


class XWriting(XClient):
    """Answering in public and in private, publishing, moderating, and checking before a re-send."""

    def send_public_reply(self, *, text: str, in_reply_to: str) -> SentMessage:
        client, user_auth = self._user_client()
        with self._errors(action="posting a reply", writing=True):
            body = client.create_tweet(text=text, in_reply_to_tweet_id=in_reply_to, user_auth=user_auth)
        data = body.get("data") if isinstance(body, dict) else None
        tweet_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(tweet_id, str) or not ID_RE.match(tweet_id):
            # The network said yes but we cannot tell to what: treat as unknown
            # outcome, so the caller checks with find_sent before any retry.
            raise ConnectorError("X accepted the reply but returned no tweet id", permanent=False)
        return SentMessage(
            external_id=tweet_id,
            url=f"https://x.com/{self.account.handle}/status/{tweet_id}",
            raw=clean_json(data),
        )

    def publish_post(self, *, text: str) -> SentMessage:
        """A post of the bank's own on its timeline (create_tweet without a reply target)."""
        client, user_auth = self._user_client()
        with self._errors(action="publishing a post", writing=True):
            body = client.create_tweet(text=text, user_auth=user_auth)
        data = body.get("data") if isinstance(body, dict) else None
        tweet_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(tweet_id, str) or not ID_RE.match(tweet_id):
            raise ConnectorError("X accepted the post but returned no tweet id", permanent=False)
        return SentMessage(
            external_id=tweet_id,
            url=f"https://x.com/{self.account.handle}/status/{tweet_id}",
            raw=clean_json(data),
        )

    def find_published(self, *, text: str) -> SentMessage | None:
        """Our own post (not a reply) with this text among the bank's latest 100 tweets."""
        wanted = normalise_for_match(text)
        client, user_auth = self._read_client()
        with self._errors(action="looking for a published post"):
            body = client.get_users_tweets(
                self.account.external_id,
                max_results=PAGE_SIZE,
                exclude=["replies", "retweets"],
                tweet_fields=TWEET_FIELDS,
                user_auth=user_auth,
            )
        data, _, _ = envelope(body, "the bank's timeline")
        for raw in data:
            if not isinstance(raw, dict):
                continue
            tweet_id, raw_text = raw.get("id"), raw.get("text")
            if (
                isinstance(tweet_id, str)
                and ID_RE.match(tweet_id)
                and isinstance(raw_text, str)
                and normalise_for_match(raw_text) == wanted
            ):
                return SentMessage(
                    external_id=tweet_id,
                    url=f"https://x.com/{self.account.handle}/status/{tweet_id}",
                    raw=clean_json(raw),
                )
        return None

    def send_private_message(self, *, text: str, recipient_id: str, thread_key: str) -> SentMessage:
        client, user_auth = self._user_client()
        conversation = thread_key.removeprefix("dm:") if thread_key.startswith("dm:") else ""
        with self._errors(action="sending a direct message", writing=True):
            if recipient_id:
                body = client.create_direct_message(
                    participant_id=recipient_id, text=text, user_auth=user_auth
                )
            elif conversation:
                body = client.create_direct_message(
                    dm_conversation_id=conversation, text=text, user_auth=user_auth
                )
            else:
                raise ConnectorError(
                    "a direct message needs recipient_id or a dm: thread key", permanent=True
                )
        data = body.get("data") if isinstance(body, dict) else None
        event_id = data.get("dm_event_id") if isinstance(data, dict) else None
        if not isinstance(event_id, str) or not event_id:
            raise ConnectorError("X accepted the message but returned no event id", permanent=False)
        conversation = str(data.get("dm_conversation_id") or conversation)  # type: ignore[union-attr]
        return SentMessage(
            external_id=event_id, url=f"https://x.com/messages/{conversation}", raw=clean_json(data)
        )

    def hide(self, *, external_id: str) -> None:
        """Hide a reply in a conversation the bank's account started (X's hide replies)."""
        self._set_hidden(external_id, hidden=True)

    def unhide(self, *, external_id: str) -> None:
        self._set_hidden(external_id, hidden=False)

    def _set_hidden(self, external_id: str, *, hidden: bool) -> None:
        client, user_auth = self._user_client()
        action = "hiding a reply" if hidden else "showing a hidden reply"
        with self._errors(action=action, writing=True):
            call = client.hide_reply if hidden else client.unhide_reply
            body = call(external_id, user_auth=user_auth)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("hidden") is not hidden:
            raise ConnectorError(f"X did not confirm {action}", permanent=False)

    def delete(self, *, external_id: str) -> None:
        client, user_auth = self._user_client()
        with self._errors(action="deleting a post", writing=True):
            body = client.delete_tweet(external_id, user_auth=user_auth)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict) or data.get("deleted") is not True:
            raise ConnectorError("X did not confirm deleting the post", permanent=False)

    def find_sent(self, *, text: str, in_reply_to: str) -> SentMessage | None:
        """Look for our own reply to `in_reply_to` (a tweet id, or "dm:<conversation>") with this text."""
        wanted = normalise_for_match(text)
        if in_reply_to.startswith("dm:"):
            return self._find_sent_dm(wanted, in_reply_to.removeprefix("dm:"))
        client, user_auth = self._read_client()
        token: str | None = None
        for _ in range(2):  # the bank's latest 200 tweets: a re-send check runs minutes later, not days
            with self._errors(action="looking for a sent reply"):
                body = client.get_users_tweets(
                    self.account.external_id,
                    max_results=PAGE_SIZE,
                    pagination_token=token,
                    tweet_fields=TWEET_FIELDS,
                    user_auth=user_auth,
                )
            data, _, meta = envelope(body, "the bank's timeline")
            for raw in data:
                if not isinstance(raw, dict):
                    continue
                refs = raw.get("referenced_tweets") or []
                replied = any(
                    isinstance(r, dict) and r.get("type") == "replied_to" and r.get("id") == in_reply_to
                    for r in refs
                )
                raw_text = raw.get("text")
                tweet_id = raw.get("id")
                if (
                    replied
                    and isinstance(raw_text, str)
                    and isinstance(tweet_id, str)
                    and ID_RE.match(tweet_id)
                    and normalise_for_match(raw_text) == wanted
                ):
                    return SentMessage(
                        external_id=tweet_id,
                        url=f"https://x.com/{self.account.handle}/status/{tweet_id}",
                        raw=clean_json(raw),
                    )
            token = meta.get("next_token") if isinstance(meta.get("next_token"), str) else None
            if not token:
                break
        return None

    def _find_sent_dm(self, wanted: str, conversation: str) -> SentMessage | None:
        client, user_auth = self._user_client()
        with self._errors(action="looking for a sent direct message"):
            body = client.get_direct_message_events(
                dm_conversation_id=conversation,
                max_results=PAGE_SIZE,
                dm_event_fields=DM_EVENT_FIELDS,
                user_auth=user_auth,
            )
        data, _, _ = envelope(body, "dm_events")
        for raw in data:
            if not isinstance(raw, dict) or raw.get("sender_id") != self.account.external_id:
                continue
            if isinstance(raw.get("text"), str) and normalise_for_match(raw["text"]) == wanted:
                return SentMessage(
                    external_id=str(raw.get("id")),
                    url=f"https://x.com/messages/{conversation}",
                    raw=clean_json(raw),
                )
        return None
