"""The social networks: where each network's API is, its versions and prices, moderation roles
and customers' avatars."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from bankbuzz.env import env_bool, env_int, env_list, env_str
from bankbuzz.settings.base import DEBUG

# --- The social networks -------------------------------------------------------

SANDBOX_URL = env_str("SANDBOX_URL", "http://127.0.0.1:8001" if DEBUG else "").rstrip("/")
_sandbox_default = SANDBOX_URL or "http://127.0.0.1:8001"
X_API_BASE_URL = env_str("X_API_BASE_URL", f"{_sandbox_default}/x" if DEBUG else "https://api.x.com").rstrip(
    "/"
)
GRAPH_API_BASE_URL = env_str(
    "GRAPH_API_BASE_URL", f"{_sandbox_default}/graph" if DEBUG else "https://graph.facebook.com"
).rstrip("/")
LINKEDIN_API_BASE_URL = env_str(
    "LINKEDIN_API_BASE_URL", f"{_sandbox_default}/linkedin" if DEBUG else "https://api.linkedin.com"
).rstrip("/")
INSTAGRAM_API_BASE_URL = env_str(
    "INSTAGRAM_API_BASE_URL", f"{_sandbox_default}/instagram" if DEBUG else "https://graph.instagram.com"
).rstrip("/")
# Defaults as DEFAULT_*_VERSION in listening/connectors/versions.py, whose table has each
# version's end of life; the accounts page and /healthz warn 60 days before it.
GRAPH_API_VERSION = env_str("GRAPH_API_VERSION", "v25.0")
LINKEDIN_API_VERSION = env_str("LINKEDIN_API_VERSION", "202603")
NETWORK_HTTP_TIMEOUT = env_int("NETWORK_HTTP_TIMEOUT", 10, minimum=1)
# X's pay-per-use prices in USD per unit (docs.x.com/x-api/getting-started/pricing, 2026):
# reads per resource returned, billed once per resource and UTC day; writes per request.
# X_API_PRICES='{"post_read": "0.005", ...}' overrides some or all.
X_API_PRICES = {
    "post_read": "0.005",
    "user_read": "0.010",
    "dm_event_read": "0.010",
    "content_create": "0.015",
    "content_create_url": "0.200",
    "dm_create": "0.015",
    "interaction_delete": "0.010",
    "content_manage": "0.005",
}
# Moderation permissions (bankbuzz/accounts/roles.py), each leads-only unless given here:
# MODERATION_ROLES='{"hide_comment": ["lead", "agent"]}'.
try:
    MODERATION_ROLES = json.loads(env_str("MODERATION_ROLES", "") or "{}")
    if not isinstance(MODERATION_ROLES, dict):
        raise TypeError
except (TypeError, ValueError):
    raise ImproperlyConfigured('MODERATION_ROLES must be a JSON object: {"hide_comment": ["lead"]}') from None
try:
    X_API_PRICES.update(json.loads(env_str("X_API_PRICES", "") or "{}"))
except (TypeError, ValueError):
    raise ImproperlyConfigured('X_API_PRICES must be a JSON object: {"post_read": "0.005", ...}') from None

_OFFICIAL_HOSTS = {
    "X_API_BASE_URL": {"api.x.com", "api.twitter.com"},
    "GRAPH_API_BASE_URL": {"graph.facebook.com"},
    "LINKEDIN_API_BASE_URL": {"api.linkedin.com"},
    # Instagram Login, or the same endpoints through the linked Facebook Page.
    "INSTAGRAM_API_BASE_URL": {"graph.instagram.com", "graph.facebook.com"},
}
ALLOW_SANDBOX_NETWORKS = env_bool("ALLOW_SANDBOX_NETWORKS", DEBUG)
if not ALLOW_SANDBOX_NETWORKS:
    # Production talks to the real networks only: a sandbox URL left in a
    # production environment would silently swallow customers' messages.
    for _name, _hosts in _OFFICIAL_HOSTS.items():
        _url = urlsplit(globals()[_name])
        if _url.scheme != "https" or _url.hostname not in _hosts:
            raise ImproperlyConfigured(
                f"{_name}={globals()[_name]!r} is not the network's official https API; "
                "sandbox URLs are refused in production "
                "(set DEBUG or ALLOW_SANDBOX_NETWORKS for a test stack)"
            )

# --- Customers' avatars (listening/avatars.py) --------------------------------------
# A worker fetches them and pages serve our copy: staff browsers never load a customer's URL.
AVATAR_MAX_BYTES = env_int("AVATAR_MAX_BYTES", 256 * 1024, minimum=1024)
AVATAR_FETCH_TIMEOUT = env_int("AVATAR_FETCH_TIMEOUT", 5, minimum=1)
# Hosts fetched although they resolve to a private or loopback address: the local sandbox.
# Honoured under DEBUG only; production fetches from public addresses alone.
AVATAR_PRIVATE_HOSTS = env_list(
    "AVATAR_PRIVATE_HOSTS", [urlsplit(_sandbox_default).hostname or "127.0.0.1"] if DEBUG else []
)
