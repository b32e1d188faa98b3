"""A stand-in for LinkedIn's Community Management API (versioned /rest endpoints).

Reproduced: the required `LinkedIn-Version` and `X-Restli-Protocol-Version`
headers, URN path keys (percent-encoded), `elements` + `paging` with
`start`/`count` and `links`, comments with `commentUrn`, `created.time` in
epoch milliseconds and `commentsSummary`, 201 + `x-restli-id` on create, and
LinkedIn's error bodies (`status`, `serviceErrorCode`, `code`, `message`).
LinkedIn sends no rate-limit headers: its throttles are daily.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from devtools.sandbox.state import Record
from devtools.sandbox.wire import (
    Context,
    HttpError,
    NetworkApi,
    Request,
    Response,
    Route,
    corrupt_generic,
    route,
)
from devtools.sandbox.world import BANK_LINKEDIN_ORG, DEMO_TOKEN, LINKEDIN_VERSIONS

ORG_URN = BANK_LINKEDIN_ORG["urn"]
_CODES = {
    400: (None, "BAD_REQUEST"),
    401: (65600, "INVALID_ACCESS_TOKEN"),
    403: (100, "ACCESS_DENIED"),
    404: (None, "NOT_FOUND"),
    422: (None, "UNPROCESSABLE_ENTITY"),
    429: (101, "TOO_MANY_REQUESTS"),
}


class LinkedInApi(NetworkApi):
    network = "linkedin"
    prefix = "/linkedin"

    def routes(self) -> list[Route]:
        return [
            route("GET", r"/rest/posts", "GET /rest/posts", self.posts, limit=5000, window=86400),
            route("POST", r"/rest/posts", "POST /rest/posts", self.create_post, limit=150, window=86400),
            route(
                "GET",
                r"/rest/socialActions/(?P<urn>urn:li:[^/]+)/comments",
                "GET /rest/socialActions/{urn}/comments",
                self.comments,
                limit=20000,
                window=86400,
            ),
            route(
                "GET",
                r"/rest/socialActions/(?P<urn>urn:li:[^/]+)/comments/(?P<id>[0-9]+)",
                "GET /rest/socialActions/{urn}/comments/{id}",
                self.comment,
                limit=20000,
                window=86400,
            ),
            route(
                "POST",
                r"/rest/socialActions/(?P<urn>urn:li:[^/]+)/comments",
                "POST /rest/socialActions/{urn}/comments",
                self.create_comment,
                limit=1000,
                window=86400,
            ),
            route(
                "GET", r"/rest/people/\(id:(?P<id>[^)]+)\)", "GET /rest/people/{id}", self.person, limit=20000
            ),
        ]

    # -- dialect -----------------------------------------------------------------

    def authenticate(self, request: Request) -> bool:
        return request.headers.get("Authorization", "") == f"Bearer {DEMO_TOKEN}"

    def error(self, status: int, message: str, *, reset_at: int | None = None) -> Response:
        service_code, code = _CODES.get(status, (None, "INTERNAL_SERVER_ERROR"))
        payload: dict[str, Any] = {"status": status, "code": code, "message": message}
        if service_code is not None:
            payload["serviceErrorCode"] = service_code
        if status == 401:
            payload["message"] = "Invalid access token"
        return Response(status=status, payload=payload)

    def refuse(self, request: Request) -> Response | None:
        """A retired (or never released) LinkedIn-Version: 426, as the real API answers."""
        version = request.headers.get("LinkedIn-Version", "")
        if not re.fullmatch(r"20\d{4}", version) or version in LINKEDIN_VERSIONS:
            return None
        return Response(
            status=426,
            payload={
                "status": 426,
                "code": "NONEXISTENT_VERSION",
                "message": f"Requested version {version} is not active",
            },
        )

    def expired(self) -> Response:
        return Response(
            status=401,
            payload={
                "status": 401,
                "serviceErrorCode": 65601,
                "code": "EXPIRED_ACCESS_TOKEN",
                "message": "The token used in the request has expired",
            },
        )

    def storm(self, reset_at: int) -> Response:
        return self.error(
            429, "Resource level throttle APPLICATION DAY limit for calls to this resource is reached."
        )

    def server_error(self, sequence: int) -> Response:
        if sequence % 2:
            return Response(
                status=504, body=b"<html><body>504 Gateway Time-out</body></html>", content_type="text/html"
            )
        return Response(status=500, payload={"status": 500, "message": "Internal Server Error"})

    def corrupt(self, response: Response, variant: str) -> Response:
        return corrupt_generic(response, variant, list_key="elements")

    # -- shared checks -----------------------------------------------------------

    @staticmethod
    def _require_headers(request: Request) -> None:
        version = request.headers.get("LinkedIn-Version", "")
        if not re.fullmatch(r"20\d{4}(\.\d{2})?", version):
            raise HttpError(
                400,
                "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
            )
        if request.headers.get("X-Restli-Protocol-Version") != "2.0.0":
            raise HttpError(400, "X-Restli-Protocol-Version 2.0.0 is required for this resource")

    @staticmethod
    def _paging(request: Request, total: int) -> tuple[int, int, dict[str, Any]]:
        try:
            start = int(request.query.get("start", "0"))
            count = int(request.query.get("count", "10"))
        except ValueError:
            raise HttpError(400, "start and count must be integers") from None
        if start < 0 or not 1 <= count <= 100:
            raise HttpError(400, "start must be >= 0 and count between 1 and 100")
        links = []
        base = request.full_path.removeprefix("/linkedin")
        others = {k: v for k, v in request.query.items() if k not in ("start", "count")}
        if start + count < total:
            query = urlencode({**others, "start": start + count, "count": count})
            links.append({"rel": "next", "href": f"{base}?{query}", "type": "application/json"})
        if start > 0:
            query = urlencode({**others, "start": max(0, start - count), "count": count})
            links.append({"rel": "prev", "href": f"{base}?{query}", "type": "application/json"})
        return start, count, {"start": start, "count": count, "total": total, "links": links}

    # -- posts -------------------------------------------------------------------

    def posts(self, ctx: Context) -> Response:
        request = ctx.request
        self._require_headers(request)
        if request.query.get("q") != "author":
            raise HttpError(400, "only the author finder (q=author) is supported")
        if request.query.get("author") != ORG_URN:
            raise HttpError(403, f"Not enough permissions to access: posts of {request.query.get('author')}")
        posts = sorted(
            ctx.store.data["linkedin"]["posts"].values(), key=lambda p: p["created_ms"], reverse=True
        )
        start, count, paging = self._paging(request, len(posts))
        elements = [
            {
                "id": p["id"],
                "author": p["author"],
                "commentary": p["commentary"],
                "createdAt": p["created_ms"],
                "lastModifiedAt": p["created_ms"],
                "publishedAt": p["created_ms"],
                "lifecycleState": "PUBLISHED",
                "visibility": "PUBLIC",
                "distribution": {"feedDistribution": "MAIN_FEED"},
            }
            for p in posts[start : start + count]
        ]
        return Response(payload={"elements": elements, "paging": paging})

    def create_post(self, ctx: Context) -> Response:
        """The organisation publishes a post (201, empty body, its URN in x-restli-id)."""
        self._require_headers(ctx.request)
        body = ctx.request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        if body.get("author") != ORG_URN:
            raise HttpError(403, f"Not enough permissions to post as {body.get('author')}")
        text = body.get("commentary")
        if not isinstance(text, str) or not text.strip():
            raise HttpError(422, "commentary is required")
        if len(text) > 3000:
            raise HttpError(422, "commentary is longer than 3000 characters")
        with ctx.store.mutate():
            post = ctx.store.add_linkedin_post(text=text)
            ctx.store.record_sent(network="linkedin", kind="post", external_id=post["id"], text=text)
        return Response(status=201, payload={}, headers={"x-restli-id": post["id"]})

    # -- comments ----------------------------------------------------------------

    def _render_comment(self, ctx: Context, comment: Record) -> dict[str, Any]:
        li = ctx.store.data["linkedin"]
        replies = sum(1 for c in li["comments"].values() if c["parent_urn"] == comment["urn"])
        stamp = {"actor": comment["actor"], "time": comment["created_ms"]}
        out: dict[str, Any] = {
            "id": comment["id"],
            "commentUrn": comment["urn"],
            "$URN": comment["urn"],
            "actor": comment["actor"],
            "object": comment["activity_urn"],
            "message": {"text": comment["text"], "attributes": []},
            "created": stamp,
            "lastModified": stamp,
            "commentsSummary": {
                "totalFirstLevelComments": replies,
                "aggregatedTotalComments": replies,
                "selectedComments": [],
            },
            "likesSummary": {"totalLikes": 0, "likedByCurrentUser": False, "selectedLikes": []},
        }
        if comment["actor"] == ORG_URN:
            out["agent"] = "urn:li:person:sandboxadmin"
        if comment["parent_urn"]:
            out["parentComment"] = comment["parent_urn"]
        return out

    def comments(self, ctx: Context) -> Response:
        self._require_headers(ctx.request)
        li = ctx.store.data["linkedin"]
        target = ctx.match["urn"]
        if target in li["posts"]:
            rows = [c for c in li["comments"].values() if c["post_urn"] == target and not c["parent_urn"]]
        elif target in li["comments"]:
            rows = [c for c in li["comments"].values() if c["parent_urn"] == target]
        else:
            raise HttpError(404, f"Not found: {target}")
        rows.sort(key=lambda c: (c["created_ms"], int(c["id"])), reverse=True)
        start, count, paging = self._paging(ctx.request, len(rows))
        elements = [self._render_comment(ctx, c) for c in rows[start : start + count]]
        return Response(payload={"elements": elements, "paging": paging})

    def comment(self, ctx: Context) -> Response:
        """One comment by id, under its post (replies included) or under its parent comment."""
        self._require_headers(ctx.request)
        li = ctx.store.data["linkedin"]
        target, comment_id = ctx.match["urn"], ctx.match["id"]
        for comment in li["comments"].values():
            if comment["id"] == comment_id and target in (comment["post_urn"], comment["parent_urn"]):
                return Response(payload=self._render_comment(ctx, comment))
        raise HttpError(404, f"Not found: comment {comment_id} under {target}")

    def create_comment(self, ctx: Context) -> Response:
        self._require_headers(ctx.request)
        body = ctx.request.json()
        if not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        actor = body.get("actor")
        text = (body.get("message") or {}).get("text") if isinstance(body.get("message"), dict) else None
        if actor != ORG_URN:
            raise HttpError(403, f"Not enough permissions to comment as {actor}")
        if not isinstance(text, str) or not text.strip():
            raise HttpError(422, "message.text is required")
        if len(text) > 1250:
            raise HttpError(422, "message.text is longer than 1250 characters")
        if not isinstance(body.get("object"), str):
            raise HttpError(422, "object is required")
        with ctx.store.mutate():
            made = ctx.store.add_linkedin_comment(text=text, actor=ORG_URN, target_urn=ctx.match["urn"])
            if made is None:
                raise HttpError(404, f"Not found: {ctx.match['urn']}")
            ctx.store.record_sent(
                network="linkedin",
                kind="comment",
                external_id=made["urn"],
                text=text,
                in_reply_to=ctx.match["urn"],
                thread=made["post_urn"],
            )
            rendered = self._render_comment(ctx, made)
        return Response(status=201, payload=rendered, headers={"x-restli-id": made["id"]})

    # -- people ------------------------------------------------------------------

    def person(self, ctx: Context) -> Response:
        self._require_headers(ctx.request)
        person = ctx.store.data["linkedin"]["people"].get(ctx.match["id"])
        if person is None:
            raise HttpError(404, f"Not found: urn:li:person:{ctx.match['id']}")
        return Response(
            payload={
                "id": person["id"],
                "localizedFirstName": person["first"],
                "localizedLastName": person["last"],
                "vanityName": person.get("vanity", ""),
            }
        )
