"""A stand-in for the Graph API (Pages, comments, Messenger), enough for facebook-sdk 3.1.

What a client relies on is reproduced: any `vNN.N` version prefix, only the
requested fields, `paging.cursors` and an absolute `paging.next` that carries
the access token, `since` / `until` on the feed edges, comments as top-level or
as a flattened `stream` with `parent`, errors as `{"error": {...}}` with a JSON
content type, and the `X-App-Usage` / `X-Business-Use-Case-Usage` headers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from devtools.sandbox.graph_dialect import GraphDialect, graph_error, send_params, top_fields
from devtools.sandbox.state import Record
from devtools.sandbox.wire import Context, HttpError, Request, Response, Route, graph_time, route
from devtools.sandbox.world import BANK_FACEBOOK_PAGE

PAGE_ID = BANK_FACEBOOK_PAGE["page_id"]
_V = r"(?:/v(?P<version>\d+\.\d+))?"
_ID = r"(?P<id>[0-9]+(?:_[0-9]+)?|t_[0-9]+|m_[0-9]+|me)"
_PAGE = r"(?P<id>[0-9]+)"

_DEFAULT_FIELDS = {
    "post": ("id", "message", "created_time"),
    "comment": ("id", "message", "created_time", "from"),
    "conversation": ("id", "link", "updated_time"),
    "message": ("id", "created_time"),
}


def _top_fields(request: Request, kind: str) -> set[str]:
    return top_fields(request, _DEFAULT_FIELDS[kind])


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


def _missing(object_id: str) -> HttpError:
    return HttpError(404, f"(#803) Some of the aliases you requested do not exist: {object_id}")


class GraphApi(GraphDialect):
    network = "facebook"
    prefix = "/graph"
    usage_type = "pages"
    usage_owner = PAGE_ID

    def routes(self) -> list[Route]:
        read, write = {"limit": 600, "window": 3600}, {"limit": 300, "window": 3600}
        objects = {"limit": 1200, "window": 3600}
        return [
            route("GET", rf"{_V}/{_PAGE}/feed", "GET /{page-id}/feed", self.feed, **read),
            route("POST", rf"{_V}/{_PAGE}/feed", "POST /{page-id}/feed", self.publish, **write),
            route("GET", rf"{_V}/{_PAGE}/posts", "GET /{page-id}/posts", self.feed, **read),
            route("GET", rf"{_V}/{_PAGE}/visitor_posts", "GET /{page-id}/visitor_posts", self.feed, **read),
            route("GET", rf"{_V}/{_PAGE}/tagged", "GET /{page-id}/tagged", self.feed, **read),
            route("GET", rf"{_V}/{_ID}/comments", "GET /{object-id}/comments", self.comments, **objects),
            route("POST", rf"{_V}/{_ID}/comments", "POST /{object-id}/comments", self.comment, **write),
            route(
                "GET",
                rf"{_V}/{_PAGE}/conversations",
                "GET /{page-id}/conversations",
                self.conversations,
                **read,
            ),
            route(
                "GET",
                rf"{_V}/(?P<id>t_[0-9]+)/messages",
                "GET /{conversation-id}/messages",
                self.messages,
                **objects,
            ),
            route("POST", rf"{_V}/(?P<id>me|[0-9]+)/messages", "POST /me/messages", self.send, **write),
            route("GET", rf"{_V}/{_ID}", "GET /{object-id}", self.get_object, **objects),
            route("POST", rf"{_V}/{_ID}", "POST /{object-id}", self.update_object, **write),
            route("DELETE", rf"{_V}/{_ID}", "DELETE /{object-id}", self.delete_object, **write),
        ]

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
            raise _missing(ctx.match["id"])
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
            raise _missing(object_id)
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
                raise _missing(ctx.match["id"])
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
            raise _missing(ctx.match["id"])
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
            raise _missing(conversation_id)
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
        params = send_params(ctx.request, invalid="(#100) param recipient and message must be JSON objects")
        psid = str(params["recipient"].get("id", ""))
        text = params["message"].get("text", "")
        if not psid or psid not in ctx.store.data["facebook"]["users"] or psid == PAGE_ID:
            return graph_error(400, "(#100) No matching user found", code=100, subcode=2018001)
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
        raise _missing(object_id)

    def update_object(self, ctx: Context) -> Response:
        """Hiding a comment is an update of its `is_hidden` field."""
        fb = ctx.store.data["facebook"]
        comment = fb["comments"].get(ctx.match["id"])
        if comment is None:
            raise _missing(ctx.match["id"])
        hidden = ctx.request.param("is_hidden", "")
        if hidden not in ("true", "false"):
            raise HttpError(400, "(#100) is_hidden must be true or false")
        if comment["from_id"] == PAGE_ID:
            return graph_error(400, "(#100) A page cannot hide its own comment", code=100)
        with ctx.store.mutate():
            comment["is_hidden"] = hidden == "true"
        return Response(payload={"success": True})

    def delete_object(self, ctx: Context) -> Response:
        """A page deletes its own comment, or any comment on its own posts."""
        fb = ctx.store.data["facebook"]
        comment = fb["comments"].get(ctx.match["id"])
        if comment is None:
            raise _missing(ctx.match["id"])
        post = fb["posts"].get(comment["post_id"], {})
        if comment["from_id"] != PAGE_ID and post.get("from_id") != PAGE_ID:
            return graph_error(400, "(#200) Permissions error", code=200)
        with ctx.store.mutate():
            for reply in [c for c in fb["comments"].values() if c["parent_id"] == comment["id"]]:
                fb["comments"].pop(reply["id"])
            fb["comments"].pop(comment["id"])
            fb.setdefault("deleted", []).append(comment["id"])
        return Response(payload={"success": True})
