"""What the detectors share: spans no finding may touch, digit groups, and the choice of windows."""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from typing import Final

_DIGITS_RE: Final = re.compile(r"[0-9]+")

# A window may not be longer than this many digit groups; bounds the work on hostile input
# such as thousands of space-separated digits.
MAX_GROUPS_PER_WINDOW: Final = 19


class Spans:
    """Spans no finding may touch (links, dates), merged and sorted for O(log n) look-ups.

    A linear scan was quadratic on hostile posts made of thousands of dates.
    """

    __slots__ = ("_ends", "_starts")

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(spans):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self._starts = [s for s, _ in merged]
        self._ends = [e for _, e in merged]

    def overlaps(self, start: int, end: int) -> bool:
        # The last span starting before ``end`` reaches furthest right of all such spans,
        # since merged spans are disjoint and sorted.
        index = bisect.bisect_left(self._starts, end)
        return index > 0 and self._ends[index - 1] > start


def glued_to_word(norm: str, start: int, end: int) -> bool:
    """True when the span touches a letter, digit or underscore on either side."""
    before = norm[start - 1] if start > 0 else " "
    after = norm[end] if end < len(norm) else " "
    return before.isalnum() or before == "_" or after.isalnum() or after == "_"


def digit_groups(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _DIGITS_RE.finditer(norm, start, end)]


# (priority, start, end, valid) of a window of digit groups that could be reported.
Candidate = tuple[tuple[int, ...], int, int, bool]


def pick(candidates: list[Candidate], offset: int, size: int) -> Iterator[tuple[int, int, bool]]:
    """Greedy choice of non-overlapping windows, best priority first.

    ``candidates`` hold ``(priority, start, end, valid)`` with spans inside
    ``[offset, offset + size)``; a bytearray over that range keeps each check proportional to
    the window, not to the number of windows already taken (hostile posts can have thousands).
    """
    covered = bytearray(size)
    for _, start, end, valid in sorted(candidates, key=lambda c: c[0], reverse=True):
        if not any(covered[start - offset : end - offset]):
            covered[start - offset : end - offset] = b"\x01" * (end - start)
            yield start, end, valid


def ascii_digit_count(text: str) -> int:
    # str.count per digit is ~10x faster than a Python-level loop over a 280-character tweet.
    return sum(text.count(d) for d in "0123456789")
