"""The sandbox HTTP server: four fake networks and a control API on one port.

Standard library only (no Django import), so it starts in a fraction of a
second in `make run`, in tests (in-process, on a free port) and in CI.

    /x/2/...             X API v2
    /graph/vNN.N/...     Graph API, any version
    /linkedin/rest/...   LinkedIn Community Management API
    /instagram/vNN.N/... Instagram API with Instagram Login (graph.instagram.com)
    /_sandbox/...        control API (JSON): health, inject, scenarios, sent, requests, reset
"""

from __future__ import annotations

import logging
import re
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from devtools.sandbox import world
from devtools.sandbox.graph_api import GraphApi
from devtools.sandbox.instagram_api import InstagramApi
from devtools.sandbox.linkedin_api import LinkedInApi
from devtools.sandbox.scenarios import MALFORMED_VARIANTS, SCENARIOS, Scenarios, UnknownScenario
from devtools.sandbox.state import Store
from devtools.sandbox.traffic import Traffic
from devtools.sandbox.wire import Context, HttpError, NetworkApi, RateBudgets, Request, Response, Route
from devtools.sandbox.x_api import XApi

log = logging.getLogger("devtools.sandbox")

# How many items the "outage", "hostile" and "large_pages" scenarios drop at once
# when switched on, so that their effect shows on the next poll even at rate 0.
_BURSTS = {"outage": 30, "hostile": 12, "large_pages": 450}


def _apis() -> list[NetworkApi]:
    return [XApi(), GraphApi(), LinkedInApi(), InstagramApi()]


class Sandbox:
    """The application: routing, scenarios, budgets and the control API, without sockets."""

    def __init__(self, *, state_path: Path | None = None, rate: float = 0.0, seed: int = 1):
        self.store = Store(state_path)
        self.scenarios = Scenarios(self.store)
        self.traffic = Traffic(self.store, self.scenarios, rate=rate, seed=seed)
        self.seed = seed
        self.budgets = RateBudgets()
        self.apis = _apis()
        self._counts: Counter[tuple[str, str]] = Counter()
        self._billed_reads: set[tuple[str, str, str]] = set()
        self._billed_writes: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self._sequence = 0
        self.stopping = threading.Event()

    # -- dispatch ----------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/_sandbox/") or request.path == "/_sandbox":
            try:
                return self.control(request)
            except HttpError as exc:
                return Response(status=exc.status, payload={"error": exc.message})
        for api in self.apis:
            if request.path == api.prefix or request.path.startswith(api.prefix + "/"):
                inner = Request(
                    method=request.method,
                    path=request.path[len(api.prefix) :] or "/",
                    query=request.query,
                    headers=request.headers,
                    body=request.body,
                    origin=request.origin,
                    raw_query=request.raw_query,
                    full_path=request.path,
                )
                return self._handle_network(api, inner)
        return Response(status=404, payload={"error": f"no such path: {request.path}"})

    def _handle_network(self, api: NetworkApi, request: Request) -> Response:
        for candidate in api.routes():
            match = candidate.pattern.match(request.path)
            if match and candidate.method == request.method:
                break
        else:
            self._count(api.network, f"{request.method} (unknown)")
            return api.error(404, f"no such endpoint: {request.method} {request.path}")
        self._count(api.network, candidate.name)
        with self._counts_lock:
            self._sequence += 1
            sequence = self._sequence

        fault = self.scenarios.fault_for(api.network)
        hang = 0.0
        if fault is not None and fault["name"] == "hanging":
            hang = float(fault["params"].get("hang_seconds", 30))
            fault = None
        response = self._answer(api, candidate, request, match, fault, sequence)
        response.hang = hang
        return response

    def _answer(
        self,
        api: NetworkApi,
        candidate: Route,
        request: Request,
        match: re.Match[str],
        fault: dict[str, Any] | None,
        sequence: int,
    ) -> Response:
        if fault is not None and fault["name"] == "rate_limit_storm":
            reset_at = int(fault["until"] or time.time() + float(fault["params"].get("reset_seconds", 60)))
            response = api.storm(reset_at)
            response.headers.update(api.rate_headers(limit=candidate.limit, remaining=0, reset_at=reset_at))
            return response
        rejection = api.refuse(request) or self._fault_or_auth(api, request, fault, sequence)
        if rejection is not None:
            # Failed calls still carry the budget headers (X sends them on every answer).
            limit, remaining, reset_at = self.budgets.peek(api.network, candidate)
            rejection.headers.update(api.rate_headers(limit=limit, remaining=remaining, reset_at=reset_at))
            return rejection
        allowed, limit, remaining, reset_at = self.budgets.take(api.network, candidate)
        headers = api.rate_headers(limit=limit, remaining=remaining, reset_at=reset_at)
        if not allowed:
            response = api.storm(reset_at)
            response.headers.update(headers)
            return response
        try:
            with self.store.lock:
                response = candidate.handler(Context(self.store, self.scenarios, request, match))
        except HttpError as exc:
            response = api.error(exc.status, exc.message)
        response.headers.update(headers)
        self._bill(api.billable(request, response))
        if fault is not None and fault["name"] == "malformed" and request.method == "GET":
            variant = fault["params"].get("variant") or MALFORMED_VARIANTS[sequence % len(MALFORMED_VARIANTS)]
            response = api.corrupt(response, variant)
        return response

    @staticmethod
    def _fault_or_auth(
        api: NetworkApi, request: Request, fault: dict[str, Any] | None, sequence: int
    ) -> Response | None:
        if fault is not None and fault["name"] == "expired_token":
            return api.expired()
        if fault is not None and fault["name"] == "server_errors":
            return api.server_error(sequence)
        if not api.authenticate(request):
            return api.error(401, "Unauthorized")
        return None

    def _bill(self, units: list[tuple[str, str]]) -> None:
        """Pay-per-use units, as the network bills them: a resource read once per UTC day."""
        if not units:
            return
        day = time.strftime("%Y-%m-%d", time.gmtime())
        with self._counts_lock:
            for kind, resource in units:
                if resource:
                    self._billed_reads.add((day, kind, resource))
                else:
                    self._billed_writes[kind] += 1

    def billable_counts(self) -> dict[str, int]:
        with self._counts_lock:
            out: Counter[str] = Counter(self._billed_writes)
            for _day, kind, _resource in self._billed_reads:
                out[kind] += 1
            return dict(sorted(out.items()))

    def _clear_counts(self) -> None:
        with self._counts_lock:
            self._counts.clear()
            self._billed_reads.clear()
            self._billed_writes.clear()

    def _count(self, network: str, endpoint: str) -> None:
        with self._counts_lock:
            self._counts[(network, endpoint)] += 1

    def request_counts(self) -> dict[str, dict[str, int]]:
        with self._counts_lock:
            out: dict[str, dict[str, int]] = {}
            for (network, endpoint), count in sorted(self._counts.items()):
                out.setdefault(network, {})[endpoint] = count
            return out

    # -- control API ---------------------------------------------------------------

    def control(self, request: Request) -> Response:
        path = request.path.removeprefix("/_sandbox").rstrip("/") or "/"
        method = request.method
        if path == "/health" and method == "GET":
            return Response(payload=self.health())
        if path == "/posts" and method == "POST":
            return Response(status=201, payload=self.inject(request.json()))
        if path == "/generate" and method == "POST":
            body = request.json()
            count = int(body.get("count", 1))
            if not 1 <= count <= 5000:
                raise HttpError(400, "count must be between 1 and 5000")
            if body.get("competitors"):
                made = [self.traffic.emit_competitor() for _ in range(count)]
            elif body.get("network") == "instagram":
                made = [self.traffic.emit_instagram() for _ in range(count)]
            else:
                made = [
                    self.traffic.emit(
                        network=body.get("network"), topic=body.get("topic"), hostile=body.get("hostile")
                    )
                    for _ in range(count)
                ]
            return Response(status=201, payload={"items": made})
        if path == "/scenario":
            if method == "GET":
                return Response(payload={"active": self.scenarios.list(), "available": SCENARIOS})
            if method == "POST":
                return Response(status=201, payload=self.set_scenario(request.json()))
            if method == "DELETE":
                cleared = self.scenarios.clear(
                    name=request.query.get("name") or None, network=request.query.get("network") or None
                )
                return Response(payload={"cleared": cleared})
        if path == "/sent" and method == "GET":
            network = request.query.get("network")
            with self.store.lock:
                sent = [dict(s) for s in self.store.data["sent"] if network in (None, s["network"])]
            return Response(payload={"sent": sent, "count": len(sent)})
        if path == "/requests":
            if method == "GET":
                return Response(
                    payload={"requests": self.request_counts(), "billable": self.billable_counts()}
                )
            if method == "DELETE":
                self._clear_counts()
                return Response(payload={"ok": True})
        if path == "/reset" and method == "POST":
            self.store.reset()
            self.budgets.reset()
            self._clear_counts()
            return Response(payload={"ok": True})
        if path == "/rate_limits" and method == "POST":
            body = request.json()
            try:
                self.budgets.override(
                    str(body["network"]),
                    str(body["endpoint"]),
                    limit=int(body["limit"]),
                    window=int(body.get("window", 900)),
                )
            except (KeyError, TypeError, ValueError):
                raise HttpError(400, "need network, endpoint, limit and optionally window") from None
            return Response(payload={"ok": True})
        if path.startswith("/avatars/") and method == "GET":
            return _avatar(unquote(path.removeprefix("/avatars/")))
        raise HttpError(404, f"no control endpoint {method} {path}")

    def health(self) -> dict[str, Any]:
        with self.store.lock:
            data = self.store.data
            counts = {
                "x_tweets": len(data["x"]["tweets"]),
                "x_dm_events": len(data["x"]["dm_events"]),
                "facebook_posts": len(data["facebook"]["posts"]),
                "facebook_comments": len(data["facebook"]["comments"]),
                "facebook_messages": len(data["facebook"]["messages"]),
                "linkedin_posts": len(data["linkedin"]["posts"]),
                "linkedin_comments": len(data["linkedin"]["comments"]),
                "instagram_media": len(data["instagram"]["media"]),
                "instagram_comments": len(data["instagram"]["comments"]),
                "instagram_messages": len(data["instagram"]["messages"]),
                "sent": len(data["sent"]),
                "generated": data["generated"],
                "competitor_generated": data.get("competitor_generated", 0),
            }
        return {
            "ok": True,
            "rate": self.traffic.rate,
            "seed": self.seed,
            "scenarios": self.scenarios.list(),
            "counts": counts,
            "bank": {
                "name": world.BANK_NAME,
                "x": world.BANK_X,
                "facebook": world.BANK_FACEBOOK_PAGE,
                "linkedin": world.BANK_LINKEDIN_ORG,
                "instagram": world.BANK_INSTAGRAM,
            },
        }

    def set_scenario(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            raise HttpError(400, 'body must be {"name": ..., "network": optional, "seconds": optional}')
        network = body.get("network") or None
        if network is not None and network not in world.NETWORKS:
            raise HttpError(400, f"network must be one of {', '.join(world.NETWORKS)}")
        seconds = body.get("seconds")
        if seconds is not None and (not isinstance(seconds, int | float) or seconds <= 0):
            raise HttpError(400, "seconds must be a positive number")
        params = {k: v for k, v in body.items() if k not in ("name", "network", "seconds")}
        params.update(body.get("params") or {})
        variant = params.get("variant")
        if body["name"] == "malformed" and variant is not None and variant not in MALFORMED_VARIANTS:
            raise HttpError(400, f"variant must be one of {', '.join(MALFORMED_VARIANTS)}")
        try:
            scenario = self.scenarios.set(body["name"], network=network, seconds=seconds, params=params)
        except UnknownScenario:
            raise HttpError(400, f"unknown scenario; available: {', '.join(SCENARIOS)}") from None
        burst = int(params.get("count", _BURSTS.get(body["name"], 0)))
        made = []
        for _ in range(min(burst, 5000)):
            if network == "instagram" and body["name"] in ("outage", "hostile", "large_pages"):
                # Instagram's crowd is a stream of its own (traffic.emit_instagram).
                made.append(self.traffic.emit_instagram())
            elif body["name"] == "outage":
                made.append(self.traffic.emit(network=network, outage=True))
            elif body["name"] == "hostile":
                made.append(self.traffic.emit(network=network, hostile=True))
            elif body["name"] == "large_pages":
                made.append(self.traffic.emit(network=network))
        scenario["burst"] = len(made)
        return scenario

    def inject(self, body: Any) -> dict[str, Any]:
        from devtools.sandbox.inject import inject

        if not isinstance(body, dict):
            raise HttpError(400, "body must be a JSON object")
        try:
            return inject(self.store, body)
        except (KeyError, TypeError, ValueError) as exc:
            raise HttpError(400, f"cannot inject: {exc}") from None


def _avatar(name: str) -> Response:
    """A flat-colour PNG per handle, so demo avatars need no outside network."""
    handle = name.removesuffix(".png")
    crc = zlib.crc32(handle.encode())
    rgb = bytes((((crc >> 16) & 0x7F) + 0x60, ((crc >> 8) & 0x7F) + 0x60, (crc & 0x7F) + 0x60))
    size = 48
    raw = b"".join(b"\x00" + rgb * size for _ in range(size))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )
    return Response(body=png, content_type="image/png", headers={"Cache-Control": "max-age=86400"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without TCP_NODELAY, Nagle and
        # delayed ACKs add ~40 ms to every keep-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host") or f"{self.server.server_address[0]}:{self.server.server_address[1]}"
        request = Request(
            method=self.command,
            path=unquote(parts.path),
            query=dict(parse_qsl(parts.query, keep_blank_values=True)),
            headers=self.headers,  # type: ignore[arg-type]
            body=body,
            origin=f"http://{host}",
            raw_query=parts.query,
        )
        try:
            response = self.server.app.handle(request)
        except Exception:
            log.exception("sandbox failed on %s %s", self.command, self.path)
            response = Response(status=500, payload={"error": "sandbox bug, see its log"})
        if response.hang and self.server.app.stopping.wait(response.hang):
            self.close_connection = True
            return
        payload = response.encode()
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        # Graph clients put their token in the query string (and in paging.next links).
        line = _TOKEN_IN_URL.sub(r"\1[redacted]", format % args)
        log.debug("%s - %s", self.address_string(), line)


_TOKEN_IN_URL = re.compile(r"((?:access_token|appsecret_proof)=)[^&\s\"]+")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Hanging requests must not keep stop() waiting.
    block_on_close = False
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], app: Sandbox):
        self.app = app
        super().__init__(address, _Handler)


class SandboxServer:
    """The sandbox on a background thread, for tests and for `python -m devtools.sandbox`.

    >>> server = SandboxServer(port=0, rate=0.0, seed=1).start()
    >>> server.url   # e.g. http://127.0.0.1:53411
    >>> server.stop()
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate: float = 0.0,
        seed: int = 1,
        state_path: str | Path | None = None,
        scenario: str | None = None,
    ):
        self.app = Sandbox(state_path=Path(state_path) if state_path else None, rate=rate, seed=seed)
        self._httpd = _HTTPServer((host, port), self.app)
        self._thread: threading.Thread | None = None
        if scenario and scenario != "steady":
            self.app.set_scenario({"name": scenario})

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        # A short poll interval makes stop() quick, which matters to tests that start many servers.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="sandbox-http", daemon=True
        )
        self._thread.start()
        self.app.traffic.start()
        return self

    def serve_forever(self) -> None:
        self.app.traffic.start()
        try:
            self._httpd.serve_forever(poll_interval=0.2)
        finally:
            self.app.traffic.stop()

    def stop(self) -> None:
        self.app.stopping.set()
        self.app.traffic.stop()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.app.store.save()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
