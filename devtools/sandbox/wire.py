"""The small HTTP vocabulary the sandbox's fake APIs are written in.

Each network module subclasses `NetworkApi`: it lists its routes and says how
that network spells its errors and rate-limit headers. The server applies
scenarios, authentication and rate budgets around every route the same way,
so the three fake networks fail in consistent, network-faithful ways.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from devtools.sandbox.scenarios import Scenarios
    from devtools.sandbox.state import Store


class HttpError(Exception):
    """Raised by a route to answer with the network's error for `status`."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    # The path below the network's prefix ("/2/users/1/mentions"), percent-decoded.
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: bytes
    # Scheme, host and port the client used, to build absolute URLs (paging links, avatars).
    origin: str
    raw_query: str = ""
    # The full percent-decoded path as the client sent it, prefix included (for signatures).
    full_path: str = ""

    def json(self) -> Any:
        if not self.body:
            return {}
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError):
            raise HttpError(400, "request body is not valid JSON") from None

    def form(self) -> dict[str, str]:
        ctype = self.headers.get("Content-Type", "")
        if "application/x-www-form-urlencoded" in ctype:
            return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return {}

    def param(self, name: str, default: str = "") -> str:
        """A parameter from the query string or a form body (Graph accepts both)."""
        if name in self.query:
            return self.query[name]
        return self.form().get(name, default)


@dataclass
class Response:
    status: int = 200
    payload: Any = None
    body: bytes | None = None
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering (the "hanging" scenario).
    hang: float = 0.0

    def encode(self) -> bytes:
        if self.body is not None:
            return self.body
        if self.payload is None:
            return b""
        return json.dumps(self.payload, ensure_ascii=False).encode("utf-8")


@dataclass
class Context:
    """What a route handler may use."""

    store: Store
    scenarios: Scenarios
    request: Request
    match: re.Match[str]


Handler = Callable[[Context], Response]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    # The endpoint's name in request counts and rate budgets ("GET /2/users/:id/mentions").
    name: str
    handler: Handler
    # Calls per window, like the real API's documented limit for the endpoint.
    limit: int = 900
    window: int = 900


def route(
    method: str, pattern: str, name: str, handler: Handler, *, limit: int = 900, window: int = 900
) -> Route:
    return Route(method, re.compile(f"^{pattern}$"), name, handler, limit, window)


class NetworkApi:
    """One fake network. Subclasses fill in the routes and the network's dialect."""

    network: str = ""
    prefix: str = ""

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def authenticate(self, request: Request) -> bool:
        raise NotImplementedError

    def error(self, status: int, message: str, *, reset_at: int | None = None) -> Response:
        raise NotImplementedError

    def rate_headers(self, *, limit: int, remaining: int, reset_at: int) -> dict[str, str]:
        return {}

    def billable(self, request: Request, response: Response) -> list[tuple[str, str]]:
        """What a pay-per-use network bills for this answer: (kind, resource id or "")."""
        return []

    def refuse(self, request: Request) -> Response | None:
        """The network's answer to a request it does not take at all (an API version it no
        longer speaks), before authentication; None to go on."""
        return None

    def storm(self, reset_at: int) -> Response:
        """The network's answer when the rate-limit storm scenario is on."""
        return self.error(429, "Too Many Requests", reset_at=reset_at)

    def expired(self) -> Response:
        return self.error(401, "Unauthorized")

    def server_error(self, sequence: int) -> Response:
        return self.error(503, "Service Unavailable")

    def corrupt(self, response: Response, variant: str) -> Response:
        return corrupt_generic(response, variant, list_key="data")


def corrupt_generic(response: Response, variant: str, *, list_key: str) -> Response:
    """Damage a JSON answer the way a flaky network or proxy would."""
    if variant == "non_json":
        return Response(
            status=200,
            body=b"<html><head><title>Error</title></head><body><h1>Bad Gateway</h1></body></html>",
            content_type="text/html; charset=utf-8",
            headers=response.headers,
        )
    if variant == "truncated":
        body = response.encode()
        return Response(
            status=response.status,
            body=body[: max(1, len(body) // 2)],
            content_type=response.content_type,
            headers=response.headers,
        )
    items = response.payload.get(list_key) if isinstance(response.payload, dict) else None
    if not isinstance(items, list) or not items:
        return response
    # Damage one item in the middle of the page; the rest must still get through.
    victim_index = len(items) // 2
    victim = dict(items[victim_index])
    if variant == "missing_fields":
        for key in list(victim):
            if key != "id":
                victim.pop(key)
                break
        victim.pop("created_at", None)
        victim.pop("created_time", None)
        victim.pop("created", None)
        victim.pop("timestamp", None)
    elif variant == "wrong_types":
        for key, value in list(victim.items()):
            if isinstance(value, str):
                victim[key] = 12345 if key != "id" else ["not", "an", "id"]
            elif isinstance(value, dict):
                victim[key] = "oops"
    items = [*items[:victim_index], victim, *items[victim_index + 1 :]]
    return Response(
        status=response.status,
        payload={**response.payload, list_key: items},
        content_type=response.content_type,
        headers=response.headers,
    )


class RateBudgets:
    """Fixed-window call budgets per (network, endpoint), like the networks keep per token."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self._overrides: dict[tuple[str, str], tuple[int, int]] = {}

    def override(self, network: str, endpoint: str, *, limit: int, window: int) -> None:
        with self._lock:
            self._overrides[(network, endpoint)] = (limit, window)
            self._windows.pop((network, endpoint), None)

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()
            self._overrides.clear()

    def peek(self, network: str, route: Route) -> tuple[int, int, int]:
        """(limit, remaining, reset) without spending a call: for answers that cost nothing."""
        key = (network, route.name)
        now = time.time()
        with self._lock:
            limit, window = self._overrides.get(key, (route.limit, route.window))
            start, used = self._windows.get(key, (now, 0))
            if now - start >= window:
                start, used = now, 0
            return limit, max(0, limit - used), int(start + window)

    def take(self, network: str, route: Route) -> tuple[bool, int, int, int]:
        """Spend one call. Returns (allowed, limit, remaining, reset epoch seconds)."""
        key = (network, route.name)
        now = time.time()
        with self._lock:
            limit, window = self._overrides.get(key, (route.limit, route.window))
            start, used = self._windows.get(key, (now, 0))
            if now - start >= window:
                start, used = now, 0
            reset_at = int(start + window)
            if used >= limit:
                self._windows[key] = (start, used)
                return False, limit, 0, reset_at
            used += 1
            self._windows[key] = (start, used)
            return True, limit, limit - used, reset_at


# -- small helpers the network modules share -----------------------------------


def encode_token(value: str) -> str:
    """An opaque pagination token. Networks never promise anything about theirs either."""
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """Tokens are plain base64 of an id, so they survive restarts and never expire."""
    try:
        return base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        raise HttpError(400, "invalid pagination token") from None


def iso_ms(epoch_ms: int) -> str:
    """X's timestamp format: 2024-05-01T12:34:56.789Z."""
    moment = dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{epoch_ms % 1000:03d}Z"


def graph_time(epoch_ms: int) -> str:
    """Graph's timestamp format: 2024-05-01T12:34:56+0000."""
    return dt.datetime.fromtimestamp(epoch_ms / 1000, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def int_param(request: Request, name: str, default: int, *, low: int, high: int) -> int:
    raw = request.param(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise HttpError(400, f"{name} must be an integer") from None
    if not low <= value <= high:
        raise HttpError(400, f"{name} must be between {low} and {high}")
    return value
