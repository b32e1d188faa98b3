"""The Community Management API over plain requests: the session, calls, paging and errors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import requests

from bankbuzz.network_versions import DEFAULT_LINKEDIN_VERSION, linkedin_version
from listening.connectors.base import (
    AccountInfo,
    AuthFailed,
    Connector,
    ConnectorError,
    FetchedAuthor,
    RateLimited,
)
from listening.connectors.http import mount_base_url, network_settings

DEFAULT_BASE_URL = "https://api.linkedin.com"
DEFAULT_VERSION = DEFAULT_LINKEDIN_VERSION
PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 5


class LinkedInClient(Connector):
    """The organisation's session, shared by the reading and the writing half of the connector."""

    def __init__(self, account: AccountInfo):
        super().__init__(account)
        self._base_url, self._timeout = network_settings("LINKEDIN_API_BASE_URL", DEFAULT_BASE_URL)
        self._version = linkedin_version()
        self._session: requests.Session | None = None
        self._people: dict[str, FetchedAuthor] = {}

    @property
    def org_urn(self) -> str:
        external = self.account.external_id
        return external if external.startswith("urn:li:") else f"urn:li:organization:{external}"

    def _http(self) -> requests.Session:
        if self._session is None:
            token = self.account.credentials.get("access_token")
            if not token:
                raise AuthFailed("LinkedIn account has no access_token")
            session = requests.Session()
            mount_base_url(session, source=self._base_url, target=self._base_url, timeout=self._timeout)
            session.headers.update(
                {
                    "Authorization": f"Bearer {token}",
                    "LinkedIn-Version": self._version,
                    "X-Restli-Protocol-Version": "2.0.0",
                }
            )
            self._session = session
        return self._session

    def _call(self, method: str, path: str, *, action: str, writing: bool = False, **kwargs: Any) -> Any:
        try:
            response = self._http().request(method, f"{self._base_url}{path}", **kwargs)
        except requests.Timeout as exc:
            outcome = " (it may or may not have been posted)" if writing else ""
            raise ConnectorError(f"LinkedIn timed out on {action}{outcome}", permanent=False) from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"cannot reach LinkedIn for {action}: {exc.__class__.__name__}") from exc
        with response:
            self._raise_for(response, action=action, writing=writing)
            try:
                return response.json()
            except requests.JSONDecodeError as exc:
                raise ConnectorError(f"LinkedIn answered {action} with a body that is not JSON") from exc

    def _raise_for(self, response: requests.Response, *, action: str, writing: bool) -> None:
        status = response.status_code
        if status < 400:
            return
        try:
            body = response.json()
        except requests.JSONDecodeError:
            body = {}
        message = body.get("message") if isinstance(body, dict) else None
        detail = f"LinkedIn refused {action} ({status}): {message or response.reason}"
        if status == 401:
            raise AuthFailed(detail)
        if status == 429:
            raise RateLimited(self._reset_at(response, str(message or "")), detail)
        if status == 403 and not writing:
            raise AuthFailed(f"{detail} (the token lacks a permission)")
        if status >= 500:
            raise ConnectorError(detail, permanent=False)
        raise ConnectorError(detail, permanent=True)

    @staticmethod
    def _reset_at(response: requests.Response, message: str) -> dt.datetime:
        """LinkedIn sends no reset time; its throttles are per day, reset at midnight UTC."""
        now = dt.datetime.now(dt.UTC)
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return now + dt.timedelta(seconds=int(retry_after))
        if "DAY" in message.upper():
            return (now + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        return now + dt.timedelta(minutes=5)

    def _option(self, name: str, default: int) -> int:
        try:
            return max(1, int(self.account.options.get(name, default)))
        except (TypeError, ValueError):
            return default

    def _elements(self, path: str, params: dict[str, Any], *, action: str) -> Iterator[list[Any]]:
        """Each page's `elements`, paging with start/count, at most max_pages pages."""
        start = 0
        for _ in range(self._option("max_pages", DEFAULT_MAX_PAGES)):
            body = self._call(
                "GET", path, params={**params, "start": start, "count": PAGE_SIZE}, action=action
            )
            elements = body.get("elements") if isinstance(body, dict) else None
            if not isinstance(elements, list):
                raise ConnectorError(f"LinkedIn answered {action} without an elements list")
            yield elements
            paging = body.get("paging") if isinstance(body.get("paging"), dict) else {}
            links = paging.get("links") if isinstance(paging.get("links"), list) else []
            if not any(isinstance(link, dict) and link.get("rel") == "next" for link in links):
                return
            start += len(elements) or PAGE_SIZE
