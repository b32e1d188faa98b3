"""HTTP plumbing the connectors share: base-URL redirection, timeouts, rate headers.

The client libraries we wrap (tweepy, facebook-sdk) hard-code their hosts and
send requests without a timeout. Rather than patch module globals, each
connector gives its client a `requests.Session` with `BaseUrlAdapter` mounted:
the adapter rewrites the library's URL to the configured base URL (the sandbox
in development and tests, the real API in production) and applies a default
timeout, so a hanging network can never hang a worker.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

DEFAULT_TIMEOUT = 10.0

# Re-signs a prepared request after its URL changed (OAuth 1.0a signs the URL).
Resigner = Callable[[requests.PreparedRequest], requests.PreparedRequest]


def network_settings(base_url_setting: str, default_base_url: str) -> tuple[str, float]:
    """The configured base URL and timeout, read when a connector is built.

    Read lazily (not at import) so tests can change settings per test, and so
    importing a connector never needs configured settings.
    """
    from django.conf import settings

    base_url = str(getattr(settings, base_url_setting, "") or default_base_url).rstrip("/")
    timeout = float(getattr(settings, "NETWORK_HTTP_TIMEOUT", DEFAULT_TIMEOUT) or DEFAULT_TIMEOUT)
    return base_url, timeout


class BaseUrlAdapter(HTTPAdapter):
    """Sends requests for `source` (scheme://host) to `target` (a base URL), with a timeout.

    A request that already goes to `target` (a paging link the API built from
    its own address) passes through unchanged but still gets the timeout.
    """

    def __init__(self, *, source: str, target: str, timeout: float, resign: Resigner | None = None):
        # No automatic retries: the task layer decides what is retried, with
        # backoff, and a POST must never be replayed behind our back.
        super().__init__(max_retries=0)
        self.source = source.rstrip("/")
        self.target = target.rstrip("/")
        self.timeout = timeout
        self.resign = resign

    def rewrite(self, url: str) -> str:
        if self.source != self.target and url.startswith(self.source + "/"):
            return self.target + url[len(self.source) :]
        return url

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: float | tuple[float, float] | None = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        original = request.url or ""
        request.url = self.rewrite(original)
        if request.url != original and self.resign is not None:
            auth = request.headers.get("Authorization", "")
            if auth.startswith("OAuth "):
                del request.headers["Authorization"]
                request = self.resign(request)
        return super().send(
            request,
            stream=stream,
            timeout=timeout if timeout is not None else self.timeout,
            verify=verify,
            cert=cert,
            proxies=proxies,
        )


def mount_base_url(
    session: requests.Session, *, source: str, target: str, timeout: float, resign: Resigner | None = None
) -> BaseUrlAdapter:
    """Route `session`'s calls for `source` to `target`, and bound every call by `timeout`."""
    adapter = BaseUrlAdapter(source=source, target=target, timeout=timeout, resign=resign)
    # Most specific prefixes win in requests; mount the target too so that
    # absolute paging links to it get the timeout, and the schemes so nothing
    # the library sends elsewhere can go without one.
    for prefix in {source.rstrip("/") + "/", target.rstrip("/") + "/", "http://", "https://"}:
        session.mount(prefix, adapter)
    return adapter


def epoch_to_datetime(value: str | int | float | None) -> dt.datetime | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number) or number < 0 or number > 32_503_680_000:  # year 3000
        return None
    return dt.datetime.fromtimestamp(number, tz=dt.UTC)


def header_int(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


_SAFE_URL = re.compile(r"^https?://[^\s/?#]+", re.IGNORECASE)


def safe_http_url(value: Any) -> str:
    """`value` if it is an absolute http(s) URL, else "".

    Profile and avatar URLs come from strangers: `javascript:` and `data:`
    URLs never leave the connector, whatever the templates do.
    """
    if not isinstance(value, str):
        return ""
    candidate = value.strip()
    if not _SAFE_URL.match(candidate):
        return ""
    parts = urlsplit(candidate)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    return candidate


_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Make network text storable: PostgreSQL text and JSONB reject NUL, UTF-8 rejects lone surrogates.

    Everything else (markup, bidi controls, zero-width characters) is kept as
    it was said: escaping is the templates' job, and the raw words matter to
    the people reading them.
    """
    return _SURROGATES.sub("\ufffd", value.replace("\x00", "\ufffd"))


def clean_json(value: Any) -> Any:
    """`clean_text` applied through a JSON-able structure (for `raw` payloads).

    A payload that is clean already (the usual case: no NUL, no lone surrogate, no
    infinite float, only JSON types) is returned as it is, found so by one `json.dumps`.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        pass
    else:
        if "\\u0000" not in text and not _SURROGATES.search(text):
            return value
    return _clean_json(value)


def _clean_json(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return clean_text(str(value))
