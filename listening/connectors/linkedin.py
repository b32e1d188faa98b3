"""LinkedIn organisation pages through the Community Management API (plain requests).

There is no maintained Python client for the versioned /rest API, and what we
need is four calls, so this speaks HTTP directly: the organisation's posts,
the comments under each (and replies under comments), commenters' names, and
comments posted as the organisation.

Credentials (`AccountInfo.credentials`):

    access_token         a 3-legged OAuth token of a Page admin with
                         r_organization_social and w_organization_social.

Options (`AccountInfo.options`):

    recent_posts         int, default 10: newest organisation posts whose comments are polled.
    max_pages            int, default 5: pages of 100 comments read per post per poll.

Settings: LINKEDIN_API_BASE_URL, NETWORK_HTTP_TIMEOUT, and LINKEDIN_API_VERSION
(YYYYMM; default and end-of-life dates in bankbuzz/network_versions.py: LinkedIn retires
each version after about a year).

Cursors, all strings, "" meaning unset:

    comments             epoch milliseconds of the newest comment stored.
    comments_seen        URNs of the comments stored at exactly that millisecond, space-separated.
    posts                epoch milliseconds of the newest organisation post stored.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import requests

from bankbuzz.network_versions import DEFAULT_LINKEDIN_VERSION, linkedin_version
from listening.connectors.base import (
    DIRECTION_IN,
    DIRECTION_OUT,
    KIND_COMMENT,
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
    RateLimited,
    SentMessage,
    register,
)
from listening.connectors.http import clean_json, clean_text, mount_base_url, network_settings

DEFAULT_BASE_URL = "https://api.linkedin.com"
DEFAULT_VERSION = DEFAULT_LINKEDIN_VERSION
PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 5
DEFAULT_RECENT_POSTS = 10
# How many top-level comments per post we look under for new replies.
REPLY_SCAN = 50

_URN = re.compile(r"^urn:li:[A-Za-z]+:.{1,200}$")
_COMMENT_URN = re.compile(r"^urn:li:comment:\((urn:li:[A-Za-z]+:[^,]+),([0-9]+)\)$")


class _Malformed(ValueError):
    pass


def _quarantine_urn(raw: Any) -> str:
    """The comment's URN for the quarantine, however much of the comment survived.

    A comment URN is documented as urn:li:comment:({object},{id}), so it can be
    rebuilt when `commentUrn` and `$URN` are lost but `object` and `id` are not.
    """
    if not isinstance(raw, dict):
        return ""
    for key in ("commentUrn", "$URN"):
        value = raw.get(key)
        if isinstance(value, str) and _COMMENT_URN.match(value):
            return value
    obj, comment_id = raw.get("object"), raw.get("id")
    if isinstance(obj, str) and _URN.match(obj) and isinstance(comment_id, str) and comment_id.isdigit():
        urn = f"urn:li:comment:({obj},{comment_id})"
        return urn if _COMMENT_URN.match(urn) else ""
    return ""


def _enc(urn: str) -> str:
    # URNs are path keys: every reserved character, ":" "(" "," included, is escaped.
    return quote(urn, safe="")


def _to_millis(moment: dt.datetime) -> int:
    # round, not int: float seconds * 1000 can land just below the integer it came from.
    return round(moment.timestamp() * 1000)


def _match_text(text: str) -> str:
    return " ".join(text.split()).casefold()


@register
class LinkedInConnector(Connector):
    network = "linkedin"

    def __init__(self, account: AccountInfo):
        super().__init__(account)
        self._base_url, self._timeout = network_settings("LINKEDIN_API_BASE_URL", DEFAULT_BASE_URL)
        self._version = linkedin_version()
        self._session: requests.Session | None = None
        self._people: dict[str, FetchedAuthor] = {}

    @property
    def org_urn(self) -> str:
        external = self.account.external_id
        return external if external.startswith("urn:li:") else f"urn:li:organization:{external}"

    def _http(self) -> requests.Session:
        if self._session is None:
            token = self.account.credentials.get("access_token")
            if not token:
                raise AuthFailed("LinkedIn account has no access_token")
            session = requests.Session()
            mount_base_url(session, source=self._base_url, target=self._base_url, timeout=self._timeout)
            session.headers.update(
                {
                    "Authorization": f"Bearer {token}",
                    "LinkedIn-Version": self._version,
                    "X-Restli-Protocol-Version": "2.0.0",
                }
            )
            self._session = session
        return self._session

    def _call(self, method: str, path: str, *, action: str, writing: bool = False, **kwargs: Any) -> Any:
        try:
            response = self._http().request(method, f"{self._base_url}{path}", **kwargs)
        except requests.Timeout as exc:
            outcome = " (it may or may not have been posted)" if writing else ""
            raise ConnectorError(f"LinkedIn timed out on {action}{outcome}", permanent=False) from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"cannot reach LinkedIn for {action}: {exc.__class__.__name__}") from exc
        with response:
            self._raise_for(response, action=action, writing=writing)
            try:
                return response.json()
            except requests.JSONDecodeError as exc:
                raise ConnectorError(f"LinkedIn answered {action} with a body that is not JSON") from exc

    def _raise_for(self, response: requests.Response, *, action: str, writing: bool) -> None:
        status = response.status_code
        if status < 400:
            return
        try:
            body = response.json()
        except requests.JSONDecodeError:
            body = {}
        message = body.get("message") if isinstance(body, dict) else None
        detail = f"LinkedIn refused {action} ({status}): {message or response.reason}"
        if status == 401:
            raise AuthFailed(detail)
        if status == 429:
            raise RateLimited(self._reset_at(response, str(message or "")), detail)
        if status == 403 and not writing:
            raise AuthFailed(f"{detail} (the token lacks a permission)")
        if status >= 500:
            raise ConnectorError(detail, permanent=False)
        raise ConnectorError(detail, permanent=True)

    @staticmethod
    def _reset_at(response: requests.Response, message: str) -> dt.datetime:
        """LinkedIn sends no reset time; its throttles are per day, reset at midnight UTC."""
        now = dt.datetime.now(dt.UTC)
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return now + dt.timedelta(seconds=int(retry_after))
        if "DAY" in message.upper():
            return (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return now + dt.timedelta(minutes=5)

    def _option(self, name: str, default: int) -> int:
        try:
            return max(1, int(self.account.options.get(name, default)))
        except (TypeError, ValueError):
            return default

    def _elements(self, path: str, params: dict[str, Any], *, action: str) -> Iterator[list[Any]]:
        """Each page's `elements`, paging with start/count, at most max_pages pages."""
        start = 0
        for _ in range(self._option("max_pages", DEFAULT_MAX_PAGES)):
            body = self._call(
                "GET", path, params={**params, "start": start, "count": PAGE_SIZE}, action=action
            )
            elements = body.get("elements") if isinstance(body, dict) else None
            if not isinstance(elements, list):
                raise ConnectorError(f"LinkedIn answered {action} without an elements list")
            yield elements
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            links = paging.get("links") if isinstance(paging.get("links"), list) else []
            if not any(isinstance(link, dict) and link.get("rel") == "next" for link in links):
                return
            start += len(elements) or PAGE_SIZE

    # -- reading -------------------------------------------------------------------

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
            except _Malformed as exc:
                result.quarantined.append(
                    Quarantined(stream="posts", reason=str(exc), raw=clean_json(raw_post))
                )
                continue
            created = _to_millis(post.created_at)
            if not posts_since or created > posts_since:
                result.items.append(post)
            newest_post = max(newest_post, created)
            for comment, raw in self._comments_under(post.external_id, result):
                created = _to_millis(comment.created_at)
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
            f"/rest/socialActions/{_enc(post_urn)}/comments", {}, action="reading comments"
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
            path = f"/rest/socialActions/{_enc(comment_urn)}/comments"
            for elements in self._elements(path, {}, action="reading replies"):
                for raw in elements:
                    item = self._parse(result, raw, post_urn)
                    if item is not None:
                        yield item, raw

    def _parse(self, result: FetchResult, raw: Any, post_urn: str) -> FetchedItem | None:
        try:
            return self._comment_item(raw, post_urn=post_urn)
        except _Malformed as exc:
            result.quarantined.append(
                Quarantined(
                    stream="comments",
                    reason=str(exc),
                    raw=clean_json(raw),
                    external_id=_quarantine_urn(raw),
                    context={"post_urn": post_urn},
                )
            )
            return None

    # -- quarantine ------------------------------------------------------------------

    def refetch(self, *, stream: str, external_id: str, context: dict[str, Any]) -> FetchedItem | None:
        post_urn = context.get("post_urn")
        match = _COMMENT_URN.match(external_id)
        if stream != "comments" or not isinstance(post_urn, str) or not match:
            return super().refetch(stream=stream, external_id=external_id, context=context)
        path = f"/rest/socialActions/{_enc(post_urn)}/comments/{match.group(2)}"
        try:
            raw = self._call("GET", path, action="reading one comment")
        except ConnectorError as exc:
            if "(404)" in exc.message:
                raise ItemGone("LinkedIn no longer has this comment") from exc
            raise
        try:
            return self._with_author(self._comment_item(raw, post_urn=post_urn), raw)
        except _Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc

    def parse_quarantined(self, *, stream: str, raw: Any, context: dict[str, Any]) -> FetchedItem | None:
        post_urn = context.get("post_urn")
        try:
            if stream == "comments" and isinstance(post_urn, str):
                return self._with_author(self._comment_item(raw, post_urn=post_urn), raw)
            if stream == "posts":
                return self._post_item(raw)
        except _Malformed as exc:
            raise ItemUnreadable(str(exc)) from exc
        return super().parse_quarantined(stream=stream, raw=raw, context=context)

    def _post_item(self, raw: Any) -> FetchedItem:
        if not isinstance(raw, dict):
            raise _Malformed("post is not an object")
        urn = raw.get("id")
        if not isinstance(urn, str) or not _URN.match(urn):
            raise _Malformed("post id is not a URN")
        created = raw.get("createdAt") or raw.get("publishedAt")
        if not isinstance(created, int) or isinstance(created, bool):
            raise _Malformed("createdAt is not epoch milliseconds")
        text = raw.get("commentary", "")
        if not isinstance(text, str):
            raise _Malformed("commentary is not a string")
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
            raise _Malformed("comment is not an object")
        urn = raw.get("commentUrn") or raw.get("$URN")
        if not isinstance(urn, str) or not _COMMENT_URN.match(urn):
            raise _Malformed("commentUrn is missing or not a comment URN")
        actor = raw.get("actor")
        if not isinstance(actor, str) or not _URN.match(actor):
            raise _Malformed("actor is not a URN")
        message = raw.get("message")
        text = message.get("text") if isinstance(message, dict) else None
        if not isinstance(text, str):
            raise _Malformed("message.text is missing or not a string")
        created = raw.get("created")
        millis = created.get("time") if isinstance(created, dict) else None
        if not isinstance(millis, int) or isinstance(millis, bool):
            raise _Malformed("created.time is not epoch milliseconds")
        parent = raw.get("parentComment", "")
        if not isinstance(parent, str):
            raise _Malformed("parentComment is not a URN")
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
            url=f"https://www.linkedin.com/feed/update/{post_urn}?commentUrn={_enc(urn)}",
        )

    @staticmethod
    def _millis(value: int) -> dt.datetime:
        try:
            return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise _Malformed("time is out of range") from None

    def _organisation(self) -> FetchedAuthor:
        return FetchedAuthor(
            external_id=self.org_urn,
            handle=self.account.handle,
            name=self.account.handle,
            profile_url=f"https://www.linkedin.com/company/{self.account.handle}/"
            if self.account.handle
            else "",
        )

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
                    f"/rest/people/(id:{_enc(actor.rsplit(':', 1)[1])})",
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

    # -- writing -------------------------------------------------------------------

    def send_public_reply(self, *, text: str, in_reply_to: str) -> SentMessage:
        """Comment as the organisation on a post, or reply under a comment."""
        match = _COMMENT_URN.match(in_reply_to)
        payload: dict[str, Any] = {"actor": self.org_urn, "message": {"text": text}}
        if match:
            # A reply names the post's activity as its object and the comment as parent.
            payload.update({"object": match.group(1), "parentComment": in_reply_to})
        else:
            payload["object"] = in_reply_to
        body = self._call(
            "POST",
            f"/rest/socialActions/{_enc(in_reply_to)}/comments",
            json=payload,
            action="posting a comment",
            writing=True,
        )
        urn = body.get("commentUrn") if isinstance(body, dict) else None
        if not isinstance(urn, str) or not _COMMENT_URN.match(urn):
            raise ConnectorError("LinkedIn accepted the comment but returned no comment URN", permanent=False)
        post = in_reply_to if not match else ""
        url = f"https://www.linkedin.com/feed/update/{post}?commentUrn={_enc(urn)}" if post else ""
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
        wanted = _match_text(text)
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
            if isinstance(urn, str) and isinstance(commentary, str) and _match_text(commentary) == wanted:
                return SentMessage(
                    external_id=urn, url=f"https://www.linkedin.com/feed/update/{urn}/", raw=clean_json(raw)
                )
        return None

    def find_sent(self, *, text: str, in_reply_to: str) -> SentMessage | None:
        wanted = _match_text(text)
        path = f"/rest/socialActions/{_enc(in_reply_to)}/comments"
        for elements in self._elements(path, {}, action="looking for a sent comment"):
            for raw in elements:
                if not isinstance(raw, dict) or raw.get("actor") != self.org_urn:
                    continue
                message = raw.get("message")
                body = message.get("text") if isinstance(message, dict) else None
                urn = raw.get("commentUrn")
                if isinstance(body, str) and isinstance(urn, str) and _match_text(body) == wanted:
                    return SentMessage(external_id=urn, raw=clean_json(raw))
        return None
