"""The development sandbox's failure scenarios, switched from the accounts page (DEBUG only).

The sandbox itself is a development tool outside the product (`devtools`, installed under DEBUG):
when installed, it tells listening the access token it accepts (`sandbox_register`), which the
accounts page shows; listening never imports it.
"""

from __future__ import annotations

from bankbuzz.audit.services import audit_record

# --- The sandbox (DEBUG only) ---------------------------------------------------------------

SANDBOX_SCENARIOS = {
    "rate_limit_storm": "Rate-limit storm",
    "expired_token": "Expired token",
    "server_errors": "5xx errors",
    "hanging": "Hanging responses",
    "malformed": "Malformed payloads",
    "outage": "Outage burst",
    "large_pages": "Large backlog",
    "hostile": "Hostile text",
}


_registered: dict[str, str] = {}


class SandboxUnavailable(Exception):
    pass


def sandbox_register(*, token: str) -> None:
    """The development sandbox, at start-up: the access token its networks accept."""
    _registered["token"] = token


def sandbox_token() -> str:
    """The token registered by the development sandbox; empty when it is not installed."""
    return _registered.get("token", "")


def _sandbox_call(method: str, path: str, **kwargs):
    import requests
    from django.conf import settings

    if not settings.DEBUG or not settings.SANDBOX_URL:
        raise SandboxUnavailable("the sandbox exists only in development (DEBUG)")
    try:
        response = requests.request(method, f"{settings.SANDBOX_URL}/_sandbox{path}", timeout=3, **kwargs)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise SandboxUnavailable(
            f"the sandbox at {settings.SANDBOX_URL} did not answer ({exc.__class__.__name__})"
        ) from exc


def sandbox_scenarios_active() -> dict[str, list[str]]:
    """Active scenario names per network ("all" for those without one)."""
    active: dict[str, list[str]] = {}
    for scenario in _sandbox_call("GET", "/scenario").get("active", []):
        active.setdefault(scenario.get("network") or "all", []).append(scenario.get("name", ""))
    return active


def sandbox_scenario_set(*, actor, network: str, name: str, on: bool) -> None:
    """Switch one sandbox scenario on or off for one network; "steady" clears them all."""
    if network not in ("x", "facebook", "linkedin", "instagram") or (
        name != "steady" and name not in SANDBOX_SCENARIOS
    ):
        raise ValueError("unknown network or scenario")
    if name == "steady":
        _sandbox_call("DELETE", "/scenario", params={"network": network})
    elif on:
        _sandbox_call("POST", "/scenario", json={"name": name, "network": network})
    else:
        _sandbox_call("DELETE", "/scenario", params={"network": network, "name": name})
    audit_record(
        actor=actor,
        verb="sandbox.scenario",
        object_type="sandbox",
        object_id=network,
        object_repr=f"sandbox {network}",
        after={"scenario": name, "on": on},
    )
