"""A stand-in for the Graph API (Pages, comments, Messenger), enough for facebook-sdk 3.1.

What a client relies on is reproduced: any `vNN.N` version prefix, only the
requested fields, `paging.cursors` and an absolute `paging.next` that carries
the access token, `since` / `until` on the feed edges, comments as top-level or
as a flattened `stream` with `parent`, errors as `{"error": {...}}` with a JSON
content type, and the `X-App-Usage` / `X-Business-Use-Case-Usage` headers.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from typing import Any
from urllib.parse import urlencode

from listening.sandbox.state import Record
from listening.sandbox.wire import (
    Context,
    HttpError,
    NetworkApi,
    Request,
    Response,
    Route,
    corrupt_generic,
    decode_token,
    encode_token,
    graph_time,
    int_param,
    route,
)
from listening.sandbox.world import BANK_FACEBOOK_PAGE, DEMO_TOKEN, GRAPH_VERSIONS, LATEST_GRAPH_VERSION

PAGE_ID = BANK_FACEBOOK_PAGE["page_id"]
_V = r"(?:/v(?P<version>\d+\.\d+))?"
_VERSION_PREFIX = re.compile(r"^/(v\d+\.\d+)(?:/|$)")
_ID = r"(?P<id>[0-9]+(?:_[0-9]+)?|t_[0-9]+|m_[0-9]+|me)"

_DEFAULT_FIELDS = {
    "post": ("id", "message", "created_time"),
    "comment": ("id", "message", "created_time", "from"),
    "conversation": ("id", "link", "updated_time"),
    "message": ("id", "created_time"),
}


def _top_fields(request: Request, kind: str) -> set[str]:
    """Top-level names in a Graph `fields` list ("from{id,name},comments.limit(5)" -> from, comments)."""
    raw = request.param("fields", "")
    if not raw:
        return set(_DEFAULT_FIELDS[kind])
    names, depth, current = set(), 0, ""
    for char in raw + ",":
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
        if depth == 0 and char == ",":
            names.add(current.split("{")[0].split(".")[0].strip())
            current = ""
        else:
            current += char
    return {n for n in names if n} | {"id"}


def _parse_time(value: str, name: str) -> float:
    """Graph takes a Unix timestamp or (for us, ISO) text for since/until."""
    try:
        return float(value)
    except ValueError:
        pass
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise HttpError(400, f"(#100) Invalid {name} parameter") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


class GraphApi(NetworkApi):
    network = "facebook"
    prefix = "/graph"

    def routes(self) -> list[Route]:
        return [
            route(
                "GET", rf"{_V}/(?P<id>[0-9]+)/feed", "GET /{page-id}/feed", self.feed, limit=600, window=3600
            ),
            route(
                "POST",
                rf"{_V}/(?P<id>[0-9]+)/feed",
                "POST /{page-id}/feed",
                self.publish,
                limit=300,
                window=3600,
            ),
            route(
                "GET",
                rf"{_V}/(?P<id>[0-9]+)/posts",
                "GET /{page-id}/posts",
                self.feed,
                limit=600,
                window=3600,
            ),
            route(
                "GET",
                rf"{_V}/(?P<id>[0-9]+)/visitor_posts",
                "GET /{page-id}/visitor_posts",
                self.feed,
                limit=600,
                window=3600,
            ),
            route(
                "GET",
                rf"{_V}/(?P<id>[0-9]+)/tagged",
                "GET /{page-id}/tagged",
                self.feed,
                limit=600,
                window=3600,
            ),
            route(
                "GET",
                rf"{_V}/{_ID}/comments",
                "GET /{object-id}/comments",
                self.comments,
                limit=1200,
                window=3600,
            ),
            route(
                "POST",
                rf"{_V}/{_ID}/comments",
                "POST /{object-id}/comments",
                self.comment,
                limit=300,
                window=3600,
            ),
            route(
                "GET",
                rf"{_V}/(?P<id>[0-9]+)/conversations",
                "GET /{page-id}/conversations",
                self.conversations,
                limit=600,
                window=3600,
            ),
            route(
                "GET",
                rf"{_V}/(?P<id>t_[0-9]+)/messages",
                "GET /{conversation-id}/messages",
                self.messages,
                limit=1200,
                window=3600,
            ),
            route(
                "POST",
                rf"{_V}/(?P<id>me|[0-9]+)/messages",
                "POST /me/messages",
                self.send,
                limit=300,
                window=3600,
            ),
            route("GET", rf"{_V}/{_ID}", "GET /{object-id}", self.get_object, limit=1200, window=3600),
            route("POST", rf"{_V}/{_ID}", "POST /{object-id}", self.update_object, limit=300, window=3600),
            route(
                "DELETE", rf"{_V}/{_ID}", "DELETE /{object-id}", self.delete_object, limit=300, window=3600
            ),
        ]

    # -- dialect -----------------------------------------------------------------

    def authenticate(self, request: Request) -> bool:
        token = request.param("access_token", "")
        header = request.headers.get("Authorization", "")
        if not token and header.startswith(("Bearer ", "OAuth ")):
            token = header.split(" ", 1)[1]
        return token == DEMO_TOKEN

    def error(self, status: int, message: str, *, reset_at: int | None = None) -> Response:
        codes = {400: (100, "OAuthException"), 401: (190, "OAuthException"), 404: (803, "OAuthException")}
        code, kind = codes.get(status, (1, "OAuthException"))
        if status == 401:
            # Graph says "invalid token" with a 400 and code 190, not with a 401.
            status = 400
            message = "Invalid OAuth access token - Cannot parse access token"
        if status == 429:
            return self.storm(reset_at or int(time.time()) + 60)
        return _graph_error(status, message, code=code, kind=kind)

    def refuse(self, request: Request) -> Response | None:
        """A version Graph no longer serves (or never did): Graph's (#2635) error."""
        match = _VERSION_PREFIX.match(request.path)
        if match is None or match.group(1) in GRAPH_VERSIONS:
            return None
        return _graph_error(
            400,
            f"(#2635) You are calling a deprecated version of the Graph API. Please update to the "
            f"latest version: {LATEST_GRAPH_VERSION}.",
            code=2635,
        )

    def expired(self) -> Response:
        return _graph_error(
            400,
            "Error validating access token: Session has expired on Tuesday, 01-Jul-25 10:00:00 PDT.",
            code=190,
            subcode=463,
        )

    def storm(self, reset_at: int) -> Response:
        minutes = max(1, math.ceil((reset_at - time.time()) / 60))
        response = _graph_error(
            400, "(#32) Page request limit reached", code=32, kind="OAuthException", transient=True
        )
        response.headers["X-Business-Use-Case-Usage"] = _buc(100, minutes)
        return response

    def server_error(self, sequence: int) -> Response:
        if sequence % 2:
            return Response(
                status=502, body=b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"
            )
        return _graph_error(
            500, "An unexpected error has occurred. Please retry your request later.", code=2, transient=True
        )

    def rate_headers(self, *, limit: int, remaining: int, reset_at: int) -> dict[str, str]:
        used = round(100 * (limit - remaining) / limit) if limit else 100
        minutes = max(0, math.ceil((reset_at - time.time()) / 60)) if remaining == 0 else 0
        return {
            "X-App-Usage": json.dumps(
                {"call_count": used, "total_cputime": used // 2, "total_time": used // 2}
            ),
            "X-Business-Use-Case-Usage": _buc(used, minutes),
        }

    def corrupt(self, response: Response, variant: str) -> Response:
        return corrupt_generic(response, variant, list_key="data")

    # -- rendering ---------------------------------------------------------------

    def _user(self, ctx: Context, user_id: str, *, picture: bool) -> dict[str, Any]:
        user = ctx.store.data["facebook"]["users"].get(user_id, {"id": user_id, "name": "Facebook user"})
        out: dict[str, Any] = {"id": user["id"], "name": user["name"]}
        if picture:
            url = user.get("picture") or f"{ctx.request.origin}/_sandbox/avatars/fb{user['id']}.png"
            out["picture"] = {"data": {"url": url, "height": 50, "width": 50, "is_silhouette": False}}
        return out

    def _post(self, ctx: Context, post: Record, fields: set[str]) -> dict[str, Any]:
        wants_picture = "picture" in ctx.request.param("fields", "")
        full: dict[str, Any] = {
            "id": post["id"],
            "message": post["message"],
            "created_time": graph_time(post["created_ms"]),
            "updated_time": graph_time(post.get("updated_ms", post["created_ms"])),
            "from": self._user(ctx, post["from_id"], picture=wants_picture),
            "permalink_url": f"https://www.facebook.com/{post['id'].replace('_', '/posts/')}",
            "is_hidden": False,
            "status_type": "mobile_status_update" if post["from_id"] == PAGE_ID else "wall_post",
        }
        return {k: v for k, v in full.items() if k in fields}

    def _comment(self, ctx: Context, comment: Record, fields: set[str]) -> dict[str, Any]:
        wants_picture = "picture" in ctx.request.param("fields", "")
        fb = ctx.store.data["facebook"]
        replies = sum(1 for c in fb["comments"].values() if c["parent_id"] == comment["id"])
        full: dict[str, Any] = {
            "id": comment["id"],
            "message": comment["message"],
            "created_time": graph_time(comment["created_ms"]),
            "from": self._user(ctx, comment["from_id"], picture=wants_picture),
            "permalink_url": f"https://www.facebook.com/{comment['post_id']}?comment_id={comment['id']}",
            "is_hidden": comment.get("is_hidden", False),
            "comment_count": replies,
            "can_hide": comment["from_id"] != PAGE_ID,
        }
        if comment["parent_id"]:
            full["parent"] = {"id": comment["parent_id"]}
        return {k: v for k, v in full.items() if k in fields}

    def _paged(
        self, ctx: Context, rows: list[Record], render: Any, key: Any, *, default_limit: int
    ) -> Response:
        """Newest first by `key`, keyset-paged with opaque `after` cursors and an absolute `next`."""
        request = ctx.request
        limit = int_param(request, "limit", default_limit, low=1, high=100)
        rows = sorted(rows, key=key, reverse=True)
        after = request.param("after", "")
        if after:
            marker = json.loads(decode_token(after))
            rows = [r for r in rows if list(key(r)) < marker]
        page, rest = rows[:limit], rows[limit:]
        payload: dict[str, Any] = {"data": [render(r) for r in page]}
        if page:
            cursors = {"before": encode_token(json.dumps(list(key(page[0])))), "after": ""}
            cursors["after"] = encode_token(json.dumps(list(key(page[-1]))))
            paging: dict[str, Any] = {"cursors": cursors}
            if rest:
                params = {k: v for k, v in request.query.items() if k != "after"}
                params.update(
                    {"access_token": request.param("access_token", DEMO_TOKEN), "after": cursors["after"]}
                )
                paging["next"] = f"{request.origin}{request.full_path}?{urlencode(params)}"
            payload["paging"] = paging
        return Response(payload=payload)

    @staticmethod
    def _window(request: Request, rows: list[Record], field: str = "created_ms") -> list[Record]:
        since = request.param("since", "")
        until = request.param("until", "")
        if since:
            low = _parse_time(since, "since") * 1000
            rows = [r for r in rows if r[field] >= low]
        if until:
            high = _parse_time(until, "until") * 1000
            rows = [r for r in rows if r[field] <= high]
        return rows

    # -- page edges --------------------------------------------------------------

    def feed(self, ctx: Context) -> Response:
        if ctx.match["id"] != PAGE_ID:
            raise HttpError(404, f"(#803) Some of the aliases you requested do not exist: {ctx.match['id']}")
        edge = ctx.request.full_path.rstrip("/").rsplit("/", 1)[1]
        posts = list(ctx.store.data["facebook"]["posts"].values())
        if edge == "tagged":
            posts = [p for p in posts if p["tagged"]]
        elif edge == "posts":
            posts = [p for p in posts if p["from_id"] == PAGE_ID]
        elif edge == "visitor_posts":
            posts = [p for p in posts if not p["tagged"] and p["from_id"] != PAGE_ID]
        else:
            posts = [p for p in posts if not p["tagged"]]
        posts = self._window(ctx.request, posts)
        fields = _top_fields(ctx.request, "post")
        return self._paged(
            ctx,
            posts,
            lambda p: self._post(ctx, p, fields),
            lambda p: (p["created_ms"], int(p["id"].split("_")[1])),
            default_limit=25,
        )

    def comments(self, ctx: Context) -> Response:
        fb = ctx.store.data["facebook"]
        object_id = ctx.match["id"]
        request = ctx.request
        if object_id in fb["posts"]:
            rows = [c for c in fb["comments"].values() if c["post_id"] == object_id]
            if request.param("filter", "toplevel") != "stream":
                rows = [c for c in rows if not c["parent_id"]]
        elif object_id in fb["comments"]:
            rows = [c for c in fb["comments"].values() if c["parent_id"] == object_id]
        else:
            raise HttpError(404, f"(#803) Some of the aliases you requested do not exist: {object_id}")
        rows = self._window(request, rows)
        fields = _top_fields(request, "comment")
        order = request.param("order", "chronological")
        sign = 1 if order == "reverse_chronological" else -1
        # _paged sorts newest first; flipping the key's sign gives oldest first.
        return self._paged(
            ctx,
            rows,
            lambda c: self._comment(ctx, c, fields),
            lambda c: (sign * c["created_ms"], sign * int(c["id"].split("_")[1])),
            default_limit=25,
        )

    def publish(self, ctx: Context) -> Response:
        """The page publishes a post on its own feed; it appears in later feed and posts reads."""
        if ctx.match["id"] != PAGE_ID:
            raise HttpError(403, "(#200) The page may only publish on its own feed")
        message = ctx.request.param("message", "")
        if not message.strip():
            raise HttpError(400, "(#100) Missing message or attachment")
        with ctx.store.mutate():
            post = ctx.store.add_facebook_post(text=message, from_id=PAGE_ID)
            ctx.store.record_sent(network="facebook", kind="post", external_id=post["id"], text=message)
        return Response(payload={"id": post["id"]})

    def comment(self, ctx: Context) -> Response:
        message = ctx.request.param("message", "")
        if not message.strip():
            raise HttpError(400, "(#100) Missing message or attachment")
        with ctx.store.mutate():
            made = ctx.store.add_facebook_comment(text=message, from_id=PAGE_ID, target_id=ctx.match["id"])
            if made is None:
                raise HttpError(
                    404, f"(#803) Some of the aliases you requested do not exist: {ctx.match['id']}"
                )
            ctx.store.record_sent(
                network="facebook",
                kind="comment",
                external_id=made["id"],
                text=message,
                in_reply_to=ctx.match["id"],
                thread=made["post_id"],
            )
        return Response(payload={"id": made["id"]})

    # -- Messenger ---------------------------------------------------------------

    def conversations(self, ctx: Context) -> Response:
        if ctx.match["id"] != PAGE_ID:
            raise HttpError(404, f"(#803) Some of the aliases you requested do not exist: {ctx.match['id']}")
        platform = ctx.request.param("platform", "messenger")
        fb = ctx.store.data["facebook"]
        rows = list(fb["conversations"].values()) if platform == "messenger" else []
        fields = _top_fields(ctx.request, "conversation")

        def render(conversation: Record) -> dict[str, Any]:
            customer = self._user(ctx, conversation["user_id"], picture=False)
            page = self._user(ctx, PAGE_ID, picture=False)
            count = sum(1 for m in fb["messages"].values() if m["conversation_id"] == conversation["id"])
            full = {
                "id": conversation["id"],
                "updated_time": graph_time(conversation["updated_ms"]),
                "link": f"/{BANK_FACEBOOK_PAGE['username']}/inbox/{conversation['id']}/",
                "participants": {"data": [customer, page]},
                "message_count": count,
                "unread_count": 0,
            }
            return {k: v for k, v in full.items() if k in fields}

        return self._paged(
            ctx,
            rows,
            render,
            lambda c: (c["updated_ms"], int(c["id"].removeprefix("t_"))),
            default_limit=25,
        )

    def messages(self, ctx: Context) -> Response:
        fb = ctx.store.data["facebook"]
        conversation_id = ctx.match["id"]
        if conversation_id not in fb["conversations"]:
            raise HttpError(404, f"(#803) Some of the aliases you requested do not exist: {conversation_id}")
        rows = [m for m in fb["messages"].values() if m["conversation_id"] == conversation_id]
        fields = _top_fields(ctx.request, "message")
        return self._paged(
            ctx,
            rows,
            lambda message: self._message(ctx, message, fields),
            lambda m: (m["created_ms"], int(m["id"].removeprefix("m_"))),
            default_limit=25,
        )

    def _message(self, ctx: Context, message: Record, fields: set[str]) -> dict[str, Any]:
        full = {
            "id": message["id"],
            "created_time": graph_time(message["created_ms"]),
            "message": message["message"],
            "from": self._user(ctx, message["from_id"], picture=False),
            "to": {"data": [self._user(ctx, message["to_id"], picture=False)]},
        }
        return {k: v for k, v in full.items() if k in fields}

    def send(self, ctx: Context) -> Response:
        request = ctx.request
        body = request.json() if "json" in request.headers.get("Content-Type", "") else {}
        recipient: Any = body.get("recipient") or request.param("recipient", "")
        message: Any = body.get("message") or request.param("message", "")
        try:
            # The form-encoded Send API takes JSON-encoded values.
            recipient = json.loads(recipient) if isinstance(recipient, str) else recipient
            message = json.loads(message) if isinstance(message, str) else message
        except ValueError:
            raise HttpError(400, "(#100) param recipient and message must be JSON objects") from None
        psid = str((recipient or {}).get("id", ""))
        text = (message or {}).get("text", "")
        if not psid or psid not in ctx.store.data["facebook"]["users"] or psid == PAGE_ID:
            return _graph_error(400, "(#100) No matching user found", code=100, subcode=2018001)
        if not isinstance(text, str) or not text.strip():
            raise HttpError(400, "(#100) message.text must be a non-empty string")
        with ctx.store.mutate():
            made = ctx.store.add_messenger_message(text=text, from_id=PAGE_ID, to_id=psid)
            ctx.store.record_sent(
                network="facebook",
                kind="direct",
                external_id=made["id"],
                text=text,
                recipient_id=psid,
                thread=made["conversation_id"],
            )
        return Response(payload={"recipient_id": psid, "message_id": made["id"]})

    # -- single objects ----------------------------------------------------------

    def get_object(self, ctx: Context) -> Response:
        fb = ctx.store.data["facebook"]
        object_id = ctx.match["id"]
        if object_id in ("me", PAGE_ID):
            return Response(payload={"id": PAGE_ID, "name": BANK_FACEBOOK_PAGE["name"]})
        if object_id in fb["posts"]:
            return Response(payload=self._post(ctx, fb["posts"][object_id], _top_fields(ctx.request, "post")))
        if object_id in fb["comments"]:
            comment = fb["comments"][object_id]
            return Response(payload=self._comment(ctx, comment, _top_fields(ctx.request, "comment")))
        if object_id in fb["messages"]:
            fields = _top_fields(ctx.request, "message")
            return Response(payload=self._message(ctx, fb["messages"][object_id], fields))
        if object_id in fb["conversations"]:
            conversation = fb["conversations"][object_id]
            customer = self._user(ctx, conversation["user_id"], picture=False)
            page = self._user(ctx, PAGE_ID, picture=False)
            return Response(payload={"id": object_id, "participants": {"data": [customer, page]}})
        raise HttpError(404, f"(#803) Some of the aliases you requested do not exist: {object_id}")

    def update_object(self, ctx: Context) -> Response:
        """Hiding a comment is an update of its `is_hidden` field."""
        fb = ctx.store.data["facebook"]
        comment = fb["comments"].get(ctx.match["id"])
        if comment is None:
            raise HttpError(404, f"(#803) Some of the aliases you requested do not exist: {ctx.match['id']}")
        hidden = ctx.request.param("is_hidden", "")
        if hidden not in ("true", "false"):
            raise HttpError(400, "(#100) is_hidden must be true or false")
        if comment["from_id"] == PAGE_ID:
            return _graph_error(400, "(#100) A page cannot hide its own comment", code=100)
        with ctx.store.mutate():
            comment["is_hidden"] = hidden == "true"
        return Response(payload={"success": True})

    def delete_object(self, ctx: Context) -> Response:
        """A page deletes its own comment, or any comment on its own posts."""
        fb = ctx.store.data["facebook"]
        comment = fb["comments"].get(ctx.match["id"])
        if comment is None:
            raise HttpError(404, f"(#803) Some of the aliases you requested do not exist: {ctx.match['id']}")
        post = fb["posts"].get(comment["post_id"], {})
        if comment["from_id"] != PAGE_ID and post.get("from_id") != PAGE_ID:
            return _graph_error(400, "(#200) Permissions error", code=200)
        with ctx.store.mutate():
            for reply in [c for c in fb["comments"].values() if c["parent_id"] == comment["id"]]:
                fb["comments"].pop(reply["id"])
            fb["comments"].pop(comment["id"])
            fb.setdefault("deleted", []).append(comment["id"])
        return Response(payload={"success": True})


def _graph_error(
    status: int,
    message: str,
    *,
    code: int,
    kind: str = "OAuthException",
    subcode: int | None = None,
    transient: bool = False,
) -> Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AbCdEfSandbox"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient:
        error["is_transient"] = True
    return Response(status=status, payload={"error": error}, content_type="application/json; charset=UTF-8")


def _buc(used: int, minutes: int) -> str:
    usage = {
        "type": "pages",
        "call_count": used,
        "total_cputime": used // 2,
        "total_time": used // 2,
        "estimated_time_to_regain_access": minutes,
    }
    return json.dumps({PAGE_ID: [usage]})
