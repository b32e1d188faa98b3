"""Writing on LinkedIn as the organisation: comments and replies, posts, and finding what was sent."""

from __future__ import annotations

from typing import Any

import requests

from listening.connectors.base import ConnectorError, SentMessage
from listening.connectors.http import clean_json
from listening.connectors.linkedin.client import LinkedInClient
from listening.connectors.linkedin.items import COMMENT_URN_RE, enc, match_text


class LinkedInWriting(LinkedInClient):
    """Commenting and publishing as the organisation, and checking before a re-send."""

    def send_public_reply(self, *, text: str, in_reply_to: str) -> SentMessage:
        """Comment as the organisation on a post, or reply under a comment."""
        match = COMMENT_URN_RE.match(in_reply_to)
        payload: dict[str, Any] = {"actor": self.org_urn, "message": {"text": text}}
        if match:
            # A reply names the post's activity as its object and the comment as parent.
            payload.update({"object": match.group(1), "parentComment": in_reply_to})
        else:
            payload["object"] = in_reply_to
        body = self._call(
            "POST",
            f"/rest/socialActions/{enc(in_reply_to)}/comments",
            json=payload,
            action="posting a comment",
            writing=True,
        )
        urn = body.get("commentUrn") if isinstance(body, dict) else None
        if not isinstance(urn, str) or not COMMENT_URN_RE.match(urn):
            raise ConnectorError("LinkedIn accepted the comment but returned no comment URN", permanent=False)
        post = in_reply_to if not match else ""
        url = f"https://www.linkedin.com/feed/update/{post}?commentUrn={enc(urn)}" if post else ""
        return SentMessage(external_id=urn, url=url, raw=clean_json(body))

    def publish_post(self, *, text: str) -> SentMessage:
        """A public post as the organisation (Posts API); its URN comes in the x-restli-id header."""
        payload = {
            "author": self.org_urn,
            "commentary": text,
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED",
                "targetEntities": [],
                "thirdPartyDistributionChannels": [],
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        try:
            response = self._http().request("POST", f"{self._base_url}/rest/posts", json=payload)
        except requests.Timeout as exc:
            raise ConnectorError(
                "LinkedIn timed out on publishing a post (it may or may not have been posted)",
                permanent=False,
            ) from exc
        except requests.RequestException as exc:
            raise ConnectorError(
                f"cannot reach LinkedIn for publishing a post: {exc.__class__.__name__}"
            ) from exc
        with response:
            self._raise_for(response, action="publishing a post", writing=True)
            urn = response.headers.get("x-restli-id", "")
        if not urn.startswith("urn:li:"):
            raise ConnectorError("LinkedIn accepted the post but returned no post URN", permanent=False)
        return SentMessage(external_id=urn, url=f"https://www.linkedin.com/feed/update/{urn}/")

    def find_published(self, *, text: str) -> SentMessage | None:
        wanted = match_text(text)
        body = self._call(
            "GET",
            "/rest/posts",
            params={"q": "author", "author": self.org_urn, "count": 50, "sortBy": "LAST_MODIFIED"},
            action="looking for a published post",
        )
        posts = body.get("elements") if isinstance(body, dict) else None
        for raw in posts if isinstance(posts, list) else []:
            if not isinstance(raw, dict):
                continue
            urn, commentary = raw.get("id"), raw.get("commentary")
            if isinstance(urn, str) and isinstance(commentary, str) and match_text(commentary) == wanted:
                return SentMessage(
                    external_id=urn, url=f"https://www.linkedin.com/feed/update/{urn}/", raw=clean_json(raw)
                )
        return None

    def find_sent(self, *, text: str, in_reply_to: str) -> SentMessage | None:
        wanted = match_text(text)
        path = f"/rest/socialActions/{enc(in_reply_to)}/comments"
        for elements in self._elements(path, {}, action="looking for a sent comment"):
            for raw in elements:
                if not isinstance(raw, dict) or raw.get("actor") != self.org_urn:
                    continue
                message = raw.get("message")
                body = message.get("text") if isinstance(message, dict) else None
                urn = raw.get("commentUrn")
                if isinstance(body, str) and isinstance(urn, str) and match_text(body) == wanted:
                    return SentMessage(external_id=urn, raw=clean_json(raw))
        return None
