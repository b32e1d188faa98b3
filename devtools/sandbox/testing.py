"""Helpers for tests that drive the sandbox: a running server and a control client.

Kept in the package (not in a conftest) so every test module, and the
integration tests of other apps, can use the same few lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests

from devtools.sandbox.server import SandboxServer


class SandboxControl:
    """A thin client for `/_sandbox/...`."""

    def __init__(self, url: str):
        self.url = url.rstrip("/")
        self.session = requests.Session()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.session.request(method, f"{self.url}/_sandbox{path}", timeout=10, **kwargs)
        response.raise_for_status()
        return response.json()

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def post(self, **item: Any) -> dict[str, Any]:
        """Inject one item (see devtools.sandbox.inject for the fields)."""
        return self._call("POST", "/posts", json=item)

    def generate(self, count: int, **kwargs: Any) -> list[dict[str, Any]]:
        return self._call("POST", "/generate", json={"count": count, **kwargs})["items"]

    def scenario(self, name: str, **kwargs: Any) -> dict[str, Any]:
        return self._call("POST", "/scenario", json={"name": name, **kwargs})

    def clear_scenarios(self, **filters: str) -> int:
        return self._call("DELETE", "/scenario", params=filters)["cleared"]

    def sent(self, network: str | None = None) -> list[dict[str, Any]]:
        params = {"network": network} if network else {}
        return self._call("GET", "/sent", params=params)["sent"]

    def requests(self) -> dict[str, dict[str, int]]:
        return self._call("GET", "/requests")["requests"]

    def billable(self) -> dict[str, int]:
        """X's pay-per-use units the sandbox answered with (reads once per resource and UTC day)."""
        return self._call("GET", "/requests")["billable"]

    def rate_limit(self, network: str, endpoint: str, *, limit: int, window: int = 900) -> None:
        self._call(
            "POST",
            "/rate_limits",
            json={"network": network, "endpoint": endpoint, "limit": limit, "window": window},
        )

    def reset(self) -> None:
        self._call("POST", "/reset")


@contextmanager
def running_sandbox(**kwargs: Any) -> Iterator[tuple[SandboxServer, SandboxControl]]:
    """A sandbox on a free port for the duration of the block."""
    kwargs.setdefault("rate", 0.0)
    kwargs.setdefault("seed", 1)
    server = SandboxServer("127.0.0.1", 0, **kwargs).start()
    try:
        yield server, SandboxControl(server.url)
    finally:
        server.stop()
