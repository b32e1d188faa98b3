"""What the list's and the thread's page links (cursors) share: the packing and the refusal."""

from __future__ import annotations

import base64
import json


class BadCursor(ValueError):
    pass


def pack(values: list) -> str:
    """A cursor's values as a compact, URL-safe token."""
    raw = json.dumps(values, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def unpack(token: str):
    """The values of a token made by `pack`; ValueError (or a subclass) when it is not one."""
    padded = token + "=" * (-len(token) % 4)
    return json.loads(base64.urlsafe_b64decode(padded.encode()).decode())


def bigint(value) -> int:
    """An id or rank from a cursor: what PostgreSQL's bigint holds, or ValueError."""
    number = int(value)
    if not -(2**63) <= number < 2**63:
        raise ValueError("out of range")
    return number
