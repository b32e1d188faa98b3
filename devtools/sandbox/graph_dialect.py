"""What the two Graph APIs share: Facebook's (graph.facebook.com) and Instagram's with Instagram
Login (graph.instagram.com) speak one dialect.

The access token in the query or an `Authorization` header, only the requested `fields`, errors
as `{"error": {...}}` with a JSON content type (a bad token is a 400 with code 190), Graph's
(#2635) refusal of a version it no longer speaks, the `X-App-Usage` / `X-Business-Use-Case-Usage`
headers, and keyset paging with `paging.cursors` and an absolute `paging.next` that carries the
access token.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlencode

from devtools.sandbox.state import Record
from devtools.sandbox.wire import (
    Context,
    HttpError,
    NetworkApi,
    Request,
    Response,
    corrupt_generic,
    decode_token,
    encode_token,
    int_param,
)
from devtools.sandbox.world import DEMO_TOKEN, GRAPH_VERSIONS, LATEST_GRAPH_VERSION

_VERSION_PREFIX = re.compile(r"^/(v\d+\.\d+)(?:/|$)")


def top_fields(request: Request, default: Iterable[str]) -> set[str]:
    """Top-level names in a Graph `fields` list ("from{id,name},comments.limit(5)" -> from, comments)."""
    raw = request.param("fields", "")
    if not raw:
        return set(default)
    names, depth, current = set(), 0, ""
    for char in raw + ",":
        depth += (char in "{(") - (char in "})")
        if depth == 0 and char == ",":
            names.add(current.split("{")[0].split(".")[0].strip())
            current = ""
        else:
            current += char
    return {n for n in names if n} | {"id"}


def graph_error(
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


def send_params(request: Request, *, invalid: str, plain: tuple[str, ...] = ()) -> dict[str, Any]:
    """The Send API's parameters, from a JSON body or a form: `recipient` and `message` are JSON
    objects (JSON-encoded in a form), the `plain` ones text."""
    body = request.json() if "json" in request.headers.get("Content-Type", "") else {}
    params: dict[str, Any] = {}
    for name in ("recipient", "message"):
        value = body.get(name) or request.param(name, "")
        try:
            params[name] = (json.loads(value) if isinstance(value, str) else value) or {}
        except ValueError:
            raise HttpError(400, invalid) from None
    for name in plain:
        params[name] = str(body.get(name) or request.param(name, ""))
    return params


class GraphDialect(NetworkApi):
    """A Graph API's dialect; subclasses add the routes and the objects."""

    # The usage headers' business type and the id they are keyed by.
    usage_type = ""
    usage_owner = ""
    # The storm scenario's refusal: Pages say (#32), apps (#4).
    limit_code = 32
    limit_message = "(#32) Page request limit reached"

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
        return graph_error(status, message, code=code, kind=kind)

    def refuse(self, request: Request) -> Response | None:
        """A version Graph no longer serves (or never did): Graph's (#2635) error."""
        match = _VERSION_PREFIX.match(request.path)
        if match is None or match.group(1) in GRAPH_VERSIONS:
            return None
        return graph_error(
            400,
            f"(#2635) You are calling a deprecated version of the Graph API. Please update to the "
            f"latest version: {LATEST_GRAPH_VERSION}.",
            code=2635,
        )

    def expired(self) -> Response:
        return graph_error(
            400,
            "Error validating access token: Session has expired on Tuesday, 01-Jul-25 10:00:00 PDT.",
            code=190,
            subcode=463,
        )

    def storm(self, reset_at: int) -> Response:
        minutes = max(1, math.ceil((reset_at - time.time()) / 60))
        response = graph_error(
            400, self.limit_message, code=self.limit_code, kind="OAuthException", transient=True
        )
        response.headers["X-Business-Use-Case-Usage"] = self._usage(100, minutes)
        return response

    def server_error(self, sequence: int) -> Response:
        if sequence % 2:
            return Response(
                status=502, body=b"<html><body>502 Bad Gateway</body></html>", content_type="text/html"
            )
        return graph_error(
            500, "An unexpected error has occurred. Please retry your request later.", code=2, transient=True
        )

    def rate_headers(self, *, limit: int, remaining: int, reset_at: int) -> dict[str, str]:
        used = round(100 * (limit - remaining) / limit) if limit else 100
        minutes = max(0, math.ceil((reset_at - time.time()) / 60)) if remaining == 0 else 0
        return {
            "X-App-Usage": json.dumps(
                {"call_count": used, "total_cputime": used // 2, "total_time": used // 2}
            ),
            "X-Business-Use-Case-Usage": self._usage(used, minutes),
        }

    def corrupt(self, response: Response, variant: str) -> Response:
        return corrupt_generic(response, variant, list_key="data")

    def _usage(self, used: int, minutes: int) -> str:
        usage = {
            "type": self.usage_type,
            "call_count": used,
            "total_cputime": used // 2,
            "total_time": used // 2,
            "estimated_time_to_regain_access": minutes,
        }
        return json.dumps({self.usage_owner: [usage]})

    def _paged(
        self,
        ctx: Context,
        rows: list[Record],
        render: Callable[[Record], dict[str, Any]],
        key: Callable[[Record], tuple],
        *,
        default_limit: int,
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
