"""Folding Unicode digits, spaces and dashes to ASCII, one code point for one (see the package)."""

from __future__ import annotations

import unicodedata
from typing import Final

# Dashes people (and keyboards) put between digit groups that are not category Pd.
_EXTRA_DASHES: Final = frozenset("\u2212\u2043\ufe63\uff0d")
# Dot-like separators seen in pasted numbers.
_EXTRA_DOTS: Final = frozenset("\u00b7\u2027\u2024\uff0e")
# Translation cache; bounded because input is hostile and could walk the whole code space.
_NORM_CACHE_LIMIT: Final = 20_000


def _normalise_char(ch: str) -> str:
    """Map one code point to exactly one code point (see the package docstring)."""
    if ch.isascii():
        return ch
    value = unicodedata.digit(ch, None)
    if value is not None:
        return str(value)
    if ch in _EXTRA_DASHES:
        return "-"
    if ch in _EXTRA_DOTS:
        return "."
    category = unicodedata.category(ch)
    if category == "Zs":
        return " "
    if category == "Pd":
        return "-"
    if category == "Cf":
        # Zero-width spaces, soft hyphens, bidi marks: invisible, so a reader sees the digits
        # on either side as one number. Treat them as a separator rather than as a break.
        return " "
    folded = unicodedata.normalize("NFKC", ch)
    if len(folded) == 1:
        return folded
    return ch


class _NormTable(dict[int, str]):
    """``str.translate`` table that fills itself on first sight of each code point."""

    def __missing__(self, codepoint: int) -> str:
        mapped = _normalise_char(chr(codepoint))
        if len(self) < _NORM_CACHE_LIMIT:
            self[codepoint] = mapped
        return mapped


_NORM_TABLE: Final = _NormTable()


def normalise(text: str) -> str:
    """Return ``text`` with digits, spaces and dashes folded to ASCII, same length as ``text``.

    Offsets into the result are offsets into ``text``; that is the whole point.
    """
    if text.isascii():
        return text
    return text.translate(_NORM_TABLE)
