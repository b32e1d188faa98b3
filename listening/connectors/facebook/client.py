"""The Graph API through facebook-sdk: the client, its paging and its errors."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import facebook
import requests

from bankbuzz.network_versions import DEFAULT_GRAPH_VERSION, graph_version
from listening.connectors.base import AccountInfo, AuthFailed, Connector, ConnectorError, RateBudget
from listening.connectors.graph import graph_error, page_data, tighter_budget
from listening.connectors.http import mount_base_url, network_settings

# The default; the one used is settings.GRAPH_API_VERSION (see bankbuzz/network_versions.py).
GRAPH_VERSION = DEFAULT_GRAPH_VERSION
SDK_HOST = "https://graph.facebook.com"
PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 5

POST_FIELDS = "id,message,created_time,updated_time,from{id,name,picture},permalink_url"
COMMENT_FIELDS = "id,message,created_time,from{id,name,picture},parent{id},permalink_url,is_hidden"
CONVERSATION_FIELDS = "id,updated_time,participants"
MESSAGE_FIELDS = "id,message,created_time,from,to"

# (#10) with these subcodes: outside the messaging window, not a missing permission.
_OUTSIDE_WINDOW_SUBCODES = {2018278, 2018065, 1545041}
_VERSION_IN_PATH = re.compile(r"/(v\d+\.\d+/.*)$")


@dataclass
class _Walk:
    complete: bool = False


class FacebookClient(Connector):
    """The Page's Graph client, shared by the reading and the writing half of the connector."""

    def __init__(self, account: AccountInfo):
        super().__init__(account)
        self._base_url, self._timeout = network_settings("GRAPH_API_BASE_URL", SDK_HOST)
        self._graph: facebook.GraphAPI | None = None
        self._rate: RateBudget | None = None
        self._last_status = 0

    # -- the client ------------------------------------------------------------

    @property
    def page_id(self) -> str:
        return self.account.external_id

    def _client(self) -> facebook.GraphAPI:
        if self._graph is None:
            token = self.account.credentials.get("page_access_token") or self.account.credentials.get(
                "access_token"
            )
            if not token:
                raise AuthFailed("Facebook account has no page_access_token")
            session = requests.Session()
            mount_base_url(session, source=SDK_HOST, target=self._base_url, timeout=self._timeout)
            session.hooks["response"].append(self._record_usage)
            graph = facebook.GraphAPI(access_token=token, timeout=self._timeout, session=session)
            # The SDK's constructor only accepts versions up to 3.1, all expired.
            graph.version = graph_version()
            self._graph = graph
        return self._graph

    def _record_usage(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Session hook: the SDK never shows us headers, so read the usage ones here."""
        self._last_status = response.status_code
        self._rate = tighter_budget(self._rate, response.headers)

    def _request(self, path: str, *, args: dict[str, Any] | None = None, post: dict[str, Any] | None = None,
                 action: str, writing: bool = False) -> dict[str, Any]:  # fmt: skip
        graph = self._client()
        with self._errors(action=action, writing=writing):
            result = graph.request(f"{graph.version}/{path}", args=dict(args or {}), post_args=post)
        if not isinstance(result, dict):
            raise ConnectorError(f"Graph answered {action} with something other than an object")
        return result

    def _pages(
        self, path: str, args: dict[str, Any], *, action: str, walk: _Walk | None = None
    ) -> Iterator[list[Any]]:
        """Each page's `data`, following `paging.next`, at most max_pages pages.

        `walk.complete` tells afterwards whether the edge was read to its end.
        """
        walk = walk if walk is not None else _Walk()
        for _ in range(self._max_pages()):
            data, next_url = page_data(
                self._request(path, args=args, action=action), network="Graph", action=action
            )
            yield data
            if not next_url:
                walk.complete = True
                return
            # Follow the link through the same SDK call (and adapter): path
            # from the version segment on, arguments minus the token the SDK adds.
            parts = urlsplit(next_url)
            match = _VERSION_IN_PATH.search(parts.path)
            if match is None:
                raise ConnectorError(f"Graph gave {action} a paging link without a version")
            path = match.group(1).split("/", 1)[1]
            args = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"}

    def _max_pages(self) -> int:
        try:
            return max(1, int(self.account.options.get("max_pages", DEFAULT_MAX_PAGES)))
        except (TypeError, ValueError):
            return DEFAULT_MAX_PAGES

    @contextlib.contextmanager
    def _errors(self, *, action: str, writing: bool = False) -> Iterator[None]:
        try:
            yield
        except facebook.GraphAPIError as exc:
            raise self._graph_error(exc, action=action, writing=writing) from exc
        except (requests.JSONDecodeError, ValueError) as exc:
            raise ConnectorError(
                f"Graph answered {action} with a body that is not JSON", permanent=False
            ) from exc
        except KeyError as exc:
            # The SDK indexes headers["content-type"]: an answer without one.
            raise ConnectorError(f"Graph answered {action} without a content type", permanent=False) from exc
        except requests.Timeout as exc:
            outcome = " (it may or may not have been posted)" if writing else ""
            raise ConnectorError(f"Graph timed out on {action}{outcome}", permanent=False) from exc
        except requests.RequestException as exc:
            raise ConnectorError(f"cannot reach Graph for {action}: {exc.__class__.__name__}") from exc

    def _graph_error(self, exc: facebook.GraphAPIError, *, action: str, writing: bool) -> ConnectorError:
        result = exc.result if isinstance(exc.result, dict) else {}
        error = result.get("error") if isinstance(result.get("error"), dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        message = f"Graph refused {action}: {exc.message if isinstance(exc.message, str) else exc}"
        if code is None:
            # No JSON error at all: an HTML error page or another non-JSON body.
            return ConnectorError(f"Graph answered {action} with a body that is not JSON", permanent=False)
        return graph_error(
            error,
            message=message,
            status=self._last_status,
            rate=self._rate,
            outside_window=_OUTSIDE_WINDOW_SUBCODES,
        )
