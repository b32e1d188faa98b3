"""X (Twitter) through `tweepy.Client` (API v2).

Credentials (`AccountInfo.credentials`), all strings:

    bearer_token         app-only OAuth 2.0 bearer token: reads mentions and recent search.
    oauth2_user_token    OAuth 2.0 user-context access token of the bank's account
                         (scopes tweet.read tweet.write users.read dm.read dm.write):
                         posts replies, reads and sends direct messages, and reads
                         mentions when there is no bearer_token.
    consumer_key, consumer_secret, access_token, access_token_secret
                         OAuth 1.0a user context, the alternative to oauth2_user_token.

Options (`AccountInfo.options`):

    include_retweets     bool, default False: retweets of mentions are noise for an inbox.
    direct_messages      bool, default True when user-context credentials exist.
    max_pages            int, default 5: pages read per stream per poll (100 items each).

Cursors (`FetchResult.cursors`), all strings, "" meaning unset:

    mentions             since_id: the newest mention stored.
    dm_events            the newest direct-message event id stored (the DM endpoint
                         has no since_id, so we page until we meet it).
    search               since_id for `search()` (kept per listening query by the caller).
    <stream>_page, <stream>_head
                         resume state when a backlog is longer than max_pages: the
                         pagination token to continue from, and the newest id of the
                         walk, which becomes <stream> once the walk reaches the old cursor.
                         Nothing between the old cursor and the newest item is skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
import tweepy
from requests_oauthlib import OAuth1

from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_DIRECT,
    KIND_MENTION,
    KIND_REPLY,
    KIND_SEARCH,
    AccountInfo,
    AuthFailed,
    Connector,
    ConnectorError,
    FetchedAuthor,
    FetchedItem,
    FetchResult,
    ItemGone,
    ItemUnreadable,
    Quarantined,
    RateBudget,
    RateLimited,
    SentMessage,
    register,
    report_usage,
)
from listening.connectors.http import (
    clean_json,
    clean_text,
    epoch_to_datetime,
    header_int,
    mount_base_url,
    network_settings,
    safe_http_url,
)
from listening.connectors.x_billing import billable_units

# The host tweepy 4.17 hard-codes in BaseClient.request; the adapter sends its
# calls to settings.X_API_BASE_URL instead.
TWEEPY_HOST = "https://api.twitter.com"
DEFAULT_BASE_URL = "https://api.x.com"

TWEET_FIELDS = [
    "id",
    "text",
    "author_id",
    "created_at",
    "conversation_id",
    "edit_history_tweet_ids",
    "lang",
    "referenced_tweets",
    "in_reply_to_user_id",
]
USER_FIELDS = ["id", "name", "username", "profile_image_url", "verified", "public_metrics"]
DM_EVENT_FIELDS = [
    "id",
    "text",
    "event_type",
    "created_at",
    "sender_id",
    "dm_conversation_id",
    "participant_ids",
]
PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 5
# When X rate-limits without saying until when, wait one 15-minute window.
DEFAULT_RATE_WINDOW = dt.timedelta(minutes=15)

_ID = re.compile(r"^[0-9]{1,19}$")
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")
_URL = re.compile(r"https?://\S+")
_LEADING_MENTIONS = re.compile(r"^(?:@\w+\s+)+")


class _Malformed(ValueError):
    """One item does not have the shape we rely on."""


@dataclass
class _Page:
    items: list[FetchedItem]
    quarantined: list[Quarantined]
    newest_id: str
    next_token: str
    # True when this page reached ids at or below the old cursor: nothing older is needed.
    reached_cursor: bool = False


def _unescape(text: str) -> str:
    # X escapes exactly these three characters in tweet text; undo only those,
    # in this order, so that text a customer typed as "&amp;" survives.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _require_id(value: Any, name: str) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        raise _Malformed(f"{name} is not an id string: {value!r}"[:200])
    return value


def _parse_time(value: Any, name: str = "created_at") -> dt.datetime:
    if not isinstance(value, str):
        raise _Malformed(f"{name} is missing or not a string")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _Malformed(f"{name} is not an ISO timestamp: {value!r}"[:200]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _next_token(meta: dict[str, Any], what: str) -> str:
    """The token of the next page, "" at the end; a damaged one refuses the page.

    Reading a damaged token as "no more pages" would end the walk and move the
    cursor over every page we never read.
    """
    token = meta.get("next_token")
    if token is None:
        return ""
    if not isinstance(token, str) or not token or len(token) > 1000:
        raise ConnectorError(f"X answered {what} with a damaged next_token", permanent=False)
    return token


def _normalise_for_match(text: str) -> str:
    """What survives X's rewriting of a posted text: no t.co links, no leading @mentions."""
    text = _LEADING_MENTIONS.sub("", _unescape(text).strip())
    return " ".join(_URL.sub("<url>", text).split()).casefold()


@register
class XConnector(Connector):
    network = "x"

    def __init__(self, account: AccountInfo):
        super().__init__(account)
        self._base_url, self._timeout = network_settings("X_API_BASE_URL", DEFAULT_BASE_URL)
        self._rate: RateBudget | None = None
        self._reader: tuple[tweepy.Client, bool] | None = None
        self._writer: tuple[tweepy.Client, bool] | None = None

    # -- clients -------------------------------------------------------------------

    def _credential(self, key: str) -> str:
        value = self.account.credentials.get(key, "")
        return value if isinstance(value, str) else ""

    def _oauth1_keys(self) -> tuple[str, str, str, str] | None:
        keys = tuple(
            self._credential(k)
            for k in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        )
        return keys if all(keys) else None  # type: ignore[return-value]

    def _has_user_context(self) -> bool:
        return bool(self._credential("oauth2_user_token") or self._oauth1_keys())

    def _make_client(
        self, *, bearer: str = "", oauth1: tuple[str, str, str, str] | None = None
    ) -> tweepy.Client:
        if oauth1:
            client = tweepy.Client(
                consumer_key=oauth1[0],
                consumer_secret=oauth1[1],
                access_token=oauth1[2],
                access_token_secret=oauth1[3],
                return_type=dict,
                wait_on_rate_limit=False,
            )
            # OAuth 1.0a signs the URL, host included: after the adapter moves
            # the request to the configured host, it must be signed again.
            signer = OAuth1(oauth1[0], client_secret=oauth1[1], resource_owner_key=oauth1[2],
                            resource_owner_secret=oauth1[3])  # fmt: skip
            resign: Callable[[requests.PreparedRequest], requests.PreparedRequest] | None = signer
        else:
            # return_type=dict: tweepy's model classes raise on the first
            # malformed item and lose the whole page; we validate item by item.
            client = tweepy.Client(bearer_token=bearer, return_type=dict, wait_on_rate_limit=False)
            resign = None
        mount_base_url(
            client.session, source=TWEEPY_HOST, target=self._base_url, timeout=self._timeout, resign=resign
        )
        client.session.hooks["response"].append(self._record_rate)
        client.session.hooks["response"].append(self._record_usage)
        return client

    def _record_usage(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Session hook: what X bills for this answer (pay-per-use), reported as it arrives."""
        report_usage(self.account, billable_units(response))

    def _read_client(self) -> tuple[tweepy.Client, bool]:
        """The client for public reads, and whether its calls need `user_auth=True` (OAuth 1.0a)."""
        if self._reader is None:
            bearer = self._credential("bearer_token") or self._credential("oauth2_user_token")
            if bearer:
                self._reader = (self._make_client(bearer=bearer), False)
            elif oauth1 := self._oauth1_keys():
                self._reader = (self._make_client(oauth1=oauth1), True)
            else:
                raise AuthFailed("X account has no bearer_token, oauth2_user_token or OAuth 1.0a keys")
        return self._reader

    def _user_client(self) -> tuple[tweepy.Client, bool]:
        """The client acting as the bank's account (DMs, posting)."""
        if self._writer is None:
            if token := self._credential("oauth2_user_token"):
                self._writer = (self._make_client(bearer=token), False)
            elif oauth1 := self._oauth1_keys():
                self._writer = (self._make_client(oauth1=oauth1), True)
            else:
                raise AuthFailed(
                    "X account has no user-context credentials (oauth2_user_token or OAuth 1.0a)"
                )
        return self._writer

    def _record_rate(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Session hook: keep the tightest budget seen during this connector's calls."""
        remaining = header_int(response.headers, "x-rate-limit-remaining")
        if remaining is None:
            return
        budget = RateBudget(
            limit=header_int(response.headers, "x-rate-limit-limit"),
            remaining=remaining,
            reset_at=epoch_to_datetime(response.headers.get("x-rate-limit-reset")),
        )
        if self._rate is None or self._rate.remaining is None or remaining <= self._rate.remaining:
            self._rate = budget

    @contextlib.contextmanager
    def _errors(self, *, action: str, writing: bool = False) -> Iterator[None]:
        """Turn tweepy's and requests' exceptions into the connector errors the tasks understand."""
        try:
            yield
        except tweepy.TooManyRequests as exc:
            reset_at = epoch_to_datetime(exc.reset_time) or dt.datetime.now(dt.UTC) + DEFAULT_RATE_WINDOW
            raise RateLimited(reset_at, f"X rate limit on {action}") from exc
        except tweepy.Unauthorized as exc:
            raise AuthFailed(f"X refused the token on {action}: {exc}") from exc
        except tweepy.Forbidden as exc:
            if writing:
                # On a write, 403 is about the content or the conversation (duplicate
                # text, replies restricted), not the token: retrying will not help.
                raise ConnectorError(f"X refused {action}: {exc}", permanent=True) from exc
            raise AuthFailed(f"X forbids {action} for this app or account: {exc}") from exc
        except tweepy.TwitterServerError as exc:
            raise ConnectorError(f"X failed on {action}: {exc}", permanent=False) from exc
        except tweepy.HTTPException as exc:
            raise ConnectorError(f"X rejected {action}: {exc}", permanent=True) from exc
        except requests.JSONDecodeError as exc:
            raise ConnectorError(
                f"X answered {action} with a body that is not JSON", permanent=False
            ) from exc
        except requests.Timeout as exc:
            outcome = " (it may or may not have been posted)" if writing else ""
            raise ConnectorError(f"X timed out on {action}{outcome}", permanent=False) from exc
        except requests.RequestException as exc:
            raise ConnectorError(
                f"cannot reach X for {action}: {exc.__class__.__name__}", permanent=False
            ) from exc

    def _max_pages(self) -> int:
        try:
            return max(1, int(self.account.options.get("max_pages", DEFAULT_MAX_PAGES)))
        except (TypeError, ValueError):
            return DEFAULT_MAX_PAGES

    # -- reading -------------------------------------------------------------------

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

        def page(since: str, token: str) -> _Page:
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
        read_page: Callable[[str, str], _Page],
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

    def _mentions_page(self, since: str, token: str) -> _Page:
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

    def _envelope(self, body: Any, what: str) -> tuple[list[Any], dict[str, Any], dict[str, Any]]:
        """The data list, includes and meta of a page; a page we cannot read at all is an error."""
        if not isinstance(body, dict):
            raise ConnectorError(f"X answered {what} with a {type(body).__name__}, not an object")
        data = body.get("data", [])
        meta = body.get("meta", {})
        includes = body.get("includes", {})
        if not isinstance(data, list) or not isinstance(meta, dict) or not isinstance(includes, dict):
            raise ConnectorError(f"X answered {what} with a page of the wrong shape")
        return data, includes, meta

    def _users(self, includes: dict[str, Any]) -> dict[str, dict[str, Any]]:
        users = includes.get("users", [])
        if not isinstance(users, list):
            return {}
        return {u["id"]: u for u in users if isinstance(u, dict) and isinstance(u.get("id"), str)}

    def _author(self, user_id: str, user: dict[str, Any] | None) -> FetchedAuthor:
        """The author from `includes.users`; a missing or odd profile degrades to just the id."""
        if user is None:
            return FetchedAuthor(external_id=user_id, handle="")
        handle = user.get("username")
        handle = handle if isinstance(handle, str) and _HANDLE.match(handle) else ""
        name = user.get("name")
        metrics = user.get("public_metrics")
        followers = metrics.get("followers_count") if isinstance(metrics, dict) else None
        return FetchedAuthor(
            external_id=user_id,
            handle=handle,
            name=clean_text(name) if isinstance(name, str) else "",
            avatar_url=safe_http_url(user.get("profile_image_url")),
            profile_url=f"https://x.com/{handle}" if handle else "",
            followers=followers if isinstance(followers, int) and not isinstance(followers, bool) else None,
            verified=user.get("verified") is True,
        )

    def _tweet_page(self, body: Any, *, stream: str, since: str) -> _Page:
        data, includes, meta = self._envelope(body, stream)
        users = self._users(includes)
        page = _Page(items=[], quarantined=[], newest_id="", next_token="")
        newest = meta.get("newest_id")
        valid_ids: list[int] = []
        for raw in data:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and _ID.match(raw_id):
                valid_ids.append(int(raw_id))
                if since and int(raw_id) <= int(since):
                    continue  # the server should not send these; never store them twice
            try:
                item = self._tweet(raw, users, stream=stream)
            except _Malformed as exc:
                page.quarantined.append(
                    Quarantined(
                        stream=stream,
                        reason=str(exc),
                        raw=clean_json(raw),
                        external_id=raw_id if isinstance(raw_id, str) else "",
                    )
                )
                continue
            if item is not None:
                page.items.append(item)
        # The cursor is the newest id we actually saw. meta.newest_id is believed
        # only where it can name an item we could not read the id of (quarantined
        # without one): a damaged or lying meta must not move the cursor past
        # posts that are not in this page.
        seen = max(valid_ids, default=0)
        claimed = int(newest) if isinstance(newest, str) and _ID.match(newest) else 0
        idless = any(not q.external_id for q in page.quarantined)
        newest_id = max(seen, claimed if idless else 0)
        if newest_id and since and newest_id < int(since):
            newest_id = int(since)  # a page of stale ids never moves the cursor back
        page.newest_id = str(newest_id) if newest_id else ""
        page.next_token = _next_token(meta, stream)
        return page

    def _tweet(self, raw: Any, users: dict[str, dict[str, Any]], *, stream: str) -> FetchedItem | None:
        if not isinstance(raw, dict):
            raise _Malformed("item is not an object")
        tweet_id = _require_id(raw.get("id"), "id")
        text = raw.get("text")
        if not isinstance(text, str):
            raise _Malformed("text is missing or not a string")
        author_id = _require_id(raw.get("author_id"), "author_id")
        created_at = _parse_time(raw.get("created_at"))
        conversation_id = raw.get("conversation_id", tweet_id)
        conversation_id = _require_id(conversation_id, "conversation_id")
        references = raw.get("referenced_tweets", [])
        if not isinstance(references, list) or not all(
            isinstance(r, dict) and isinstance(r.get("type"), str) and isinstance(r.get("id"), str)
            for r in references
        ):
            raise _Malformed("referenced_tweets is not a list of {type, id}")
        history = raw.get("edit_history_tweet_ids", [tweet_id])
        if not isinstance(history, list) or not all(isinstance(h, str) and _ID.match(h) for h in history):
            raise _Malformed("edit_history_tweet_ids is not a list of ids")
        lang = raw.get("lang", "")
        if not isinstance(lang, str):
            raise _Malformed("lang is not a string")

        kinds = {r["type"]: r["id"] for r in references}
        if "retweeted" in kinds and not self.account.options.get("include_retweets", False):
            return None
        in_reply_to = kinds.get("replied_to", "")
        kind = KIND_SEARCH if stream == "search" else KIND_REPLY if in_reply_to else KIND_MENTION
        user = users.get(author_id)
        author = self._author(author_id, user)
        handle = author.handle
        url = (
            f"https://x.com/{handle}/status/{tweet_id}"
            if handle
            else f"https://x.com/i/web/status/{tweet_id}"
        )
        # An edit is a new tweet whose history starts with the original id.
        replaces = history[0] if len(history) > 1 and history[0] != tweet_id else ""
        return FetchedItem(
            external_id=tweet_id,
            kind=kind,
            text=clean_text(_unescape(text)),
            author=author,
            created_at=created_at,
            thread_key=conversation_id,
            raw=clean_json({"tweet": raw, "author": user}),
            direction=DIRECTION_OUT if author_id == self.account.external_id else DIRECTION_IN,
            in_reply_to=in_reply_to,
            url=url,
            lang="" if lang in ("und", "zxx", "qme", "qht") else lang,
            replaces=replaces,
        )

    # -- quarantine --------------------------------------------------------------------

    def refetch(self, *, stream: str, external_id: str, context: dict[str, Any]) -> FetchedItem | None:
        if stream not in ("mentions", "search"):
            # X API v2 has no look-up of one direct-message event by id.
            return super().refetch(stream=stream, external_id=external_id, context=context)
        if not _ID.match(external_id):
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
            return self._tweet(data, self._users(includes), stream=stream)
        except _Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc

    def parse_quarantined(self, *, stream: str, raw: Any, context: dict[str, Any]) -> FetchedItem | None:
        try:
            if stream == "dm_events":
                return self._dm(raw, {})
            if stream in ("mentions", "search"):
                return self._tweet(raw, {}, stream=stream)
        except _Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
        return super().parse_quarantined(stream=stream, raw=raw, context=context)

    # -- direct messages -------------------------------------------------------------

    def _dm_page(self, since: str, token: str) -> _Page:
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
        data, includes, meta = self._envelope(body, "dm_events")
        users = self._users(includes)
        page = _Page(items=[], quarantined=[], newest_id="", next_token="")
        ids: list[int] = []
        for raw in data:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            if isinstance(raw_id, str) and _ID.match(raw_id):
                ids.append(int(raw_id))
                # No since_id on this endpoint: stop at what the last poll stored.
                if since and int(raw_id) <= int(since):
                    page.reached_cursor = True
                    continue
            try:
                item = self._dm(raw, users)
            except _Malformed as exc:
                page.quarantined.append(
                    Quarantined(
                        stream="dm_events",
                        reason=str(exc),
                        raw=clean_json(raw),
                        external_id=raw_id if isinstance(raw_id, str) else "",
                    )
                )
                continue
            if item is not None:
                page.items.append(item)
        page.newest_id = str(max(ids)) if ids else ""
        page.next_token = _next_token(meta, "dm_events")
        return page

    def _dm(self, raw: Any, users: dict[str, dict[str, Any]]) -> FetchedItem | None:
        if not isinstance(raw, dict):
            raise _Malformed("event is not an object")
        event_id = _require_id(raw.get("id"), "id")
        if raw.get("event_type", "MessageCreate") != "MessageCreate":
            return None  # participants joining or leaving: not a message
        text = raw.get("text")
        if not isinstance(text, str):
            raise _Malformed("text is missing or not a string")
        sender_id = _require_id(raw.get("sender_id"), "sender_id")
        conversation = raw.get("dm_conversation_id")
        if not isinstance(conversation, str) or not conversation:
            raise _Malformed("dm_conversation_id is missing")
        created_at = _parse_time(raw.get("created_at"))
        user = users.get(sender_id)
        return FetchedItem(
            external_id=event_id,
            kind=KIND_DIRECT,
            text=clean_text(text),
            author=self._author(sender_id, user),
            created_at=created_at,
            thread_key=f"dm:{conversation}",
            raw=clean_json({"event": raw, "author": user}),
            direction=DIRECTION_OUT if sender_id == self.account.external_id else DIRECTION_IN,
            url=f"https://x.com/messages/{conversation}",
        )

    # -- writing ---------------------------------------------------------------------

    def send_public_reply(self, *, text: str, in_reply_to: str) -> SentMessage:
        client, user_auth = self._user_client()
        with self._errors(action="posting a reply", writing=True):
            body = client.create_tweet(text=text, in_reply_to_tweet_id=in_reply_to, user_auth=user_auth)
        data = body.get("data") if isinstance(body, dict) else None
        tweet_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(tweet_id, str) or not _ID.match(tweet_id):
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
        if not isinstance(tweet_id, str) or not _ID.match(tweet_id):
            raise ConnectorError("X accepted the post but returned no tweet id", permanent=False)
        return SentMessage(
            external_id=tweet_id,
            url=f"https://x.com/{self.account.handle}/status/{tweet_id}",
            raw=clean_json(data),
        )

    def find_published(self, *, text: str) -> SentMessage | None:
        """Our own post (not a reply) with this text among the bank's latest 100 tweets."""
        wanted = _normalise_for_match(text)
        client, user_auth = self._read_client()
        with self._errors(action="looking for a published post"):
            body = client.get_users_tweets(
                self.account.external_id,
                max_results=PAGE_SIZE,
                exclude=["replies", "retweets"],
                tweet_fields=TWEET_FIELDS,
                user_auth=user_auth,
            )
        data, _, _ = self._envelope(body, "the bank's timeline")
        for raw in data:
            if not isinstance(raw, dict):
                continue
            tweet_id, raw_text = raw.get("id"), raw.get("text")
            if (
                isinstance(tweet_id, str)
                and _ID.match(tweet_id)
                and isinstance(raw_text, str)
                and _normalise_for_match(raw_text) == wanted
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
        wanted = _normalise_for_match(text)
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
            data, _, meta = self._envelope(body, "the bank's timeline")
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
                    and _ID.match(tweet_id)
                    and _normalise_for_match(raw_text) == wanted
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
        data, _, _ = self._envelope(body, "dm_events")
        for raw in data:
            if not isinstance(raw, dict) or raw.get("sender_id") != self.account.external_id:
                continue
            if isinstance(raw.get("text"), str) and _normalise_for_match(raw["text"]) == wanted:
                return SentMessage(
                    external_id=str(raw.get("id")),
                    url=f"https://x.com/messages/{conversation}",
                    raw=clean_json(raw),
                )
        return None
