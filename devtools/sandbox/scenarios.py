"""Named situations the sandbox can be put in, for demos, drills and tests.

A scenario is active for one network or for all of them, optionally for a
number of seconds. They live in the persisted state, with absolute expiry
times, so a drill survives a sandbox restart the way a real outage would.
"""

from __future__ import annotations

import time
from typing import Any

from devtools.sandbox.state import Store

# name -> what it does; the control API lists these.
SCENARIOS: dict[str, str] = {
    "steady": "the normal stream of customer traffic (clears every other scenario in its scope)",
    "outage": "ten times the volume, mostly about logging in and the app being down",
    "rate_limit_storm": "every API call is answered with the network's rate-limit error",
    "expired_token": "every API call is answered with the network's expired-token error",
    "server_errors": "every API call fails with a 5xx",
    "hanging": "responses hang for `hang_seconds` (default 30) before being answered",
    "malformed": "truncated JSON, missing fields, wrong types or non-JSON bodies (`variant`)",
    "large_pages": "a backlog of `count` items (default 450) lands at once: many full pages",
    "hostile": "markup, scripts, bidi and zero-width characters, NUL bytes, javascript: URLs",
}

# Scenarios that change how API calls are answered (as opposed to what is said).
FAULTS = ("rate_limit_storm", "expired_token", "server_errors", "hanging", "malformed")

MALFORMED_VARIANTS = ("truncated", "missing_fields", "wrong_types", "non_json")


class UnknownScenario(ValueError):
    pass


class Scenarios:
    def __init__(self, store: Store):
        self.store = store

    def _prune(self, scenarios: list[dict[str, Any]]) -> list[dict[str, Any]]:
        now = time.time()
        return [s for s in scenarios if s.get("until") is None or s["until"] > now]

    def list(self) -> list[dict[str, Any]]:
        with self.store.lock:
            return [dict(s) for s in self._prune(self.store.data["scenarios"])]

    def active(self, name: str, network: str | None) -> dict[str, Any] | None:
        """The scenario `name` if it applies to `network` (a network-less one applies to all)."""
        for scenario in self.list():
            if scenario["name"] == name and scenario.get("network") in (None, network):
                return scenario
        return None

    def fault_for(self, network: str) -> dict[str, Any] | None:
        for scenario in self.list():
            if scenario["name"] in FAULTS and scenario.get("network") in (None, network):
                return scenario
        return None

    def set(
        self,
        name: str,
        *,
        network: str | None = None,
        seconds: float | None = None,
        params: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        if name not in SCENARIOS:
            raise UnknownScenario(name)
        with self.store.mutate() as data:
            kept = self._prune(data["scenarios"])
            if name == "steady":
                kept = [s for s in kept if network is not None and s.get("network") != network]
                data["scenarios"] = kept
                return {"name": "steady", "network": network, "until": None, "params": {}}
            # One instance of a scenario per scope: setting it again replaces it.
            kept = [s for s in kept if not (s["name"] == name and s.get("network") == network)]
            scenario = {
                "name": name,
                "network": network,
                "until": time.time() + seconds if seconds else None,
                "params": dict(params or {}),
                "started": time.time(),
            }
            kept.append(scenario)
            data["scenarios"] = kept
            return dict(scenario)

    def clear(self, *, name: str | None = None, network: str | None = None) -> int:
        with self.store.mutate() as data:
            before = len(data["scenarios"])
            data["scenarios"] = [
                s
                for s in data["scenarios"]
                if not (
                    (name is None or s["name"] == name) and (network is None or s.get("network") == network)
                )
            ]
            return before - len(data["scenarios"])
