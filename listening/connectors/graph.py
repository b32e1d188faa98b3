"""What the Facebook and Instagram connectors share of Meta's Graph API.

Both networks speak the same Graph dialect: the same error codes and usage headers, the same
`data` / `paging.next` pages, timestamps with one-second resolution, and ids as strings.
Facebook is read through facebook-sdk and Instagram through plain requests, so only the
reading of what comes back lives here, never the transport.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from listening.connectors.base import (
    AuthFailed,
    ConnectorError,
    FetchedItem,
    FetchResult,
    Quarantined,
    RateBudget,
    RateLimited,
)
from listening.connectors.http import clean_json

DEFAULT_RATE_WAIT = dt.timedelta(minutes=10)

# Graph error codes: https://developers.facebook.com/docs/graph-api/guides/error-handling
AUTH_CODES = {102, 190}
RATE_CODES = {4, 17, 32, 613, *range(80000, 80015)}
TRANSIENT_CODES = {1, 2}
PERMISSION_CODES = {10, *range(200, 300)}


class Malformed(ValueError):
    """One item does not have the shape we rely on."""


def parse_time(value: Any, name: str = "created_time") -> dt.datetime:
    if not isinstance(value, str):
        raise Malformed(f"{name} is missing or not a string")
    try:
        # Graph writes +0000, which fromisoformat accepts from Python 3.11.
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise Malformed(f"{name} is not a timestamp: {value!r}"[:200]) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def parse_id(value: Any, name: str = "id") -> str:
    if not isinstance(value, str) or not value or len(value) > 100 or not re.fullmatch(r"[\w.:-]+", value):
        raise Malformed(f"{name} is not an id: {value!r}"[:200])
    return value


def match_text(text: str) -> str:
    """What a posted text and the network's copy of it have in common."""
    return " ".join(text.split()).casefold()


@dataclass
class TimeCursor:
    """A time cursor with one-second resolution, and the ids already stored at its second."""

    name: str
    since: int = 0
    seen: set[str] = field(default_factory=set)
    newest: int = 0
    newest_ids: set[str] = field(default_factory=set)

    @classmethod
    def load(cls, name: str, cursors: dict[str, str]) -> TimeCursor:
        raw = cursors.get(name, "")
        since = int(raw) if raw.isdigit() else 0
        seen = {i for i in cursors.get(f"{name}_seen", "").split(",") if i}
        return cls(name=name, since=since, seen=seen, newest=since, newest_ids=set(seen))

    def is_new(self, external_id: str, when: dt.datetime) -> bool:
        if not self.since:
            return True  # nothing stored yet, whatever the item's (possibly absurd) date
        second = int(when.timestamp())
        return second > self.since or (second == self.since and external_id not in self.seen)

    def saw(self, external_id: str, when: dt.datetime) -> None:
        second = int(when.timestamp())
        if second > self.newest:
            self.newest, self.newest_ids = second, {external_id}
        elif second == self.newest:
            self.newest_ids.add(external_id)

    def take(self, item: FetchedItem, result: FetchResult) -> bool:
        """Add `item` to `result` unless it was stored before, and move the cursor past it.

        True when the item is new.
        """
        new = self.is_new(item.external_id, item.created_at)
        if new:
            result.items.append(item)
        self.saw(item.external_id, item.created_at)
        return new

    def dump(self) -> dict[str, str]:
        if not self.newest:
            return {self.name: "", f"{self.name}_seen": ""}
        return {self.name: str(self.newest), f"{self.name}_seen": ",".join(sorted(self.newest_ids))}


def keep(
    result: FetchResult,
    stream: str,
    raw: Any,
    parse: Callable[[Any], FetchedItem],
    context: dict[str, str] | None = None,
) -> FetchedItem | None:
    """The parsed item, or None after putting an unreadable one in the result's quarantine."""
    try:
        return parse(raw)
    except Malformed as exc:
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        result.quarantined.append(
            Quarantined(
                stream=stream,
                reason=str(exc),
                raw=clean_json(raw),
                external_id=raw_id if isinstance(raw_id, str) else "",
                context=dict(context or {}),
            )
        )
        return None


def take_newest_first(
    pages: Iterable[list[Any]],
    cursor: TimeCursor,
    result: FetchResult,
    read: Callable[[Any], FetchedItem | None],
) -> None:
    """Take the new items of pages listed newest first; stop after the page that reached
    an item stored before, since everything older was stored before too."""
    for data in pages:
        older = False
        for raw in data:
            item = read(raw)
            if item is not None and not cursor.take(item, result):
                older = True
        if older:
            return


def page_data(body: dict[str, Any], *, network: str, action: str) -> tuple[list[Any], str]:
    """A page's `data` list and its `paging.next` link ("" on the last page)."""
    data = body.get("data")
    if not isinstance(data, list):
        raise ConnectorError(f"{network} answered {action} without a data list")
    paging = body.get("paging")
    next_url = paging.get("next") if isinstance(paging, dict) else None
    return data, next_url if isinstance(next_url, str) else ""


def graph_error(
    error: dict[str, Any],
    *,
    message: str,
    status: int,
    rate: RateBudget | None,
    outside_window: set[int],
) -> ConnectorError:
    """The connector error for a Graph `error` object that has an integer `code`.

    `outside_window` are the subcodes of (#10) that mean "outside the messaging window", not
    a missing permission. A permanent error keeps the Graph code as `graph_code`.
    """
    code, subcode = error.get("code"), error.get("error_subcode")
    if code in AUTH_CODES:
        return AuthFailed(message)
    if code in RATE_CODES:
        wait = rate.reset_at if rate and rate.reset_at else None
        return RateLimited(wait or dt.datetime.now(dt.UTC) + DEFAULT_RATE_WAIT, message)
    if code in TRANSIENT_CODES or error.get("is_transient") is True or status >= 500:
        return ConnectorError(message, permanent=False)
    if code in PERMISSION_CODES and subcode not in outside_window:
        return AuthFailed(f"{message} (the token lacks a permission)")
    permanent = ConnectorError(message, permanent=True)
    permanent.graph_code = code  # type: ignore[attr-defined]
    return permanent


def tighter_budget(current: RateBudget | None, headers: Any) -> RateBudget | None:
    """The tighter of `current` and the budget the usage headers of one answer give."""
    budget = usage_budget(headers)
    if budget is not None and (current is None or (budget.remaining or 0) <= (current.remaining or 0)):
        return budget
    return current


def usage_budget(headers: Any) -> RateBudget | None:
    """A RateBudget in percent from X-Business-Use-Case-Usage (or X-App-Usage)."""
    usages: list[dict[str, Any]] = []
    for name in ("X-Business-Use-Case-Usage", "X-App-Usage", "X-Page-Usage"):
        raw = headers.get(name)
        if not raw:
            continue
        try:
            parsed = json.loads(raw)
        except ValueError:
            continue
        if isinstance(parsed, dict) and "call_count" in parsed:
            usages.append(parsed)
        elif isinstance(parsed, dict):
            for entries in parsed.values():
                if isinstance(entries, list):
                    usages += [e for e in entries if isinstance(e, dict)]
    if not usages:
        return None
    used = 0
    wait_minutes = 0
    for usage in usages:
        for key in ("call_count", "total_cputime", "total_time"):
            value = usage.get(key)
            if isinstance(value, int | float) and math.isfinite(value):
                used = max(used, int(value))
        minutes = usage.get("estimated_time_to_regain_access")
        if isinstance(minutes, int | float) and math.isfinite(minutes):
            wait_minutes = max(wait_minutes, int(minutes))
    reset_at = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=wait_minutes) if wait_minutes else None
    return RateBudget(limit=100, remaining=max(0, 100 - used), reset_at=reset_at)
