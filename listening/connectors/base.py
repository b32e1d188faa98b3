"""The interface every network connector implements, and the errors it raises.

A connector is a thin class over a network's client library. It speaks plain
dataclasses in and out and never touches the ORM: the listening services own
the database, the connector owns the wire.
"""

from __future__ import annotations

import datetime as dt
import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

# Kinds of item a network gives us. Kept as plain strings so the model can use
# them as choices without importing this module's classes.
KIND_MENTION = "mention"
KIND_REPLY = "reply"
KIND_COMMENT = "comment"
KIND_POST = "post"
KIND_DIRECT = "direct"
KIND_SEARCH = "search"

DIRECTION_IN = "in"
DIRECTION_OUT = "out"


class ConnectorError(Exception):
    """The network refused or failed. `permanent` errors are not retried."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent


class RateLimited(ConnectorError):
    """The network asked us to wait until `reset_at` (aware datetime)."""

    def __init__(self, reset_at: dt.datetime, message: str = "rate limited"):
        super().__init__(message, permanent=False)
        self.reset_at = reset_at


class AuthFailed(ConnectorError):
    """The token expired or was revoked: a person has to re-authorise."""

    def __init__(self, message: str = "authentication failed"):
        super().__init__(message, permanent=True)


class NotSupported(ConnectorError):
    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class ItemUnreadable(ConnectorError):
    """One item (not the whole page) does not have the shape we rely on."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class ItemGone(ConnectorError):
    """The network no longer has the item (deleted, or hidden from us)."""

    def __init__(self, message: str = "the network no longer has this item"):
        super().__init__(message, permanent=True)


@dataclass(frozen=True)
class AccountInfo:
    """What a connector needs to know about the bank's account. No ORM."""

    network: str
    external_id: str
    handle: str
    credentials: dict[str, str]
    options: dict[str, Any] = field(default_factory=dict)
    # Receives what a pay-per-use network bills for each answer (see `report_usage`).
    usage_sink: Callable[[list[Usage]], None] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FetchedAuthor:
    external_id: str
    handle: str
    name: str = ""
    avatar_url: str = ""
    profile_url: str = ""
    followers: int | None = None
    verified: bool = False


@dataclass(frozen=True)
class FetchedItem:
    """One thing said on a network, normalised."""

    external_id: str
    kind: str
    text: str
    author: FetchedAuthor
    created_at: dt.datetime
    thread_key: str
    raw: dict[str, Any]
    direction: str = DIRECTION_IN
    in_reply_to: str = ""
    url: str = ""
    lang: str = ""
    # For an edited post (X edits get a new id): the external id of the
    # original post, whose text this item replaces. Empty otherwise.
    replaces: str = ""


@dataclass(frozen=True)
class Quarantined:
    """An item the connector could not make sense of, kept raw with the reason."""

    stream: str
    reason: str
    raw: Any
    external_id: str = ""
    # What the item cannot say about itself but re-processing needs, such as
    # the post a comment hangs on ({"post_id": ...}). Plain JSON.
    context: dict[str, Any] = field(default_factory=dict)


@dataclass
class RateBudget:
    limit: int | None = None
    remaining: int | None = None
    reset_at: dt.datetime | None = None


@dataclass
class FetchResult:
    items: list[FetchedItem] = field(default_factory=list)
    quarantined: list[Quarantined] = field(default_factory=list)
    # The cursors to store once `items` and `quarantined` are committed.
    cursors: dict[str, str] = field(default_factory=dict)
    rate: RateBudget | None = None


@dataclass(frozen=True)
class SentMessage:
    external_id: str
    url: str = ""
    raw: dict[str, Any] = field(default_factory=dict)


class Connector(ABC):
    network: ClassVar[str]

    def __init__(self, account: AccountInfo):
        self.account = account

    @abstractmethod
    def fetch(self, cursors: dict[str, str]) -> FetchResult:
        """Everything newer than `cursors`, and the cursors that cover it."""

    @abstractmethod
    def send_public_reply(self, *, text: str, in_reply_to: str) -> SentMessage:
        """Answer `in_reply_to` in public."""

    def send_private_message(self, *, text: str, recipient_id: str, thread_key: str) -> SentMessage:
        raise NotSupported(f"{self.network} has no private messages here")

    def publish_post(self, *, text: str) -> SentMessage:
        """Publish a post of the bank's own on its account or page (not an answer to anyone)."""
        raise NotSupported(f"BankBuzz cannot publish a post on {self.network}")

    def find_published(self, *, text: str) -> SentMessage | None:
        """Look on the network for a post of ours with this text (before publishing it again)."""
        return None

    def hide(self, *, external_id: str) -> None:
        raise NotSupported(f"{self.network} does not let a page hide an item")

    def unhide(self, *, external_id: str) -> None:
        raise NotSupported(f"{self.network} does not let a page show a hidden item again")

    def delete(self, *, external_id: str) -> None:
        """Delete the bank's own post or reply (irreversible: no network restores one)."""
        raise NotSupported(f"{self.network} does not let BankBuzz delete the bank's replies")

    def search(self, *, query: str, cursors: dict[str, str]) -> FetchResult:
        """Run a listening query on the network (X recent search)."""
        raise NotSupported(f"{self.network} has no search here")

    # -- quarantine --------------------------------------------------------------

    def refetch(self, *, stream: str, external_id: str, context: dict[str, Any]) -> FetchedItem | None:
        """Read one quarantined item again from the network, by its id.

        The usual cause of a quarantined item is a payload damaged on the way
        (a proxy, a truncated body, a network bug); the network's copy is then
        fine. Returns None when the item is not something we store (a
        retweet with retweets off); raises ItemGone, ItemUnreadable,
        NotSupported (no single-item read for this stream) or the usual errors.
        """
        raise NotSupported(f"{self.network} cannot read a single {stream} item")

    def parse_quarantined(self, *, stream: str, raw: Any, context: dict[str, Any]) -> FetchedItem | None:
        """Parse a stored raw payload again with today's parser (after a parser fix).

        Never touches the network. Returns None for items we do not store;
        raises ItemUnreadable when the payload still cannot be read.
        """
        raise NotSupported(f"{self.network} cannot re-parse {stream} items")

    def reprocess(
        self, *, stream: str, external_id: str, raw: Any, context: dict[str, Any]
    ) -> tuple[FetchedItem | None, str]:
        """A quarantined item made readable, and how: "network" (read again) or "stored copy".

        The network's copy is preferred, since it is the item as it is now; the
        stored raw payload is the fallback when the network cannot read a
        single item, has no id to read by, or no longer has it.
        """
        failures: list[str] = []
        if external_id:
            try:
                return self.refetch(stream=stream, external_id=external_id, context=context), "network"
            except (NotSupported, ItemGone, ItemUnreadable) as exc:
                failures.append(exc.message)
        try:
            return self.parse_quarantined(stream=stream, raw=raw, context=context), "stored copy"
        except (NotSupported, ItemUnreadable) as exc:
            failures.append(exc.message)
        raise ItemUnreadable("; ".join(failures))

    def find_sent(self, *, text: str, in_reply_to: str) -> SentMessage | None:
        """Look on the network for a reply we may already have posted.

        Used before re-sending a reply whose outcome a crash left unknown.
        """
        return None


# -- what a call cost ---------------------------------------------------------------

# Billable units of a pay-per-use API (X since February 2026).
USAGE_POST_READ = "post_read"
USAGE_USER_READ = "user_read"
USAGE_DM_EVENT_READ = "dm_event_read"
USAGE_CONTENT_CREATE = "content_create"
USAGE_CONTENT_CREATE_URL = "content_create_url"
USAGE_DM_CREATE = "dm_create"
USAGE_DELETE = "interaction_delete"
USAGE_CONTENT_MANAGE = "content_manage"
USAGE_KINDS = (USAGE_POST_READ, USAGE_USER_READ, USAGE_DM_EVENT_READ, USAGE_CONTENT_CREATE,
               USAGE_CONTENT_CREATE_URL, USAGE_DM_CREATE, USAGE_DELETE, USAGE_CONTENT_MANAGE)  # fmt: skip


@dataclass(frozen=True)
class Usage:
    """One billable unit: a resource read (its id: the same one read twice a UTC day is billed
    once) or a request that writes (no id)."""

    kind: str
    resource_id: str = ""


def report_usage(account: AccountInfo, usage: list[Usage]) -> None:
    """Hand an answer's billable units to the account's sink as they arrive, so a poll that
    fails half-way still counts what it read. The app gives the sink (listening.x_costs) with
    the account: connectors never touch the database."""
    if usage and account.usage_sink is not None:
        account.usage_sink(usage)


REGISTRY: dict[str, type[Connector]] = {}

NETWORK_MODULES = {
    "x": "listening.connectors.x",
    "facebook": "listening.connectors.facebook",
    "linkedin": "listening.connectors.linkedin",
    "instagram": "listening.connectors.instagram",
}


def register(cls: type[Connector]) -> type[Connector]:
    REGISTRY[cls.network] = cls
    return cls


def load_connectors() -> dict[str, type[Connector]]:
    """Import every network module that exists; returns the registry."""
    for module in NETWORK_MODULES.values():
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
    return REGISTRY


def connector_for(account: AccountInfo) -> Connector:
    load_connectors()
    try:
        cls = REGISTRY[account.network]
    except KeyError:
        raise ConnectorError(f"no connector for network {account.network!r}", permanent=True) from None
    return cls(account)
