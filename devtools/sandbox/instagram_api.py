"""A stand-in for the Instagram API with Instagram Login (graph.instagram.com).

What a client relies on is reproduced from the documented wire format: a `vNN.N` version
in the path (one the API no longer speaks is refused with Graph's #2635 error; no version
means the latest), ids as strings, `timestamp` on media and comments and `created_time` on
messages (both `+0000`), only the requested `fields` (with `replies{...}` expanded on a
comment), `paging.cursors` and an absolute `paging.next`, errors as Graph's
`{"error": {...}}`, and the `X-App-Usage` / `X-Business-Use-Case-Usage` headers.

It is stateful: a reply posted here is in the next read, a hidden comment reads
`"hidden": true`, a deleted one is gone. Direct messages keep Instagram's window: a business
may answer within 24 hours of the person's last message, or within 7 days with the
`HUMAN_AGENT` tag, else the send is refused with (#10) "outside of allowed window".
"""

from __future__ import annotations

from typing import Any

from devtools.sandbox import instagram_state as ig_state
from devtools.sandbox.graph_dialect import GraphDialect, graph_error, send_params, top_fields
from devtools.sandbox.state import Record, now_ms
from devtools.sandbox.wire import Context, HttpError, Request, Response, Route, graph_time, route
from devtools.sandbox.world import BANK_INSTAGRAM

BANK_ID = BANK_INSTAGRAM["user_id"]
_V = r"(?:/(?P<version>v\d+\.\d+))?"
_NUM = r"(?P<id>[0-9]+)"
_USER = r"(?P<id>me|[0-9]+)"

DAY_MS = 24 * 3600 * 1000
WINDOW_MS = DAY_MS
HUMAN_AGENT_WINDOW_MS = 7 * DAY_MS

MEDIA_FIELDS = {
    "id",
    "caption",
    "media_type",
    "timestamp",
    "permalink",
    "username",
    "comments_count",
    "like_count",
    "owner",
}
COMMENT_FIELDS = {
    "id",
    "text",
    "timestamp",
    "from",
    "username",
    "hidden",
    "like_count",
    "parent_id",
    "media",
    "replies",
}
_DEFAULTS = {
    "media": {"id"},
    "comment": {"id", "text", "timestamp"},
    "conversation": {"id"},
    "message": {"id", "created_time"},
}


def _fields(request: Request, kind: str) -> set[str]:
    return top_fields(request, _DEFAULTS[kind])


def _gone(object_id: str) -> HttpError:
    return HttpError(
        404,
        f"(#100) Object with ID '{object_id}' does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation",
    )


class InstagramApi(GraphDialect):
    network = "instagram"
    prefix = "/instagram"
    usage_type = "instagram"
    usage_owner = BANK_ID
    limit_code = 4
    limit_message = "(#4) Application request limit reached"

    def routes(self) -> list[Route]:
        read, write = {"limit": 600, "window": 3600}, {"limit": 300, "window": 3600}
        return [
            route("GET", rf"{_V}/me", "GET /me", self.me, **read),
            route("GET", rf"{_V}/{_NUM}/media", "GET /{ig-user-id}/media", self.media, **read),
            route("GET", rf"{_V}/{_NUM}/tags", "GET /{ig-user-id}/tags", self.tags, **read),
            route("GET", rf"{_V}/{_NUM}/comments", "GET /{ig-media-id}/comments", self.comments, **read),
            route("POST", rf"{_V}/{_NUM}/comments", "POST /{ig-media-id}/comments", self.comment, **write),
            route("GET", rf"{_V}/{_NUM}/replies", "GET /{ig-comment-id}/replies", self.replies, **read),
            route("POST", rf"{_V}/{_NUM}/replies", "POST /{ig-comment-id}/replies", self.comment, **write),
            route("GET", rf"{_V}/{_USER}/conversations", "GET /me/conversations", self.conversations, **read),
            route(
                "GET",
                rf"{_V}/(?P<id>{ig_state._CONVERSATION_PREFIX}[\w-]+)/messages",
                "GET /{conversation-id}/messages",
                self.messages,
                **read,
            ),
            route("POST", rf"{_V}/{_USER}/messages", "POST /me/messages", self.send, **write),
            route("GET", rf"{_V}/(?P<id>[\w-]+)", "GET /{ig-object-id}", self.get_object, **read),
            route("POST", rf"{_V}/{_NUM}", "POST /{ig-comment-id}", self.hide, **write),
            route("DELETE", rf"{_V}/{_NUM}", "DELETE /{ig-comment-id}", self.delete, **write),
        ]

    # -- rendering ---------------------------------------------------------------

    def _user(self, ctx: Context, user_id: str, *, picture: bool = False) -> dict[str, Any]:
        user = ctx.store.data["instagram"]["users"].get(
            user_id, {"id": user_id, "username": "instagram_user"}
        )
        return {"id": user["id"], "username": user["username"]}

    def _media(self, ctx: Context, media: Record, fields: set[str]) -> dict[str, Any]:
        ig = ctx.store.data["instagram"]
        owner = self._user(ctx, media["owner_id"])
        full: dict[str, Any] = {
            "id": media["id"],
            "caption": media["caption"],
            "media_type": media["media_type"],
            "timestamp": graph_time(media["created_ms"]),
            "permalink": f"https://www.instagram.com/p/{media['id'][-11:]}/",
            "username": owner["username"],
            "owner": {"id": owner["id"]},
            "comments_count": sum(1 for c in ig["comments"].values() if c["media_id"] == media["id"]),
            "like_count": 0,
        }
        return {k: v for k, v in full.items() if k in fields}

    def _comment(self, ctx: Context, comment: Record, fields: set[str]) -> dict[str, Any]:
        author = self._user(ctx, comment["from_id"])
        full: dict[str, Any] = {
            "id": comment["id"],
            "text": comment["text"],
            "timestamp": graph_time(comment["created_ms"]),
            "from": author,
            "username": author["username"],
            "hidden": comment["hidden"],
            "like_count": 0,
            "media": {"id": comment["media_id"]},
        }
        if comment["parent_id"]:
            full["parent_id"] = comment["parent_id"]
        if "replies" in fields and not comment["parent_id"]:
            inner = fields - {"replies"}
            rows = sorted(self._replies_of(ctx, comment["id"]), key=lambda c: (c["created_ms"], c["id"]))
            full["replies"] = {"data": [self._comment(ctx, r, inner) for r in rows]}
        return {k: v for k, v in full.items() if k in fields}

    @staticmethod
    def _replies_of(ctx: Context, comment_id: str) -> list[Record]:
        return [c for c in ctx.store.data["instagram"]["comments"].values() if c["parent_id"] == comment_id]

    def _own_user(self, ctx: Context) -> None:
        if ctx.match["id"] not in ("me", BANK_ID):
            raise _gone(ctx.match["id"])

    # -- the account ---------------------------------------------------------------

    def me(self, ctx: Context) -> Response:
        return Response(payload={"id": BANK_ID, "user_id": BANK_ID, "username": BANK_INSTAGRAM["username"]})

    def _media_edge(self, ctx: Context, *, tagged: bool) -> Response:
        self._own_user(ctx)
        rows = [m for m in ctx.store.data["instagram"]["media"].values() if m["tagged"] is tagged]
        fields = _fields(ctx.request, "media")
        return self._paged(
            ctx,
            rows,
            lambda m: self._media(ctx, m, fields),
            lambda m: (m["created_ms"], int(m["id"])),
            default_limit=25,
        )

    def media(self, ctx: Context) -> Response:
        return self._media_edge(ctx, tagged=False)

    def tags(self, ctx: Context) -> Response:
        return self._media_edge(ctx, tagged=True)

    # -- comments ------------------------------------------------------------------

    def comments(self, ctx: Context) -> Response:
        ig = ctx.store.data["instagram"]
        media_id = ctx.match["id"]
        if media_id not in ig["media"]:
            raise _gone(media_id)
        rows = [c for c in ig["comments"].values() if c["media_id"] == media_id and not c["parent_id"]]
        fields = _fields(ctx.request, "comment")
        return self._paged(
            ctx,
            rows,
            lambda c: self._comment(ctx, c, fields),
            lambda c: (c["created_ms"], int(c["id"])),
            default_limit=50,
        )

    def replies(self, ctx: Context) -> Response:
        ig = ctx.store.data["instagram"]
        if ctx.match["id"] not in ig["comments"]:
            raise _gone(ctx.match["id"])
        fields = _fields(ctx.request, "comment") - {"replies"}
        return self._paged(
            ctx,
            self._replies_of(ctx, ctx.match["id"]),
            lambda c: self._comment(ctx, c, fields),
            lambda c: (c["created_ms"], int(c["id"])),
            default_limit=50,
        )

    def comment(self, ctx: Context) -> Response:
        """POST /{media}/comments (a new comment) or /{comment}/replies (an answer to one)."""
        message = ctx.request.param("message", "")
        if not message.strip():
            raise HttpError(400, "(#100) The parameter message is required")
        ig = ctx.store.data["instagram"]
        target = ctx.match["id"]
        on_media = ctx.request.path.endswith("/comments")
        if (target not in ig["media"]) if on_media else (target not in ig["comments"]):
            raise _gone(target)
        with ctx.store.mutate():
            made = ig_state.add_comment(ctx.store, text=message, from_id=BANK_ID, target_id=target)
            assert made is not None
            ctx.store.record_sent(
                network="instagram",
                kind="comment",
                external_id=made["id"],
                text=message,
                in_reply_to=target,
                thread=made["media_id"],
            )
        return Response(payload={"id": made["id"]})

    def hide(self, ctx: Context) -> Response:
        comment = ctx.store.data["instagram"]["comments"].get(ctx.match["id"])
        if comment is None:
            raise _gone(ctx.match["id"])
        hide = ctx.request.param("hide", "")
        if hide not in ("true", "false"):
            raise HttpError(400, "(#100) The parameter hide is required and must be true or false")
        if comment["from_id"] == BANK_ID:
            return graph_error(400, "(#100) You cannot hide your own comment", code=100)
        with ctx.store.mutate():
            comment["hidden"] = hide == "true"
        return Response(payload={"success": True})

    def delete(self, ctx: Context) -> Response:
        """The account deletes a comment on its own media, or its own comment anywhere."""
        ig = ctx.store.data["instagram"]
        comment = ig["comments"].get(ctx.match["id"])
        if comment is None:
            raise _gone(ctx.match["id"])
        media = ig["media"].get(comment["media_id"], {})
        if comment["from_id"] != BANK_ID and media.get("owner_id") != BANK_ID:
            return graph_error(400, "(#200) Permissions error: not the media's owner", code=200)
        with ctx.store.mutate():
            for reply in self._replies_of(ctx, comment["id"]):
                ig["comments"].pop(reply["id"], None)
            ig["comments"].pop(comment["id"], None)
            ig.setdefault("deleted", []).append(comment["id"])
        return Response(payload={"success": True})

    # -- messages ------------------------------------------------------------------

    def conversations(self, ctx: Context) -> Response:
        self._own_user(ctx)
        if ctx.request.param("platform", "") != "instagram":
            raise HttpError(400, "(#100) The parameter platform is required: instagram")
        ig = ctx.store.data["instagram"]
        fields = _fields(ctx.request, "conversation")

        def render(conversation: Record) -> dict[str, Any]:
            full = {
                "id": conversation["id"],
                "updated_time": graph_time(conversation["updated_ms"]),
                "participants": {
                    "data": [self._user(ctx, conversation["user_id"]), self._user(ctx, BANK_ID)]
                },
            }
            return {k: v for k, v in full.items() if k in fields}

        return self._paged(
            ctx,
            list(ig["conversations"].values()),
            render,
            lambda c: (c["updated_ms"], c["id"]),
            default_limit=25,
        )

    def _message(self, ctx: Context, message: Record, fields: set[str]) -> dict[str, Any]:
        full = {
            "id": message["id"],
            "created_time": graph_time(message["created_ms"]),
            "from": self._user(ctx, message["from_id"]),
            "to": {"data": [self._user(ctx, message["to_id"])]},
            "message": message["text"],
        }
        return {k: v for k, v in full.items() if k in fields}

    def messages(self, ctx: Context) -> Response:
        ig = ctx.store.data["instagram"]
        thread_id = ctx.match["id"]
        if thread_id not in ig["conversations"]:
            raise _gone(thread_id)
        rows = [m for m in ig["messages"].values() if m["conversation_id"] == thread_id]
        fields = _fields(ctx.request, "message")
        return self._paged(
            ctx,
            rows,
            lambda m: self._message(ctx, m, fields),
            lambda m: (m["created_ms"], m["number"]),
            default_limit=25,
        )

    def send(self, ctx: Context) -> Response:
        self._own_user(ctx)
        fields = send_params(
            ctx.request,
            invalid="(#100) recipient and message must be JSON objects",
            plain=("tag", "messaging_type"),
        )
        recipient_id = str(fields["recipient"].get("id", ""))
        text = fields["message"].get("text", "")
        if recipient_id not in ctx.store.data["instagram"]["users"] or recipient_id == BANK_ID:
            return graph_error(400, "(#100) No matching user found", code=100, subcode=2534014)
        if not isinstance(text, str) or not text.strip():
            raise HttpError(400, "(#100) message.text must be a non-empty string")
        tag = fields["tag"]
        if tag and (tag != "HUMAN_AGENT" or fields["messaging_type"] != "MESSAGE_TAG"):
            raise HttpError(400, "(#100) tag must be HUMAN_AGENT, with messaging_type MESSAGE_TAG")
        last = ig_state.last_customer_message_ms(ctx.store, ig_state.conversation_id(recipient_id))
        window = HUMAN_AGENT_WINDOW_MS if tag else WINDOW_MS
        if last is None or now_ms() - last > window:
            return graph_error(
                400, "(#10) This message is sent outside of allowed window.", code=10, subcode=2534022
            )
        with ctx.store.mutate():
            made = ig_state.add_message(ctx.store, text=text, from_id=BANK_ID, to_id=recipient_id, tag=tag)
            ctx.store.record_sent(
                network="instagram",
                kind="direct",
                external_id=made["id"],
                text=text,
                recipient_id=recipient_id,
                thread=made["conversation_id"],
                tag=tag,
            )
        return Response(payload={"recipient_id": recipient_id, "message_id": made["id"]})

    # -- single objects ------------------------------------------------------------

    def get_object(self, ctx: Context) -> Response:
        ig = ctx.store.data["instagram"]
        object_id = ctx.match["id"]
        for kind, table, allowed, render in (
            ("IGMedia", "media", MEDIA_FIELDS, self._media),
            ("IGComment", "comments", COMMENT_FIELDS, self._comment),
        ):
            if object_id in ig[table]:
                fields = _fields(ctx.request, "media" if table == "media" else "comment")
                unknown = sorted(fields - allowed)
                if unknown:
                    raise HttpError(
                        400, f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type ({kind})"
                    )
                return Response(payload=render(ctx, ig[table][object_id], fields))
        if object_id in ig["messages"]:
            return Response(
                payload=self._message(ctx, ig["messages"][object_id], _fields(ctx.request, "message"))
            )
        raise _gone(object_id)
