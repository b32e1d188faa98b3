"""Reading X: mentions, direct messages and recent search, page by page down to the cursors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tweepy

from listening.connectors.base import (
    ConnectorError,
    FetchedItem,
    FetchResult,
    ItemGone,
    ItemUnreadable,
    RateBudget,
    RateLimited,
)
from listening.connectors.x.client import DM_EVENT_FIELDS, PAGE_SIZE, TWEET_FIELDS, USER_FIELDS
from listening.connectors.x.items import ID_RE, Malformed, Page, XItems, envelope, next_token, users_by_id


class XReading(XItems):
    """Fetching a poll's new items, running a search, and reading quarantined ones again."""

    def fetch(self, cursors: dict[str, str]) -> FetchResult:
        self._rate = None
        result = FetchResult(cursors={})
        self._walk("mentions", cursors, result, self._mentions_page)
        wants_dms = self.account.options.get("direct_messages", True)
        if wants_dms and self._has_user_context():
            try:
                self._walk("dm_events", cursors, result, self._dm_page)
            except RateLimited as exc:
                # Mentions were read: keep them, leave the DM cursor where it
                # was, and let the budget tell the scheduler when to come back.
                result.cursors.update(self._stream_cursors("dm_events", cursors))
                result.rate = RateBudget(remaining=0, reset_at=exc.reset_at)
                return result
        result.rate = result.rate or self._rate
        return result

    def search(self, *, query: str, cursors: dict[str, str]) -> FetchResult:
        self._rate = None
        result = FetchResult(cursors={})

        def page(since: str, token: str) -> Page:
            client, user_auth = self._read_client()
            with self._errors(action="recent search"):
                body = client.search_recent_tweets(
                    query,
                    since_id=since or None,
                    next_token=token or None,
                    max_results=PAGE_SIZE,
                    tweet_fields=TWEET_FIELDS,
                    expansions=["author_id"],
                    user_fields=USER_FIELDS,
                    user_auth=user_auth,
                )
            return self._tweet_page(body, stream="search", since=since)

        self._walk("search", cursors, result, page)
        result.rate = result.rate or self._rate
        return result

    @staticmethod
    def _stream_cursors(stream: str, cursors: dict[str, str]) -> dict[str, str]:
        return {
            stream: cursors.get(stream, ""),
            f"{stream}_page": cursors.get(f"{stream}_page", ""),
            f"{stream}_head": cursors.get(f"{stream}_head", ""),
        }

    def _walk(
        self,
        stream: str,
        cursors: dict[str, str],
        result: FetchResult,
        read_page: Callable[[str, str], Page],
    ) -> None:
        """Read a newest-first timeline down to the stored cursor, at most max_pages pages.

        X only pages from newest to oldest. When the backlog is longer than we
        read in one poll, the cursor cannot jump to the newest id (the middle
        would be lost): we keep the old cursor and remember where to continue.
        """
        since = cursors.get(stream, "")
        token = cursors.get(f"{stream}_page", "")
        head = cursors.get(f"{stream}_head", "")
        for number in range(self._max_pages()):
            try:
                page = read_page(since, token)
            except RateLimited as exc:
                if number == 0:
                    raise
                # Keep what was read; the next poll resumes at the same page.
                result.cursors.update({stream: since, f"{stream}_page": token, f"{stream}_head": head})
                result.rate = RateBudget(remaining=0, reset_at=exc.reset_at)
                return
            result.items.extend(page.items)
            result.quarantined.extend(page.quarantined)
            head = head or page.newest_id
            token = page.next_token
            if not token or page.reached_cursor:
                result.cursors.update({stream: head or since, f"{stream}_page": "", f"{stream}_head": ""})
                return
        result.cursors.update({stream: since, f"{stream}_page": token, f"{stream}_head": head})

    def _mentions_page(self, since: str, token: str) -> Page:
        client, user_auth = self._read_client()
        with self._errors(action="reading mentions"):
            body = client.get_users_mentions(
                self.account.external_id,
                since_id=since or None,
                pagination_token=token or None,
                max_results=PAGE_SIZE,
                tweet_fields=TWEET_FIELDS,
                expansions=["author_id"],
                user_fields=USER_FIELDS,
                user_auth=user_auth,
            )
        return self._tweet_page(body, stream="mentions", since=since)

    def _dm_page(self, since: str, token: str) -> Page:
        client, user_auth = self._user_client()
        with self._errors(action="reading direct messages"):
            body = client.get_direct_message_events(
                pagination_token=token or None,
                max_results=PAGE_SIZE,
                event_types="MessageCreate",
                dm_event_fields=DM_EVENT_FIELDS,
                expansions=["sender_id"],
                user_fields=USER_FIELDS,
                user_auth=user_auth,
            )
        data, includes, meta = envelope(body, "dm_events")
        users = users_by_id(includes)
        page = Page(items=[], quarantined=[], newest_id="", next_token="")
        ids: list[int] = []
        for raw in data:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and ID_RE.match(raw_id):
                ids.append(int(raw_id))
                # No since_id on this endpoint: stop at what the last poll stored.
                if since and int(raw_id) <= int(since):
                    page.reached_cursor = True
                    continue
            page.add("dm_events", raw, raw_id, lambda r: self._dm(r, users))
        page.newest_id = str(max(ids)) if ids else ""
        page.next_token = next_token(meta, "dm_events")
        return page

    # -- quarantine --------------------------------------------------------------------

    def refetch(self, *, stream: str, external_id: str, context: dict[str, Any]) -> FetchedItem | None:
        if stream not in ("mentions", "search"):
            # X API v2 has no look-up of one direct-message event by id.
            return super().refetch(stream=stream, external_id=external_id, context=context)
        if not ID_RE.match(external_id):
            raise ItemUnreadable(f"{external_id!r} is not a tweet id")
        client, user_auth = self._read_client()
        try:
            with self._errors(action="reading one post"):
                body = client.get_tweet(
                    external_id,
                    tweet_fields=TWEET_FIELDS,
                    expansions=["author_id"],
                    user_fields=USER_FIELDS,
                    user_auth=user_auth,
                )
        except ConnectorError as exc:
            if isinstance(exc.__cause__, tweepy.NotFound):
                raise ItemGone("X no longer has this post (deleted or protected)") from exc
            raise
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, dict):
            # X answers a deleted post with 200 and an `errors` list.
            raise ItemGone("X no longer has this post (deleted or protected)")
        includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
        try:
            return self._tweet(data, users_by_id(includes), stream=stream)
        except Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc

    def parse_quarantined(self, *, stream: str, raw: Any, context: dict[str, Any]) -> FetchedItem | None:
        try:
            if stream == "dm_events":
                return self._dm(raw, {})
            if stream in ("mentions", "search"):
                return self._tweet(raw, {}, stream=stream)
        except Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
        return super().parse_quarantined(stream=stream, raw=raw, context=context)
