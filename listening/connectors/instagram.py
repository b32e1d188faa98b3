"""Instagram professional accounts through the Instagram Graph API (plain requests).

Not facebook-sdk: its GraphAPI hard-codes graph.facebook.com (Instagram Login lives on
graph.instagram.com), cannot send a JSON body (the Send API's natural form), hides the
response headers (the usage headers are the rate budget) and rejects every current Graph
version in its constructor. Each of those needs a workaround in the Facebook connector;
here eight plain calls need none.

Two ways to connect, same endpoints (set INSTAGRAM_API_BASE_URL accordingly):
    Instagram Login      https://graph.instagram.com, an Instagram user token;
    through the Page     https://graph.facebook.com, the linked Page's token.

Credentials (`AccountInfo.credentials`):

    access_token         with instagram_business_basic, instagram_business_manage_comments
                         and instagram_business_manage_messages (Instagram Login), or
                         instagram_basic, instagram_manage_comments, instagram_manage_messages
                         and pages_read_engagement (through the Page).

`AccountInfo.external_id` is the Instagram user id of the professional account.

Options: recent_posts (int, default 10: the account's newest media whose comments are read),
tags (bool, default True: media that tag the account), messages (bool, default True),
max_pages (int, default 5, per edge per poll).

Settings: INSTAGRAM_API_BASE_URL, GRAPH_API_VERSION, NETWORK_HTTP_TIMEOUT.

Cursors (strings, "" unset), as the Facebook connector's: `comments`, `tags`, `messages`
(Unix time of the newest item stored from that stream) and `<stream>_seen` (ids stored
at exactly that second).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from bankbuzz.network_versions import graph_version
from listening.connectors.base import (
    AccountInfo,
    AuthFailed,
    Connector,
    ConnectorError,
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
from listening.connectors.facebook import (
    _AUTH_CODES,
    _RATE_CODES,
    _TRANSIENT_CODES,
    DEFAULT_RATE_WAIT,
    _Malformed,
    _match_text,
    _Stream,
    _time,
    _usage_budget,
)
from listening.connectors.http import clean_json, mount_base_url, network_settings, safe_http_url
from listening.connectors.instagram_items import THREAD_PREFIX, InstagramItems, _ig_id

DEFAULT_BASE_URL = "https://graph.instagram.com"
PAGE_SIZE = 50
DEFAULT_MAX_PAGES = 5
DEFAULT_RECENT_POSTS = 10
# The Messaging API's windows, counted from the person's last message.
STANDARD_WINDOW = dt.timedelta(hours=24)
HUMAN_AGENT_WINDOW = dt.timedelta(days=7)

_COMMENT = "id,text,timestamp,from{id,username},parent_id,hidden"
COMMENT_FIELDS = f"{_COMMENT},replies{{{_COMMENT}}}"
MEDIA_FIELDS = "id,caption,timestamp,permalink,username,owner,comments_count"
MESSAGE_FIELDS = "id,created_time,from,to,message"
# (#10) with these subcodes: outside the messaging window, not a missing permission.
_OUTSIDE_WINDOW_SUBCODES = {2534022, 2018278}
_PERMISSION_CODES = {10, *range(200, 300)}
_VERSION_REFUSED = 2635


@register
class InstagramConnector(InstagramItems, Connector):
    network = "instagram"

    def __init__(self, account: AccountInfo):
        super().__init__(account)
        self._base_url, self._timeout = network_settings("INSTAGRAM_API_BASE_URL", DEFAULT_BASE_URL)
        self._version = graph_version()
        self._session: requests.Session | None = None
        self._rate: RateBudget | None = None

    @property
    def user_id(self) -> str:
        return self.account.external_id

    # -- the wire ------------------------------------------------------------------

    def _http(self) -> requests.Session:
        if self._session is None:
            token = self.account.credentials.get("access_token")
            if not token:
                raise AuthFailed("Instagram account has no access_token")
            session = requests.Session()
            mount_base_url(session, source=self._base_url, target=self._base_url, timeout=self._timeout)
            # In a header, not the query string: URLs end up in logs and proxies.
            session.headers["Authorization"] = f"Bearer {token}"
            self._session = session
        return self._session

    def _call(self, method: str, path: str, *, action: str, writing: bool = False, **kwargs: Any) -> dict:
        url = path if path.startswith("http") else f"{self._base_url}/{self._version}/{path}"
        if urlsplit(url).netloc != urlsplit(self._base_url).netloc:
            raise ConnectorError(f"Instagram gave {action} a link to another host", permanent=True)
        try:
            response = self._http().request(method, url, **kwargs)
        except requests.Timeout as exc:
            outcome = " (it may or may not have been posted)" if writing else ""
            raise ConnectorError(f"Instagram timed out on {action}{outcome}") from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"cannot reach Instagram for {action}: {exc.__class__.__name__}") from exc
        with response:
            budget = _usage_budget(response.headers)
            if budget is not None and (
                self._rate is None or (budget.remaining or 0) <= (self._rate.remaining or 0)
            ):
                self._rate = budget
            try:
                body = response.json()
            except requests.JSONDecodeError:
                raise ConnectorError(f"Instagram answered {action} with a body that is not JSON") from None
            if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
                raise self._error(body, status=response.status_code, action=action)
        if not isinstance(body, dict):
            raise ConnectorError(f"Instagram answered {action} with something other than an object")
        return body

    def _error(self, body: Any, *, status: int, action: str) -> ConnectorError:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code, subcode = error.get("code"), error.get("error_subcode")
        message = f"Instagram refused {action}: {str(error.get('message') or status)[:300]}"
        if not isinstance(code, int):
            return ConnectorError(f"Instagram answered {action} with {status} and no Graph error")
        if code in _AUTH_CODES:
            return AuthFailed(message)
        if code in _RATE_CODES:
            wait = self._rate.reset_at if self._rate and self._rate.reset_at else None
            return RateLimited(wait or dt.datetime.now(dt.UTC) + DEFAULT_RATE_WAIT, message)
        if code == _VERSION_REFUSED:
            return ConnectorError(
                f"{message} (set GRAPH_API_VERSION to a version Meta still serves)", permanent=True
            )
        if code in _TRANSIENT_CODES or error.get("is_transient") is True or status >= 500:
            return ConnectorError(message)
        if code in _PERMISSION_CODES and subcode not in _OUTSIDE_WINDOW_SUBCODES:
            return AuthFailed(f"{message} (the token lacks a permission)")
        error_out = ConnectorError(message, permanent=True)
        error_out.graph_code = code  # type: ignore[attr-defined]
        return error_out

    def _pages(self, path: str, params: dict[str, Any], *, action: str) -> Iterator[list[Any]]:
        """Each page's `data`, following `paging.next`, at most max_pages pages."""
        url: str = path
        for _ in range(self._option("max_pages", DEFAULT_MAX_PAGES)):
            body = self._call("GET", url, params=params, action=action)
            data = body.get("data")
            if not isinstance(data, list):
                raise ConnectorError(f"Instagram answered {action} without a data list")
            yield data
            paging = body.get("paging")
            next_url = paging.get("next") if isinstance(paging, dict) else None
            if not isinstance(next_url, str) or not next_url:
                return
            url, params = next_url, {}

    def _option(self, name: str, default: int) -> int:
        try:
            return max(1, int(self.account.options.get(name, default)))
        except (TypeError, ValueError):
            return default

    # -- reading -------------------------------------------------------------------

    def fetch(self, cursors: dict[str, str]) -> FetchResult:
        self._rate = None
        result = FetchResult()
        self._read_comments(cursors, result)
        if self.account.options.get("tags", True):
            self._read_tags(cursors, result)
        if self.account.options.get("messages", True):
            self._read_messages(cursors, result)
        result.rate = self._rate
        return result

    def _read_comments(self, cursors: dict[str, str], result: FetchResult) -> None:
        """Comments and their replies under the account's newest media (Instagram has no `since`)."""
        stream = _Stream.load("comments", cursors)
        body = self._call(
            "GET",
            f"{self.user_id}/media",
            action="listing recent media",
            params={
                "fields": "id,comments_count,permalink",
                "limit": self._option("recent_posts", DEFAULT_RECENT_POSTS),
            },
        )
        for media in body.get("data") if isinstance(body.get("data"), list) else []:
            if (
                not isinstance(media, dict)
                or not isinstance(media.get("id"), str)
                or media.get("comments_count") == 0
            ):
                continue
            context = {"media_id": media["id"], "permalink": safe_http_url(media.get("permalink"))}
            params = {"fields": COMMENT_FIELDS, "limit": PAGE_SIZE}
            for data in self._pages(f"{media['id']}/comments", params, action="reading comments"):
                for raw in data:
                    replies = raw.get("replies", {}).get("data", []) if isinstance(raw, dict) else []
                    for one in [raw, *(replies if isinstance(replies, list) else [])]:
                        item = self._keep(
                            result, "comments", one, lambda r, c=context: self._comment_item(r, c), context
                        )
                        if item is not None and stream.is_new(item.external_id, item.created_at):
                            result.items.append(item)
                        if item is not None:
                            stream.saw(item.external_id, item.created_at)
        result.cursors.update(stream.dump())

    def _read_tags(self, cursors: dict[str, str], result: FetchResult) -> None:
        """Media in which someone tagged the account, newest first."""
        stream = _Stream.load("tags", cursors)
        params = {"fields": MEDIA_FIELDS, "limit": 25}
        for data in self._pages(f"{self.user_id}/tags", params, action="reading tags"):
            older = False
            for raw in data:
                item = self._keep(result, "tags", raw, self._tag_item)
                if item is None:
                    continue
                if stream.is_new(item.external_id, item.created_at):
                    result.items.append(item)
                else:
                    older = True
                stream.saw(item.external_id, item.created_at)
            if older:
                break
        result.cursors.update(stream.dump())

    def _read_messages(self, cursors: dict[str, str], result: FetchResult) -> None:
        stream = _Stream.load("messages", cursors)
        params = {"platform": "instagram", "fields": "id,updated_time", "limit": 25}
        for conversations in self._pages(
            "me/conversations", params, action="reading Instagram conversations"
        ):
            for conversation in conversations:
                try:
                    conversation_id = _ig_id(
                        conversation.get("id") if isinstance(conversation, dict) else None
                    )
                    updated = _time(conversation.get("updated_time"), "updated_time")
                except _Malformed as exc:
                    result.quarantined.append(
                        Quarantined(stream="messages", reason=str(exc), raw=clean_json(conversation))
                    )
                    continue
                if stream.since and int(updated.timestamp()) < stream.since:
                    result.cursors.update(stream.dump())
                    return  # most recently updated first: the rest were read before
                self._read_conversation(conversation_id, stream, result)
        result.cursors.update(stream.dump())

    def _read_conversation(self, conversation_id: str, stream: _Stream, result: FetchResult) -> None:
        context = {"conversation_id": conversation_id}
        params = {"fields": MESSAGE_FIELDS, "limit": 25}
        for data in self._pages(f"{conversation_id}/messages", params, action="reading Instagram messages"):
            older = False
            for raw in data:
                item = self._keep(result, "messages", raw, lambda r: self._message_item(r, context), context)
                if item is None:
                    continue
                if stream.is_new(item.external_id, item.created_at):
                    result.items.append(item)
                else:
                    older = True  # newest first: the rest of this conversation was stored before
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

    def _parser(self, stream: str, context: dict[str, Any]) -> tuple[Callable[[Any], FetchedItem], str]:
        if stream == "comments" and isinstance(context.get("media_id"), str):
            return (lambda raw: self._comment_item(raw, context)), _COMMENT
        if stream == "messages" and isinstance(context.get("conversation_id"), str):
            return (lambda raw: self._message_item(raw, context)), MESSAGE_FIELDS
        if stream == "tags":
            return self._tag_item, MEDIA_FIELDS
        raise ItemUnreadable(f"no way to read a {stream} item without its media or conversation")

    def refetch(self, *, stream: str, external_id: str, context: dict[str, Any]) -> FetchedItem | None:
        parse, fields = self._parser(stream, context)
        try:
            body = self._call(
                "GET", _ig_id(external_id), params={"fields": fields}, action="reading one item"
            )
            return parse(body)
        except _Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
        except ConnectorError as exc:
            if getattr(exc, "graph_code", None) in (100, 803):
                raise ItemGone(f"Instagram no longer has this item: {exc.message}"[:300]) from exc
            raise

    def parse_quarantined(self, *, stream: str, raw: Any, context: dict[str, Any]) -> FetchedItem | None:
        parse, _fields = self._parser(stream, context)
        try:
            return parse(raw)
        except _Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc

    # -- writing and moderation ----------------------------------------------------

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
                        return sender["id"], _time(raw.get("created_time"))
                    except _Malformed:
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
        wanted = _match_text(text)
        if in_reply_to.startswith(THREAD_PREFIX):
            path, key = f"{in_reply_to.removeprefix(THREAD_PREFIX)}/messages", "message"
            params: dict[str, Any] = {"fields": MESSAGE_FIELDS, "limit": 25}
        else:
            edge, target = self._reply_target(in_reply_to)
            path, key = f"{target}/{edge}", "text"
            params = {"fields": _COMMENT, "limit": PAGE_SIZE}
        for data in self._pages(path, params, action="looking for a sent reply"):
            for raw in data:
                sender = raw.get("from") if isinstance(raw, dict) else None
                if not isinstance(sender, dict) or sender.get("id") != self.user_id:
                    continue
                if isinstance(raw.get(key), str) and _match_text(raw[key]) == wanted:
                    return SentMessage(external_id=str(raw.get("id", "")), raw=clean_json(raw))
        return None
