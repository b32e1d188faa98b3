"""Reading a LinkedIn organisation: its recent posts, the comments and replies under them."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from listening.connectors.base import (
    DIRECTION_OUT,
    ConnectorError,
    FetchedAuthor,
    FetchedItem,
    FetchResult,
    ItemGone,
    ItemUnreadable,
    Quarantined,
)
from listening.connectors.http import clean_json, clean_text
from listening.connectors.linkedin.items import (
    COMMENT_URN_RE,
    LinkedInItems,
    Malformed,
    enc,
    quarantine_urn,
    to_millis,
)

DEFAULT_RECENT_POSTS = 10
# How many top-level comments per post we look under for new replies.
REPLY_SCAN = 50


class LinkedInReading(LinkedInItems):
    """Fetching a poll's new items, and reading quarantined ones again."""

    def fetch(self, cursors: dict[str, str]) -> FetchResult:
        result = FetchResult()
        posts_since = int(cursors["posts"]) if cursors.get("posts", "").isdigit() else 0
        since = int(cursors["comments"]) if cursors.get("comments", "").isdigit() else 0
        # Space-separated: comment URNs contain commas.
        seen = set(cursors.get("comments_seen", "").split())
        newest, newest_ids = since, set(seen)

        body = self._call(
            "GET",
            "/rest/posts",
            params={
                "q": "author",
                "author": self.org_urn,
                "count": self._option("recent_posts", DEFAULT_RECENT_POSTS),
                "sortBy": "LAST_MODIFIED",
            },
            action="listing the organisation's posts",
        )
        posts = body.get("elements") if isinstance(body, dict) else None
        if not isinstance(posts, list):
            raise ConnectorError("LinkedIn answered the post list without an elements list")
        newest_post = posts_since
        for raw_post in posts:
            try:
                post = self._post_item(raw_post)
            except Malformed as exc:
                result.quarantined.append(
                    Quarantined(stream="posts", reason=str(exc), raw=clean_json(raw_post))
                )
                continue
            created = to_millis(post.created_at)
            if not posts_since or created > posts_since:
                result.items.append(post)
            newest_post = max(newest_post, created)
            for comment, raw in self._comments_under(post.external_id, result):
                created = to_millis(comment.created_at)
                if not since or created > since or (created == since and comment.external_id not in seen):
                    result.items.append(self._with_author(comment, raw))
                if created > newest:
                    newest, newest_ids = created, {comment.external_id}
                elif created == newest:
                    newest_ids.add(comment.external_id)
        result.cursors = {
            "posts": str(newest_post) if newest_post else "",
            "comments": str(newest) if newest else "",
            "comments_seen": " ".join(sorted(newest_ids)),
        }
        return result

    def _comments_under(
        self, post_urn: str, result: FetchResult
    ) -> Iterator[tuple[FetchedItem, dict[str, Any]]]:
        """Top-level comments of a post, then replies under the newest of them."""
        with_replies: list[str] = []
        for elements in self._elements(
            f"/rest/socialActions/{enc(post_urn)}/comments", {}, action="reading comments"
        ):
            for raw in elements:
                item = self._parse(result, raw, post_urn)
                if item is None:
                    continue
                summary = raw.get("commentsSummary") if isinstance(raw, dict) else None
                if isinstance(summary, dict) and (summary.get("totalFirstLevelComments") or 0) > 0:
                    with_replies.append(item.external_id)
                yield item, raw
        for comment_urn in with_replies[:REPLY_SCAN]:
            path = f"/rest/socialActions/{enc(comment_urn)}/comments"
            for elements in self._elements(path, {}, action="reading replies"):
                for raw in elements:
                    item = self._parse(result, raw, post_urn)
                    if item is not None:
                        yield item, raw

    def _parse(self, result: FetchResult, raw: Any, post_urn: str) -> FetchedItem | None:
        try:
            return self._comment_item(raw, post_urn=post_urn)
        except Malformed as exc:
            result.quarantined.append(
                Quarantined(
                    stream="comments",
                    reason=str(exc),
                    raw=clean_json(raw),
                    external_id=quarantine_urn(raw),
                    context={"post_urn": post_urn},
                )
            )
            return None

    # -- quarantine ------------------------------------------------------------------

    def refetch(self, *, stream: str, external_id: str, context: dict[str, Any]) -> FetchedItem | None:
        post_urn = context.get("post_urn")
        match = COMMENT_URN_RE.match(external_id)
        if stream != "comments" or not isinstance(post_urn, str) or not match:
            return super().refetch(stream=stream, external_id=external_id, context=context)
        path = f"/rest/socialActions/{enc(post_urn)}/comments/{match.group(2)}"
        try:
            raw = self._call("GET", path, action="reading one comment")
        except ConnectorError as exc:
            if "(404)" in exc.message:
                raise ItemGone("LinkedIn no longer has this comment") from exc
            raise
        try:
            return self._with_author(self._comment_item(raw, post_urn=post_urn), raw)
        except Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc

    def parse_quarantined(self, *, stream: str, raw: Any, context: dict[str, Any]) -> FetchedItem | None:
        post_urn = context.get("post_urn")
        try:
            if stream == "comments" and isinstance(post_urn, str):
                return self._with_author(self._comment_item(raw, post_urn=post_urn), raw)
            if stream == "posts":
                return self._post_item(raw)
        except Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
        return super().parse_quarantined(stream=stream, raw=raw, context=context)

    # -- commenters ------------------------------------------------------------------

    def _with_author(self, item: FetchedItem, raw: dict[str, Any]) -> FetchedItem:
        """Fill in the commenter's name; a failed lookup keeps the bare URN rather than the whole poll."""
        actor = item.author.external_id
        if item.direction == DIRECTION_OUT or not actor.startswith("urn:li:person:"):
            return item
        if actor not in self._people:
            author = FetchedAuthor(external_id=actor, handle="")
            with contextlib.suppress(ConnectorError):
                person = self._call(
                    "GET",
                    f"/rest/people/(id:{enc(actor.rsplit(':', 1)[1])})",
                    action="looking up a commenter",
                )
                if isinstance(person, dict):
                    first = person.get("localizedFirstName")
                    last = person.get("localizedLastName")
                    vanity = person.get("vanityName")
                    name = " ".join(p for p in (first, last) if isinstance(p, str) and p)
                    vanity = (
                        vanity if isinstance(vanity, str) and re.fullmatch(r"[\w-]{1,100}", vanity) else ""
                    )
                    author = FetchedAuthor(
                        external_id=actor,
                        handle=vanity,
                        name=clean_text(name),
                        profile_url=f"https://www.linkedin.com/in/{vanity}/" if vanity else "",
                    )
            self._people[actor] = author
        return FetchedItem(**{**item.__dict__, "author": self._people[actor]})
