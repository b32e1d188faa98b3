"""The list's sorts and their keyset cursors: a page starts strictly after the last row shown."""

from __future__ import annotations

import datetime as dt
import json

from django.db.models import Q

from inbox.models import Conversation
from inbox.selectors.cursors import BadCursor, bigint, pack, unpack

# Each sort is a list of (field, descending); the last key is always the id, so the order is total.
SORTS: dict[str, tuple[str, list[tuple[str, bool]]]] = {
    "newest": ("Newest", [("last_activity_at", True), ("id", True)]),
    "waiting": ("Longest waiting", [("last_inbound_at", False), ("id", False)]),
    "priority": ("Priority", [("priority", True), ("last_inbound_at", False), ("id", False)]),
}
DEFAULT_SORT = "newest"


def _key_values(conversation: Conversation, keys) -> list:
    out = []
    for name, _desc in keys:
        value = getattr(conversation, name)
        out.append(value.isoformat() if isinstance(value, dt.datetime) else value)
    return out


def encode_cursor(conversation: Conversation, sort: str = DEFAULT_SORT) -> str:
    return pack([sort, *_key_values(conversation, SORTS[sort][1])])


def decode_cursor(token: str, sort: str = DEFAULT_SORT) -> list:
    keys = SORTS[sort][1]
    try:
        data = unpack(token)
        if not isinstance(data, list) or data[0] != sort or len(data) != len(keys) + 1:
            raise ValueError("cursor of another sort")
        values = []
        for (name, _desc), value in zip(keys, data[1:], strict=True):
            if name.endswith("_at"):
                values.append(dt.datetime.fromisoformat(value))
            else:
                values.append(bigint(value))
        return values
    except (ValueError, TypeError, IndexError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadCursor(
            "This page link (cursor) is no longer valid; start again from the top of the list."
        ) from exc


def after_q(keys: list[tuple[str, bool]], values: list) -> Q:
    """Rows strictly after `values` in the order `keys` (lexicographic keyset condition)."""
    condition = Q(pk__in=[])
    for index, (name, desc) in enumerate(keys):
        equal = {k: v for (k, _), v in zip(keys[:index], values[:index], strict=True)}
        step = Q(**{f"{name}__{'lt' if desc else 'gt'}": values[index]})
        condition |= Q(**equal) & step
    return condition


def order_by_keys(keys) -> list[str]:
    return [f"-{name}" if desc else name for name, desc in keys]
