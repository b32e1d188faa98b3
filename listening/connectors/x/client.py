"""X API v2 through tweepy: the clients, their session hooks and the errors they raise."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import requests
import tweepy
from requests_oauthlib import OAuth1

from listening.connectors.base import (
    AccountInfo,
    AuthFailed,
    Connector,
    ConnectorError,
    RateBudget,
    RateLimited,
    report_usage,
)
from listening.connectors.http import epoch_to_datetime, header_int, mount_base_url, network_settings
from listening.connectors.x.billing import billable_units

# The host tweepy 4.17 hard-codes in BaseClient.request; the adapter sends its
# calls to settings.X_API_BASE_URL instead.
TWEEPY_HOST = "https://api.twitter.com"
DEFAULT_BASE_URL = "https://api.x.com"

TWEET_FIELDS = [
    "id",
    "text",
    "author_id",
    "created_at",
    "conversation_id",
    "edit_history_tweet_ids",
    "lang",
    "referenced_tweets",
    "in_reply_to_user_id",
]
USER_FIELDS = ["id", "name", "username", "profile_image_url", "verified", "public_metrics"]
DM_EVENT_FIELDS = [
    "id",
    "text",
    "event_type",
    "created_at",
    "sender_id",
    "dm_conversation_id",
    "participant_ids",
]
PAGE_SIZE = 100
DEFAULT_MAX_PAGES = 5
# When X rate-limits without saying until when, wait one 15-minute window.
DEFAULT_RATE_WINDOW = dt.timedelta(minutes=15)


class XClient(Connector):
    """The account's tweepy clients, shared by the reading and the writing half of the connector."""

    def __init__(self, account: AccountInfo):
        super().__init__(account)
        self._base_url, self._timeout = network_settings("X_API_BASE_URL", DEFAULT_BASE_URL)
        self._rate: RateBudget | None = None
        self._reader: tuple[tweepy.Client, bool] | None = None
        self._writer: tuple[tweepy.Client, bool] | None = None

    # -- clients -------------------------------------------------------------------

    def _credential(self, key: str) -> str:
        value = self.account.credentials.get(key, "")
        return value if isinstance(value, str) else ""

    def _oauth1_keys(self) -> tuple[str, str, str, str] | None:
        keys = tuple(
            self._credential(k)
            for k in ("consumer_key", "consumer_secret", "access_token", "access_token_secret")
        )
        return keys if all(keys) else None  # type: ignore[return-value]

    def _has_user_context(self) -> bool:
        return bool(self._credential("oauth2_user_token") or self._oauth1_keys())

    def _make_client(
        self, *, bearer: str = "", oauth1: tuple[str, str, str, str] | None = None
    ) -> tweepy.Client:
        if oauth1:
            client = tweepy.Client(
                consumer_key=oauth1[0],
                consumer_secret=oauth1[1],
                access_token=oauth1[2],
                access_token_secret=oauth1[3],
                return_type=dict,
                wait_on_rate_limit=False,
            )
            # OAuth 1.0a signs the URL, host included: after the adapter moves
            # the request to the configured host, it must be signed again.
            signer = OAuth1(oauth1[0], client_secret=oauth1[1], resource_owner_key=oauth1[2],
                            resource_owner_secret=oauth1[3])  # fmt: skip
            resign: Callable[[requests.PreparedRequest], requests.PreparedRequest] | None = signer
        else:
            # return_type=dict: tweepy's model classes raise on the first
            # malformed item and lose the whole page; we validate item by item.
            client = tweepy.Client(bearer_token=bearer, return_type=dict, wait_on_rate_limit=False)
            resign = None
        mount_base_url(
            client.session, source=TWEEPY_HOST, target=self._base_url, timeout=self._timeout, resign=resign
        )
        client.session.hooks["response"].append(self._record_rate)
        client.session.hooks["response"].append(self._record_usage)
        return client

    def _record_usage(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Session hook: what X bills for this answer (pay-per-use), reported as it arrives."""
        report_usage(self.account, billable_units(response))

    def _read_client(self) -> tuple[tweepy.Client, bool]:
        """The client for public reads, and whether its calls need `user_auth=True` (OAuth 1.0a)."""
        if self._reader is None:
            bearer = self._credential("bearer_token") or self._credential("oauth2_user_token")
            if bearer:
                self._reader = (self._make_client(bearer=bearer), False)
            elif oauth1 := self._oauth1_keys():
                self._reader = (self._make_client(oauth1=oauth1), True)
            else:
                raise AuthFailed("X account has no bearer_token, oauth2_user_token or OAuth 1.0a keys")
        return self._reader

    def _user_client(self) -> tuple[tweepy.Client, bool]:
        """The client acting as the bank's account (DMs, posting)."""
        if self._writer is None:
            if token := self._credential("oauth2_user_token"):
                self._writer = (self._make_client(bearer=token), False)
            elif oauth1 := self._oauth1_keys():
                self._writer = (self._make_client(oauth1=oauth1), True)
            else:
                raise AuthFailed(
                    "X account has no user-context credentials (oauth2_user_token or OAuth 1.0a)"
                )
        return self._writer

    def _record_rate(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Session hook: keep the tightest budget seen during this connector's calls."""
        remaining = header_int(response.headers, "x-rate-limit-remaining")
        if remaining is None:
            return
        budget = RateBudget(
            limit=header_int(response.headers, "x-rate-limit-limit"),
            remaining=remaining,
            reset_at=epoch_to_datetime(response.headers.get("x-rate-limit-reset")),
        )
        if self._rate is None or self._rate.remaining is None or remaining <= self._rate.remaining:
            self._rate = budget

    @contextlib.contextmanager
    def _errors(self, *, action: str, writing: bool = False) -> Iterator[None]:
        """Turn tweepy's and requests' exceptions into the connector errors the tasks understand."""
        try:
            yield
        except tweepy.TooManyRequests as exc:
            reset_at = epoch_to_datetime(exc.reset_time) or dt.datetime.now(dt.UTC) + DEFAULT_RATE_WINDOW
            raise RateLimited(reset_at, f"X rate limit on {action}") from exc
        except tweepy.Unauthorized as exc:
            raise AuthFailed(f"X refused the token on {action}: {exc}") from exc
        except tweepy.Forbidden as exc:
            if writing:
                # On a write, 403 is about the content or the conversation (duplicate
                # text, replies restricted), not the token: retrying will not help.
                raise ConnectorError(f"X refused {action}: {exc}", permanent=True) from exc
            raise AuthFailed(f"X forbids {action} for this app or account: {exc}") from exc
        except tweepy.TwitterServerError as exc:
            raise ConnectorError(f"X failed on {action}: {exc}", permanent=False) from exc
        except tweepy.HTTPException as exc:
            raise ConnectorError(f"X rejected {action}: {exc}", permanent=True) from exc
        except requests.JSONDecodeError as exc:
            raise ConnectorError(
                f"X answered {action} with a body that is not JSON", permanent=False
            ) from exc
        except requests.Timeout as exc:
            outcome = " (it may or may not have been posted)" if writing else ""
            raise ConnectorError(f"X timed out on {action}{outcome}", permanent=False) from exc
        except requests.RequestException as exc:
            raise ConnectorError(
                f"cannot reach X for {action}: {exc.__class__.__name__}", permanent=False
            ) from exc

    def _max_pages(self) -> int:
        try:
            return max(1, int(self.account.options.get("max_pages", DEFAULT_MAX_PAGES)))
        except (TypeError, ValueError):
            return DEFAULT_MAX_PAGES
