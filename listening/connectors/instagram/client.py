"""The Instagram Graph API over plain requests: the session, calls, paging and errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import requests

from bankbuzz.network_versions import graph_version
from listening.connectors.base import AccountInfo, AuthFailed, Connector, ConnectorError, RateBudget
from listening.connectors.graph import graph_error, page_data, tighter_budget
from listening.connectors.http import mount_base_url, network_settings

DEFAULT_BASE_URL = "https://graph.instagram.com"
PAGE_SIZE = 50
DEFAULT_MAX_PAGES = 5

# A comment without its replies.
ONE_COMMENT_FIELDS = "id,text,timestamp,from{id,username},parent_id,hidden"
COMMENT_FIELDS = f"{ONE_COMMENT_FIELDS},replies{{{ONE_COMMENT_FIELDS}}}"
MEDIA_FIELDS = "id,caption,timestamp,permalink,username,owner,comments_count"
MESSAGE_FIELDS = "id,created_time,from,to,message"
# (#10) with these subcodes: outside the messaging window, not a missing permission.
_OUTSIDE_WINDOW_SUBCODES = {2534022, 2018278}
_VERSION_REFUSED = 2635


class InstagramClient(Connector):
    """The account's Graph session, shared by the reading and the writing half of the connector."""

    def __init__(self, account: AccountInfo):
        super().__init__(account)
        self._base_url, self._timeout = network_settings("INSTAGRAM_API_BASE_URL", DEFAULT_BASE_URL)
        self._version = graph_version()
        self._session: requests.Session | None = None
        self._rate: RateBudget | None = None

    @property
    def user_id(self) -> str:
        return self.account.external_id

    # -- the wire ------------------------------------------------------------------

    def _http(self) -> requests.Session:
        if self._session is None:
            token = self.account.credentials.get("access_token")
            if not token:
                raise AuthFailed("Instagram account has no access_token")
            session = requests.Session()
            mount_base_url(session, source=self._base_url, target=self._base_url, timeout=self._timeout)
            # In a header, not the query string: URLs end up in logs and proxies.
            session.headers["Authorization"] = f"Bearer {token}"
            self._session = session
        return self._session

    def _call(self, method: str, path: str, *, action: str, writing: bool = False, **kwargs: Any) -> dict:
        url = path if path.startswith("http") else f"{self._base_url}/{self._version}/{path}"
        if urlsplit(url).netloc != urlsplit(self._base_url).netloc:
            raise ConnectorError(f"Instagram gave {action} a link to another host", permanent=True)
        try:
            response = self._http().request(method, url, **kwargs)
        except requests.Timeout as exc:
            outcome = " (it may or may not have been posted)" if writing else ""
            raise ConnectorError(f"Instagram timed out on {action}{outcome}") from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"cannot reach Instagram for {action}: {exc.__class__.__name__}") from exc
        with response:
            self._rate = tighter_budget(self._rate, response.headers)
            try:
                body = response.json()
            except requests.JSONDecodeError:
                raise ConnectorError(f"Instagram answered {action} with a body that is not JSON") from None
            if response.status_code >= 400 or (isinstance(body, dict) and "error" in body):
                raise self._error(body, status=response.status_code, action=action)
        if not isinstance(body, dict):
            raise ConnectorError(f"Instagram answered {action} with something other than an object")
        return body

    def _error(self, body: Any, *, status: int, action: str) -> ConnectorError:
        error = body.get("error") if isinstance(body, dict) else None
        error = error if isinstance(error, dict) else {}
        code = error.get("code")
        message = f"Instagram refused {action}: {str(error.get('message') or status)[:300]}"
        if not isinstance(code, int):
            return ConnectorError(f"Instagram answered {action} with {status} and no Graph error")
        if code == _VERSION_REFUSED:
            return ConnectorError(
                f"{message} (set GRAPH_API_VERSION to a version Meta still serves)", permanent=True
            )
        return graph_error(
            error, message=message, status=status, rate=self._rate, outside_window=_OUTSIDE_WINDOW_SUBCODES
        )

    def _pages(self, path: str, params: dict[str, Any], *, action: str) -> Iterator[list[Any]]:
        """Each page's `data`, following `paging.next`, at most max_pages pages."""
        url: str = path
        for _ in range(self._option("max_pages", DEFAULT_MAX_PAGES)):
            body = self._call("GET", url, params=params, action=action)
            data, next_url = page_data(body, network="Instagram", action=action)
            yield data
            if not next_url:
                return
            url, params = next_url, {}

    def _option(self, name: str, default: int) -> int:
        try:
            return max(1, int(self.account.options.get(name, default)))
        except (TypeError, ValueError):
            return default
