"""What X bills for one API answer, under its pay-per-use pricing (February 2026).

Reads are billed per resource returned (posts, users, DM events, in `data` and in
`includes`), writes per request: a post (more with a URL in it), a direct message, a delete,
a hide. A failed request is not billed. https://docs.x.com/x-api/getting-started/pricing
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import requests

from listening.connectors import base

_URL = re.compile(r"https?://", re.IGNORECASE)


def _ids(items: Any) -> list[str]:
    items = items if isinstance(items, list) else [items] if isinstance(items, dict) else []
    return [str(item["id"]) for item in items if isinstance(item, dict) and isinstance(item.get("id"), str)]


def _read_units(path: str, body: Any) -> list[base.Usage]:
    if not isinstance(body, dict):
        return []
    if "/dm_events" in path:
        main = base.USAGE_DM_EVENT_READ
    elif re.search(r"/2/users(/me|/by|/\d+$)", path):
        main = base.USAGE_USER_READ
    else:
        main = base.USAGE_POST_READ
    units = [base.Usage(main, i) for i in _ids(body.get("data"))]
    includes = body.get("includes") if isinstance(body.get("includes"), dict) else {}
    units += [base.Usage(base.USAGE_USER_READ, i) for i in _ids(includes.get("users"))]
    units += [base.Usage(base.USAGE_POST_READ, i) for i in _ids(includes.get("tweets"))]
    return units


def _write_unit(method: str, path: str, request_body: Any) -> base.Usage | None:
    if method == "POST" and path.endswith("/2/tweets"):
        try:
            text = json.loads(request_body or b"{}").get("text", "")
        except (ValueError, AttributeError):
            text = ""
        with_url = isinstance(text, str) and _URL.search(text)
        return base.Usage(base.USAGE_CONTENT_CREATE_URL if with_url else base.USAGE_CONTENT_CREATE)
    if method == "POST" and path.endswith("/messages"):
        return base.Usage(base.USAGE_DM_CREATE)
    if method == "DELETE":
        return base.Usage(base.USAGE_DELETE)
    if method == "PUT" and path.endswith("/hidden"):
        return base.Usage(base.USAGE_CONTENT_MANAGE)
    return None


def billable_units(response: requests.Response) -> list[base.Usage]:
    if response.status_code >= 400 or response.request is None:
        return []
    method = (response.request.method or "GET").upper()
    path = urlsplit(response.url).path.rstrip("/")
    if method != "GET":
        unit = _write_unit(method, path, response.request.body)
        return [unit] if unit else []
    try:
        body = response.json()
    except ValueError:
        return []  # unreadable: nothing usable was returned
    return _read_units(path, body)
