"""Facebook Pages through facebook-sdk 3.1 (`facebook.GraphAPI`).

facebook-sdk is unmaintained, so it stays behind this class: its version check
rejects every current Graph version (we set `graph.version` after
construction), it hard-codes graph.facebook.com (a session transport adapter
redirects it to settings.GRAPH_API_BASE_URL, with a timeout), it recognises
errors only by a JSON `error` key and raises a bare error on non-JSON bodies,
and it hides the response headers (a session hook reads the usage headers).

Credentials (`AccountInfo.credentials`):

    page_access_token    a Page access token with pages_read_engagement,
                         pages_read_user_content, pages_manage_engagement and
                         pages_messaging. (`access_token` is accepted as an alias.)

Options (`AccountInfo.options`):

    recent_posts         int, default 25: newest Page posts, and newest visitor posts, whose
                         comments are polled (quiet ones are skipped by updated_time).
    messenger            bool, default True: read Messenger conversations.
    tagged               bool, default True: read posts that tag the Page.
    max_pages            int, default 5: pages of 100 read per edge per poll.

Cursors, all strings, "" meaning unset:

    feed, tagged         Unix time of the newest post stored from that edge;
    comments, messenger  ... of the newest comment / Messenger message stored.
    <stream>_seen        ids stored at exactly that second (Graph's `since` is
                         inclusive and has one-second resolution: these are the
                         only items the next poll may see again).
    <stream>_until, <stream>_head
                         resume state when a backlog is longer than max_pages
                         (feed and tagged are read newest first): the gap still
                         to read ends at _until; _head becomes the cursor after.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import facebook
import requests

from bankbuzz.network_versions import DEFAULT_GRAPH_VERSION, graph_version
from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_COMMENT,
    KIND_DIRECT,
    KIND_MENTION,
    KIND_POST,
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
)
from listening.connectors.http import clean_json, clean_text, mount_base_url, network_settings, safe_http_url

# The default; the one used is settings.GRAPH_API_VERSION (see bankbuzz/network_versions.py).
GRAPH_VERSION = DEFAULT_GRAPH_VERSION
SDK_HOST = "https://graph.facebook.com"
PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 5
DEFAULT_RECENT_POSTS = 25
DEFAULT_RATE_WAIT = dt.timedelta(minutes=10)

POST_FIELDS = "id,message,created_time,updated_time,from{id,name,picture},permalink_url"
COMMENT_FIELDS = "id,message,created_time,from{id,name,picture},parent{id},permalink_url,is_hidden"
CONVERSATION_FIELDS = "id,updated_time,participants"
MESSAGE_FIELDS = "id,message,created_time,from,to"

# Graph error codes: https://developers.facebook.com/docs/graph-api/guides/error-handling
_AUTH_CODES = {102, 190}
_RATE_CODES = {4, 17, 32, 613, *range(80000, 80015)}
_TRANSIENT_CODES = {1, 2}
_PERMISSION_CODES = {10, *range(200, 300)}
_OUTSIDE_WINDOW_SUBCODES = {2018278, 2018065, 1545041}
_VERSION_IN_PATH = re.compile(r"/(v\d+\.\d+/.*)$")


class _Malformed(ValueError):
    pass


@dataclass
class _Walk:
    complete: bool = False


@dataclass
class _Stream:
    """A time cursor with one-second resolution, and the ids already stored at its second."""

    name: str
    since: int = 0
    seen: set[str] = field(default_factory=set)
    newest: int = 0
    newest_ids: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, name: str, cursors: dict[str, str]) -> _Stream:
        raw = cursors.get(name, "")
        since = int(raw) if raw.isdigit() else 0
        seen = {i for i in cursors.get(f"{name}_seen", "").split(",") if i}
        return cls(name=name, since=since, seen=seen, newest=since, newest_ids=set(seen))

    def is_new(self, external_id: str, when: dt.datetime) -> bool:
        if not self.since:
            return True  # nothing stored yet, whatever the item's (possibly absurd) date
        second = int(when.timestamp())
        return second > self.since or (second == self.since and external_id not in self.seen)

    def saw(self, external_id: str, when: dt.datetime) -> None:
        second = int(when.timestamp())
        if second > self.newest:
            self.newest, self.newest_ids = second, {external_id}
        elif second == self.newest:
            self.newest_ids.add(external_id)

    def dump(self) -> dict[str, str]:
        if not self.newest:
            return {self.name: "", f"{self.name}_seen": ""}
        return {self.name: str(self.newest), f"{self.name}_seen": ",".join(sorted(self.newest_ids))}


def _time(value: Any, name: str = "created_time") -> dt.datetime:
    if not isinstance(value, str):
        raise _Malformed(f"{name} is missing or not a string")
    try:
        # Graph writes +0000, which fromisoformat accepts from Python 3.11.
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _Malformed(f"{name} is not a timestamp: {value!r}"[:200]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _id(value: Any, name: str = "id") -> str:
    if not isinstance(value, str) or not value or len(value) > 100 or not re.fullmatch(r"[\w.:-]+", value):
        raise _Malformed(f"{name} is not an id: {value!r}"[:200])
    return value


def _match_text(text: str) -> str:
    return " ".join(text.split()).casefold()


@register
class FacebookConnector(Connector):
    network = "facebook"

    def __init__(self, account: AccountInfo):
        super().__init__(account)
        self._base_url, self._timeout = network_settings("GRAPH_API_BASE_URL", SDK_HOST)
        self._graph: facebook.GraphAPI | None = None
        self._rate: RateBudget | None = None
        self._last_status = 0

    # -- the client ------------------------------------------------------------

    @property
    def page_id(self) -> str:
        return self.account.external_id

    def _client(self) -> facebook.GraphAPI:
        if self._graph is None:
            token = self.account.credentials.get("page_access_token") or self.account.credentials.get(
                "access_token"
            )
            if not token:
                raise AuthFailed("Facebook account has no page_access_token")
            session = requests.Session()
            mount_base_url(session, source=SDK_HOST, target=self._base_url, timeout=self._timeout)
            session.hooks["response"].append(self._record_usage)
            graph = facebook.GraphAPI(access_token=token, timeout=self._timeout, session=session)
            # The SDK's constructor only accepts versions up to 3.1, all expired.
            graph.version = graph_version()
            self._graph = graph
        return self._graph

    def _record_usage(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Session hook: the SDK never shows us headers, so read the usage ones here."""
        self._last_status = response.status_code
        budget = _usage_budget(response.headers)
        if budget is not None and (
            self._rate is None or (budget.remaining or 0) <= (self._rate.remaining or 0)
        ):
            self._rate = budget

    def _request(self, path: str, *, args: dict[str, Any] | None = None, post: dict[str, Any] | None = None,
                 action: str, writing: bool = False) -> dict[str, Any]:  # fmt: skip
        graph = self._client()
        with self._errors(action=action, writing=writing):
            result = graph.request(f"{graph.version}/{path}", args=dict(args or {}), post_args=post)
        if not isinstance(result, dict):
            raise ConnectorError(f"Graph answered {action} with something other than an object")
        return result

    def _pages(
        self, path: str, args: dict[str, Any], *, action: str, walk: _Walk | None = None
    ) -> Iterator[list[Any]]:
        """Each page's `data`, following `paging.next`, at most max_pages pages.

        `walk.complete` tells afterwards whether the edge was read to its end.
        """
        walk = walk if walk is not None else _Walk()
        for _ in range(self._max_pages()):
            body = self._request(path, args=args, action=action)
            data = body.get("data")
            if not isinstance(data, list):
                raise ConnectorError(f"Graph answered {action} without a data list")
            yield data
            paging = body.get("paging")
            next_url = paging.get("next") if isinstance(paging, dict) else None
            if not isinstance(next_url, str) or not next_url:
                walk.complete = True
                return
            # Follow the link through the same SDK call (and adapter): path
            # from the version segment on, arguments minus the token the SDK adds.
            parts = urlsplit(next_url)
            match = _VERSION_IN_PATH.search(parts.path)
            if match is None:
                raise ConnectorError(f"Graph gave {action} a paging link without a version")
            path = match.group(1).split("/", 1)[1]
            args = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"}

    def _max_pages(self) -> int:
        try:
            return max(1, int(self.account.options.get("max_pages", DEFAULT_MAX_PAGES)))
        except (TypeError, ValueError):
            return DEFAULT_MAX_PAGES

    @contextlib.contextmanager
    def _errors(self, *, action: str, writing: bool = False) -> Iterator[None]:
        try:
            yield
        except facebook.GraphAPIError as exc:
            raise self._graph_error(exc, action=action, writing=writing) from exc
        except (requests.JSONDecodeError, ValueError) as exc:
            raise ConnectorError(
                f"Graph answered {action} with a body that is not JSON", permanent=False
            ) from exc
        except KeyError as exc:
            # The SDK indexes headers["content-type"]: an answer without one.
            raise ConnectorError(f"Graph answered {action} without a content type", permanent=False) from exc
        except requests.Timeout as exc:
            outcome = " (it may or may not have been posted)" if writing else ""
            raise ConnectorError(f"Graph timed out on {action}{outcome}", permanent=False) from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"cannot reach Graph for {action}: {exc.__class__.__name__}") from exc

    def _graph_error(self, exc: facebook.GraphAPIError, *, action: str, writing: bool) -> ConnectorError:
        result = exc.result if isinstance(exc.result, dict) else {}
        error = result.get("error") if isinstance(result.get("error"), dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        subcode = error.get("error_subcode")
        message = f"Graph refused {action}: {exc.message if isinstance(exc.message, str) else exc}"
        if code is None:
            # No JSON error at all: an HTML error page or another non-JSON body.
            return ConnectorError(f"Graph answered {action} with a body that is not JSON", permanent=False)
        if code in _AUTH_CODES:
            return AuthFailed(message)
        if code in _RATE_CODES:
            wait = self._rate.reset_at if self._rate and self._rate.reset_at else None
            return RateLimited(wait or dt.datetime.now(dt.UTC) + DEFAULT_RATE_WAIT, message)
        if code in _TRANSIENT_CODES or error.get("is_transient") is True or self._last_status >= 500:
            return ConnectorError(message, permanent=False)
        if code in _PERMISSION_CODES and subcode not in _OUTSIDE_WINDOW_SUBCODES:
            return AuthFailed(f"{message} (the token lacks a permission)")
        return ConnectorError(message, permanent=True)

    # -- reading ---------------------------------------------------------------

    def fetch(self, cursors: dict[str, str]) -> FetchResult:
        self._rate = None
        result = FetchResult()
        self._read_posts("feed", cursors, result)
        self._read_comments(cursors, result)
        if self.account.options.get("tagged", True):
            self._read_posts("tagged", cursors, result)
        if self.account.options.get("messenger", True):
            self._read_messenger(cursors, result)
        result.rate = self._rate
        return result

    def _read_posts(self, edge: str, cursors: dict[str, str], result: FetchResult) -> None:
        """New posts on `edge` (the Page feed, or posts that tag the Page), read newest first."""
        stream = _Stream.load(edge, cursors)
        until = cursors.get(f"{edge}_until", "")
        head = cursors.get(f"{edge}_head", "")
        args: dict[str, Any] = {"fields": POST_FIELDS, "limit": PAGE_SIZE}
        if stream.since:
            args["since"] = stream.since
        if until.isdigit():
            args["until"] = until
        walk = _Walk()
        oldest_read = 0
        for data in self._pages(f"{self.page_id}/{edge}", args, action=f"reading the page {edge}", walk=walk):
            for raw in data:
                item = self._keep(result, edge, raw, lambda r: self._post_item(r, edge=edge))
                if item is None:
                    continue
                second = int(item.created_at.timestamp())
                oldest_read = min(oldest_read or second, second)
                if stream.is_new(item.external_id, item.created_at):
                    result.items.append(item)
                stream.saw(item.external_id, item.created_at)
        if not walk.complete and oldest_read:
            # Stopped before reaching the old cursor: keep it, and next time
            # read only the gap between it and the oldest post read now.
            result.cursors.update(
                {
                    edge: str(stream.since) if stream.since else "",
                    f"{edge}_seen": ",".join(sorted(stream.seen)),
                    f"{edge}_until": str(oldest_read),
                    f"{edge}_head": head or str(stream.newest),
                }
            )
            return
        dumped = stream.dump()
        if head.isdigit() and int(head) > stream.newest:
            dumped = {edge: head, f"{edge}_seen": ""}
        result.cursors.update({**dumped, f"{edge}_until": "", f"{edge}_head": ""})

    def _recent_posts(self) -> int:
        try:
            return max(1, int(self.account.options.get("recent_posts", DEFAULT_RECENT_POSTS)))
        except (TypeError, ValueError):
            return DEFAULT_RECENT_POSTS

    def _read_comments(self, cursors: dict[str, str], result: FetchResult) -> None:
        """New comments and replies under the Page's recent posts, read oldest first."""
        stream = _Stream.load("comments", cursors)
        # The feed is ordered by creation, so a burst of visitor posts would push
        # the Page's own posts (where most comments land) out of a feed listing:
        # list the Page's posts and the visitor posts separately.
        posts: list[Any] = []
        for edge in ("posts", "visitor_posts"):
            body = self._request(
                f"{self.page_id}/{edge}",
                args={"fields": "id,created_time,updated_time", "limit": self._recent_posts()},
                action="listing recent posts",
            )
            posts += body.get("data") if isinstance(body.get("data"), list) else []
        for post in posts:
            post_id = post.get("id") if isinstance(post, dict) else None
            if not isinstance(post_id, str):
                continue
            with contextlib.suppress(_Malformed):
                # A post's updated_time moves when someone comments: skip quiet posts.
                updated = _time(post.get("updated_time") or post.get("created_time"), "updated_time")
                if stream.since and int(updated.timestamp()) < stream.since:
                    continue
            args: dict[str, Any] = {
                "fields": COMMENT_FIELDS,
                "filter": "stream",
                "order": "chronological",
                "limit": PAGE_SIZE,
            }
            if stream.since:
                args["since"] = stream.since
            for data in self._pages(f"{post_id}/comments", args, action="reading comments"):
                for raw in data:
                    item = self._keep(
                        result,
                        "comments",
                        raw,
                        lambda r, p=post_id: self._comment_item(r, post_id=p),
                        {"post_id": post_id},
                    )
                    if item is None:
                        continue
                    if stream.is_new(item.external_id, item.created_at):
                        result.items.append(item)
                    stream.saw(item.external_id, item.created_at)
        # Oldest first: stopping after max_pages loses nothing, the next poll
        # carries on from the newest comment read.
        result.cursors.update(stream.dump())

    def _read_messenger(self, cursors: dict[str, str], result: FetchResult) -> None:
        stream = _Stream.load("messenger", cursors)
        args = {"platform": "messenger", "fields": CONVERSATION_FIELDS, "limit": PAGE_SIZE}
        for conversations in self._pages(f"{self.page_id}/conversations", args, action="reading Messenger"):
            stop = False
            for conversation in conversations:
                if not isinstance(conversation, dict) or not isinstance(conversation.get("id"), str):
                    result.quarantined.append(
                        Quarantined(
                            stream="messenger",
                            reason="conversation without an id",
                            raw=clean_json(conversation),
                        )
                    )
                    continue
                try:
                    updated = _time(conversation.get("updated_time"), "updated_time")
                except _Malformed:
                    updated = None
                if updated is not None and stream.since and int(updated.timestamp()) < stream.since:
                    stop = True  # conversations come most recently updated first
                    break
                self._read_conversation(conversation["id"], stream, result)
            if stop:
                break
        result.cursors.update(stream.dump())

    def _read_conversation(self, conversation_id: str, stream: _Stream, result: FetchResult) -> None:
        args = {"fields": MESSAGE_FIELDS, "limit": PAGE_SIZE}
        for data in self._pages(f"{conversation_id}/messages", args, action="reading Messenger messages"):
            older = False
            for raw in data:
                item = self._keep(
                    result,
                    "messenger",
                    raw,
                    lambda r: self._message_item(r, conversation_id=conversation_id),
                    {"conversation_id": conversation_id},
                )
                if item is None:
                    continue
                if stream.is_new(item.external_id, item.created_at):
                    result.items.append(item)
                else:
                    older = True  # newest first: the rest of this thread was stored before
                stream.saw(item.external_id, item.created_at)
            if older:
                return

    def _keep(
        self,
        result: FetchResult,
        stream: str,
        raw: Any,
        parse: Callable[[Any], FetchedItem],
        context: dict[str, str] | None = None,
    ) -> FetchedItem | None:
        try:
            return parse(raw)
        except _Malformed as exc:
            raw_id = raw.get("id") if isinstance(raw, dict) else None
            result.quarantined.append(
                Quarantined(
                    stream=stream,
                    reason=str(exc),
                    raw=clean_json(raw),
                    external_id=raw_id if isinstance(raw_id, str) else "",
                    context=dict(context or {}),
                )
            )
            return None

    # -- quarantine ----------------------------------------------------------------

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

    def refetch(self, *, stream: str, external_id: str, context: dict[str, Any]) -> FetchedItem | None:
        parse = self._parser(stream, context)
        try:
            _id(external_id)
        except _Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
        try:
            body = self._request(
                external_id, args={"fields": self._FIELDS_BY_STREAM[stream]}, action="reading one item"
            )
        except ConnectorError as exc:
            cause = exc.__cause__
            result = cause.result if isinstance(cause, facebook.GraphAPIError) else None
            error = result.get("error") if isinstance(result, dict) else None
            # (#803) unknown alias / (#100) nonexisting field: deleted, or never visible to the Page.
            if isinstance(error, dict) and error.get("code") in (100, 803):
                raise ItemGone(f"Graph no longer has this item: {error.get('message', '')}"[:300]) from exc
            raise
        try:
            return parse(body)
        except _Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc

    def parse_quarantined(self, *, stream: str, raw: Any, context: dict[str, Any]) -> FetchedItem | None:
        parse = self._parser(stream, context)
        try:
            return parse(raw)
        except _Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc

    # -- parsing -----------------------------------------------------------------

    def _author(self, raw: Any) -> FetchedAuthor:
        if not isinstance(raw, dict):
            raise _Malformed("from is missing")
        author_id = _id(raw.get("id"), "from.id")
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
            raise _Malformed("message is not a string")
        return clean_text(message)

    def _post_item(self, raw: Any, *, edge: str) -> FetchedItem:
        if not isinstance(raw, dict):
            raise _Malformed("post is not an object")
        post_id = _id(raw.get("id"))
        author = self._author(raw.get("from"))
        url = safe_http_url(raw.get("permalink_url")) or f"https://www.facebook.com/{post_id}"
        return FetchedItem(
            external_id=post_id,
            kind=KIND_MENTION if edge == "tagged" else KIND_POST,
            text=self._text(raw),
            author=author,
            created_at=_time(raw.get("created_time")),
            thread_key=post_id,
            raw=clean_json(raw),
            direction=DIRECTION_OUT if author.external_id == self.page_id else DIRECTION_IN,
            url=url,
        )

    def _comment_item(self, raw: Any, *, post_id: str) -> FetchedItem:
        if not isinstance(raw, dict):
            raise _Malformed("comment is not an object")
        comment_id = _id(raw.get("id"))
        author = self._author(raw.get("from"))
        parent = raw.get("parent")
        parent_id = _id(parent.get("id"), "parent.id") if isinstance(parent, dict) else ""
        url = safe_http_url(raw.get("permalink_url")) or f"https://www.facebook.com/{comment_id}"
        return FetchedItem(
            external_id=comment_id,
            kind=KIND_COMMENT,
            text=self._text(raw),
            author=author,
            created_at=_time(raw.get("created_time")),
            thread_key=post_id,
            raw=clean_json(raw),
            direction=DIRECTION_OUT if author.external_id == self.page_id else DIRECTION_IN,
            in_reply_to=parent_id or post_id,
            url=url,
        )

    def _message_item(self, raw: Any, *, conversation_id: str) -> FetchedItem:
        if not isinstance(raw, dict):
            raise _Malformed("message is not an object")
        message_id = _id(raw.get("id"))
        author = self._author(raw.get("from"))
        return FetchedItem(
            external_id=message_id,
            kind=KIND_DIRECT,
            text=self._text(raw),
            author=author,
            created_at=_time(raw.get("created_time")),
            thread_key=f"m:{conversation_id}",
            raw=clean_json(raw),
            direction=DIRECTION_OUT if author.external_id == self.page_id else DIRECTION_IN,
            url=f"https://business.facebook.com/latest/inbox/all?selected_item_id={conversation_id}",
        )

    # -- writing -----------------------------------------------------------------

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
        wanted = _match_text(text)
        args: dict[str, Any] = {"fields": "id,message,from,created_time", "limit": PAGE_SIZE}
        for data in self._pages(f"{self.page_id}/posts", args, action="looking for a published post"):
            for raw in data:
                if not isinstance(raw, dict) or not isinstance(raw.get("message"), str):
                    continue
                if _match_text(raw["message"]) == wanted and isinstance(raw.get("id"), str):
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
        wanted = _match_text(text)
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
                if isinstance(raw.get("message"), str) and _match_text(raw["message"]) == wanted:
                    found_id = str(raw.get("id", ""))
                    url = "" if in_reply_to.startswith("m:") else f"https://www.facebook.com/{found_id}"
                    return SentMessage(external_id=found_id, url=url, raw=clean_json(raw))
        return None


def _usage_budget(headers: Any) -> RateBudget | None:
    """A RateBudget in percent from X-Business-Use-Case-Usage (or X-App-Usage)."""
    usages: list[dict[str, Any]] = []
    for name in ("X-Business-Use-Case-Usage", "X-App-Usage", "X-Page-Usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            parsed = json.loads(raw)
        except ValueError:
            continue
        if isinstance(parsed, dict) and "call_count" in parsed:
            usages.append(parsed)
        elif isinstance(parsed, dict):
            for entries in parsed.values():
                if isinstance(entries, list):
                    usages += [e for e in entries if isinstance(e, dict)]
    if not usages:
        return None
    used = 0
    wait_minutes = 0
    for usage in usages:
        for key in ("call_count", "total_cputime", "total_time"):
            value = usage.get(key)
            if isinstance(value, int | float) and math.isfinite(value):
                used = max(used, int(value))
        minutes = usage.get("estimated_time_to_regain_access")
        if isinstance(minutes, int | float) and math.isfinite(minutes):
            wait_minutes = max(wait_minutes, int(minutes))
    reset_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=wait_minutes) if wait_minutes else None
    return RateBudget(limit=100, remaining=max(0, 100 - used), reset_at=reset_at)
