"""The demo bank the sandbox plays, shared with the Django demo seed.

These are plain constants on purpose: the sandbox must not import Django, and
the demo seed must connect accounts whose ids match what the sandbox serves,
so both read them from here.
"""

from __future__ import annotations

from typing import Final

BANK_NAME: Final = "Northbridge Bank"

# The token the sandbox accepts for every network. Anything else is answered
# with the network's own "invalid token" error, like the real APIs do.
DEMO_TOKEN: Final = "sandbox-demo-token"

BANK_X: Final[dict[str, str]] = {
    "user_id": "1585092736154238977",
    "handle": "northbridgebank",
    "name": BANK_NAME,
}

BANK_FACEBOOK_PAGE: Final[dict[str, str]] = {
    "page_id": "104829375610284",
    "name": BANK_NAME,
    "username": "northbridgebank",
}

# The bank's Instagram professional account: `user_id` is its Instagram user id
# (what /me answers with Instagram Login), `username` its @handle.
BANK_INSTAGRAM: Final[dict[str, str]] = {
    "user_id": "17841405822304914",
    "username": "northbridgebank",
    "name": BANK_NAME,
}

BANK_LINKEDIN_ORG: Final[dict[str, str]] = {
    "id": "90412387",
    "urn": "urn:li:organization:90412387",
    "name": BANK_NAME,
    "vanity_name": "northbridge-bank",
}

# OAuth 1.0a keys the sandbox verifies signatures with (HMAC-SHA1), so that a
# client which signs for one host and sends to another is caught in tests.
DEMO_OAUTH1: Final[dict[str, str]] = {
    "consumer_key": "sandbox-consumer-key",
    "consumer_secret": "sandbox-consumer-secret",
    "access_token": DEMO_TOKEN,
    "access_token_secret": "sandbox-token-secret",
}

# Credentials dicts the demo seed can store on the connected accounts; the
# keys are the ones each connector documents at the top of its module.
DEMO_CREDENTIALS: Final[dict[str, dict[str, str]]] = {
    "x": {"bearer_token": DEMO_TOKEN, "oauth2_user_token": DEMO_TOKEN},
    "facebook": {"page_access_token": DEMO_TOKEN},
    "linkedin": {"access_token": DEMO_TOKEN},
    "instagram": {"access_token": DEMO_TOKEN},
}

NETWORKS: Final = ("x", "facebook", "linkedin", "instagram")

# The API versions the fake networks speak, as the real ones did in December 2026: Graph
# (Facebook and Instagram) serves a version until its published expiry date, LinkedIn each
# monthly version for about a year. A client asking for another one is refused like the real
# API refuses it, so a version pinned past its end of life fails in tests, not in production.
GRAPH_VERSIONS: Final = ("v21.0", "v22.0", "v23.0", "v24.0", "v25.0", "v26.0")
LATEST_GRAPH_VERSION: Final = "v26.0"
LINKEDIN_VERSIONS: Final = tuple(f"2026{month:02d}" for month in range(1, 12))

# Other banks the crowd talks about, for the demo's competitor listening queries
# (`devtools/demo/listening.py`). `weight` is each one's share of the competitor chatter;
# `names` are the ways people write the name.
COMPETITORS: Final[tuple[dict, ...]] = (
    {
        "name": "Harbourline Bank",
        "handle": "harbourline",
        "names": ("Harbourline", "Harbourline Bank", "@harbourline"),
        "weight": 3,
    },
    {
        "name": "Crestmoor Building Society",
        "handle": "crestmoorbs",
        "names": ("Crestmoor", "Crestmoor BS", "@crestmoorbs"),
        "weight": 2,
    },
)
