"""Personal-data detection for social posts and for our own outgoing replies.

Two callers depend on this module:

* ingestion marks every stored mention that carries personal data (the inbox badge), and
* the reply guard refuses to post a public reply that contains personal data.

So a miss (a card number that goes out in public) is worse than a false alarm (an order number
shown with a badge), and every rule below leans that way, except where a specific, common kind of
number (tweet ids, order numbers, dates, amounts) would otherwise raise false alarms all day.

How it works
------------
The text is first *normalised one code point for one code point*: every Unicode digit becomes
its ASCII digit (``unicodedata.digit``: fullwidth U+FF14, Arabic-Indic U+0664, Devanagari U+096A...),
Unicode spaces (no-break, narrow no-break, figure, ideographic...) become ``" "``, Unicode dashes
become ``"-"``, invisible format characters (zero-width space, soft hyphen, BOM, bidi marks) become
``" "`` so that they act as separators, and other characters take their NFKC form when that is a
single character (fullwidth U+FF27 -> ``G``, fullwidth U+FF20 -> ``@``). Because the mapping never
changes the length, an offset in the normalised string *is* the offset in the original string:
findings point into the text the caller passed, with no offset table to get wrong.

Detectors then run on the normalised string with ASCII-only character classes.

Findings
--------
:class:`Finding` ``(kind, start, end, valid, preview)``; ``text[start:end]`` is the exact original
substring. ``kind`` is one of ``card``, ``iban``, ``ssn``, ``account``, ``email``, ``phone``.
``valid`` is ``True``/``False`` where a checksum applies (Luhn for cards, from ``python-stdnum``;
an IBAN's check digits, length and layout, from ``schwifty``) and ``None`` otherwise. ``ssn``
covers US social security numbers and the national identity numbers of the bank's countries, and
``account`` UK sort codes with their account numbers as well as the bank's own patterns (see
:mod:`listening.enrichment.national`). ``preview`` is a masked rendering safe to store and show
(``"•••• •••• •••• 1111"``).

Invalid checksums (the documented choice)
-----------------------------------------
A card-like number whose Luhn check fails is reported as ``kind="card", valid=False`` **only when
its layout says "card"**: a whole number written in card groups (``4111 1111 1111 1112``,
``4-6-5`` for Amex) that starts with 2-6, as every card issuer's prefix does. A customer who
mistypes one digit of their card has still published fifteen digits of it, so the guard must
still see it. An *unseparated* run of digits that fails Luhn is not reported: that is what order
numbers, tracking numbers and ids look like. Any run that passes Luhn is reported only if it also
starts with a known card-issuer prefix of the right length (Visa, Mastercard, Amex, ...), which
keeps tweet ids (19 digits starting with 1 or 2) out; inside a longer run of groups, only such a
Luhn-valid issuer match is taken ("4111 1111 1111 1111 123" yields the card, not the CVV).
The same holds for IBANs: a string with a real country code, that country's exact IBAN length and
mostly digits, but a failing mod-97 check, is reported with ``valid=False``.

Callers should treat ``valid=False`` as "almost certainly personal data, probably mistyped":
``has_pii`` in :mod:`listening.enrichment` counts it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import string
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal

from schwifty import IBAN
from schwifty import registry as schwifty_registry
from schwifty.exceptions import SchwiftyException
from stdnum import luhn as _stdnum_luhn

from listening.enrichment import national

__all__ = [
    "Finding",
    "PiiKind",
    "compile_account_patterns",
    "find_cards",
    "find_customer_contact",
    "find_pii",
    "iban_valid",
    "luhn_valid",
    "mask",
    "normalise",
]

PiiKind = Literal["card", "iban", "ssn", "account", "email", "phone"]

MASK_CHAR: Final = "•"


@dataclass(frozen=True, slots=True)
class Finding:
    """One piece of personal data found in a text.

    Attributes:
        kind: ``"card"``, ``"iban"``, ``"ssn"``, ``"account"``, ``"email"`` or ``"phone"``.
        start: offset of the first character in the *original* string (Python ``str`` indices,
            i.e. code points).
        end: offset one past the last character; ``text[start:end]`` is the finding.
        valid: result of the checksum where one applies (Luhn for cards, mod-97 for IBANs);
            ``None`` for kinds without a checksum. ``False`` means "looks exactly like one, but
            the checksum fails", which is usually a typo and still personal data.
        preview: the finding masked as :func:`mask` does (all but the last four digits; an
            IBAN also keeps its country code, an e-mail its first character and top-level
            domain), built from the normalised text (ASCII digits, plain spaces), e.g.
            ``"•••• •••• •••• 1111"``. Safe to store and display.

    All fields are plain JSON types, so ``dataclasses.asdict(finding)`` can go straight into a
    JSON column or an API response.
    """

    kind: PiiKind
    start: int
    end: int
    valid: bool | None
    preview: str


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------

# Dashes people (and keyboards) put between digit groups that are not category Pd.
_EXTRA_DASHES: Final = frozenset("\u2212\u2043\ufe63\uff0d")
# Dot-like separators seen in pasted numbers.
_EXTRA_DOTS: Final = frozenset("\u00b7\u2027\u2024\uff0e")
# Translation cache; bounded because input is hostile and could walk the whole code space.
_NORM_CACHE_LIMIT: Final = 20_000


def _normalise_char(ch: str) -> str:
    """Map one code point to exactly one code point (see the module docstring)."""
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


# --------------------------------------------------------------------------------------------
# Checksums and issuer table
# --------------------------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check of a string of ASCII digits (``stdnum.luhn``)."""
    if not digits or not digits.isdigit() or not digits.isascii():
        return False
    return _stdnum_luhn.checksum(digits) == 0


# (lowest prefix, highest prefix, allowed lengths). Written from the card networks' published
# ranges; it only has to be good enough to tell a card from an id, not to name the brand.
_ANY_LONG: Final = frozenset(range(16, 20))
_ISSUERS: Final[tuple[tuple[str, str, frozenset[int]], ...]] = (
    ("4", "4", frozenset({13, 16, 19})),  # Visa
    ("51", "55", frozenset({16})),  # Mastercard
    ("2221", "2720", frozenset({16})),  # Mastercard 2-series
    ("2200", "2204", _ANY_LONG),  # Mir
    ("34", "34", frozenset({15})),  # American Express
    ("37", "37", frozenset({15})),  # American Express
    ("300", "305", frozenset(range(14, 20))),  # Diners Club
    ("36", "36", frozenset(range(14, 20))),  # Diners Club International
    ("38", "39", frozenset(range(14, 20))),  # Diners / Discover
    ("3528", "3589", _ANY_LONG),  # JCB
    ("6011", "6011", _ANY_LONG),  # Discover
    ("644", "649", _ANY_LONG),  # Discover
    ("65", "65", _ANY_LONG),  # Discover, RuPay, Troy
    ("62", "62", _ANY_LONG),  # UnionPay
    ("50", "50", frozenset(range(13, 20))),  # Maestro
    ("56", "69", frozenset(range(13, 20))),  # Maestro and national debit schemes
)


def _issuer_matches(digits: str) -> bool:
    length = len(digits)
    return any(length in lengths and low <= digits[: len(low)] <= high for low, high, lengths in _ISSUERS)


@functools.cache
def _iban_lengths() -> dict[str, int]:
    """ISO 13616 IBAN lengths by country, from schwifty's registry (kept current upstream).

    Only a country in this table can produce an IBAN finding; that is what keeps "ES24 is
    great and all..." from being read as a Spanish IBAN. Countries whose IBAN is not yet in
    use (schwifty's "aspirational" ones) are left out.
    """
    lengths: dict[str, int] = {}
    for first, second in itertools.product(string.ascii_uppercase, repeat=2):
        try:
            spec = schwifty_registry.get_iban_spec(first + second)
        except (KeyError, SchwiftyException):
            continue
        if not spec.aspirational:
            lengths[first + second] = spec.iban_length
    return lengths


def iban_valid(iban: str) -> bool:
    """An IBAN schwifty accepts: mod-97 check digits, the country's length and BBAN layout.

    Spaces and dashes are ignored, letters in any case.
    """
    compact = _SPACE_OR_DASH_RE.sub("", normalise(iban)).upper()
    if len(compact) < 5 or not compact.isascii() or not compact.isalnum():
        return False
    try:
        IBAN(compact)
    except (SchwiftyException, ValueError):
        return False
    return True


# --------------------------------------------------------------------------------------------
# Shared regexes (all run on the normalised text)
# --------------------------------------------------------------------------------------------

# Links: tweet ids and order numbers live in URLs; digits inside a URL are never reported as
# cards, phones or SSNs. Bare "x.com/user/status/<id>" counts too.
_URL_RE: Final = re.compile(
    # The lookbehind lets a bare domain start only at the start of a token, which keeps this
    # linear on hostile input such as "1-1-1-..." (a plain \b made it quadratic).
    r"(?:https?://|www\.)\S+|(?<![\w.-])(?:[a-z0-9-]+\.)+[a-z]{2,}/\S*",
    re.IGNORECASE,
)

# Dates (12/05/2024, 12.05.24, 2024-05-12, and ranges like 01.02.2023-05.06.2024), but not a
# fragment of a longer number using the *same* separator, such as the French phone style
# 06.12.34.56.78. One alternative per separator, since a lookbehind cannot refer to a group.
_DATE_RE: Final = re.compile(
    "|".join(
        rf"(?<![0-9])(?<![0-9]{re.escape(sep)})"
        rf"(?:[0-9]{{1,2}}{re.escape(sep)}[0-9]{{1,2}}{re.escape(sep)}(?:[0-9]{{4}}|[0-9]{{2}})"
        rf"|[0-9]{{4}}{re.escape(sep)}[0-9]{{1,2}}{re.escape(sep)}[0-9]{{1,2}})"
        rf"(?![0-9])(?!{re.escape(sep)}[0-9])"
        for sep in "./-"
    )
)

# A run of digit groups with card-style separators. Up to three separator characters so that
# "4111 - 1111 - 1111 - 1111" and a zero-width space next to a real space still join. Only runs
# of 13 digits or more match: payloads are full of short numbers (counts, dates, times), and
# each run the window search looks at costs more than the regex that skips it.
_CARD_RUN_RE: Final = re.compile(r"[0-9](?:[ .\-]{0,3}[0-9]){12,}")
_DIGITS_RE: Final = re.compile(r"[0-9]+")

_SSN_RE: Final = re.compile(
    r"(?<![0-9])(?<![0-9][ .\-])"
    r"([0-9]{3})([ \-])([0-9]{2})\2([0-9]{4})"
    r"(?![0-9])(?![ .\-][0-9])"
)
_NINE_DIGITS_RE: Final = re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])")
_SSN_CONTEXT_RE: Final = re.compile(r"\b(?:ssn|social\s+security|soc\.?\s*sec)\b", re.IGNORECASE)

_IBAN_START_RE: Final = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{2}[0-9]{2}")

# The local part and the domain are validated in code; the regex stays linear-time on hostile
# input (no nested quantifiers).
_EMAIL_RE: Final = re.compile(r"(?<![\w.+%\-])[\w.+%\-]+@[\w\-]+(?:\.[\w\-]+)+")

# A run that may be a phone number: optional "+", digit groups separated by spaces, dots,
# dashes, slashes or parentheses. Not after a word character, a currency sign, a URL/markup
# character or another number ("$1 634 567 890" must not yield "634 567 890").
_PHONE_RUN_RE: Final = re.compile(
    r"(?<![\w@/=#$£€¥%+.,\-])(?<![0-9][ .\-/])"
    r"(?:\+[ ]?)?\(?[0-9]+\)?"
    # Groups are joined by a separator, or by nothing right after a ")" as in "+44 (0)20".
    r"(?:(?:[ .\-/]{1,2}|[ ]?(?=\()|(?<=\)))\(?[0-9]+\)?)*"
)

_SPACE_OR_DASH_RE: Final = re.compile(r"[\s\-]")

# A window may not be longer than this many digit groups; bounds the work on hostile input
# such as thousands of space-separated digits.
_MAX_GROUPS_PER_WINDOW: Final = 19


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


class _Spans:
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


def _glued_to_word(norm: str, start: int, end: int) -> bool:
    """True when the span touches a letter, digit or underscore on either side."""
    before = norm[start - 1] if start > 0 else " "
    after = norm[end] if end < len(norm) else " "
    return before.isalnum() or before == "_" or after.isalnum() or after == "_"


def _groups(norm: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _DIGITS_RE.finditer(norm, start, end)]


def _preview(kind: PiiKind, segment: str) -> str:
    """Masked rendering of a normalised segment (same length as the segment)."""
    keep = _kept_positions(kind, segment)
    return "".join(ch if (i in keep or not ch.isalnum()) else MASK_CHAR for i, ch in enumerate(segment))


def _kept_positions(kind: PiiKind, segment: str) -> set[int]:
    """Indices inside ``segment`` that stay visible when the finding is masked.

    Everything alphanumeric that is not kept gets masked; separators always stay so the reader
    still recognises the shape ("•••• •••• •••• 1111").
    """
    if kind == "email":
        at = segment.rfind("@")
        keep = {0} if at > 0 else set()
        last_dot = segment.rfind(".")
        if last_dot > at:
            # The top-level domain says little about the person; the rest of the domain can
            # (a family domain), so only ".com" stays.
            keep.update(range(last_dot, len(segment)))
        return keep
    if kind in ("iban", "account"):
        alnum = [i for i, ch in enumerate(segment) if ch.isalnum()]
        keep = set(alnum[-4:])
        if kind == "iban":
            keep.update(alnum[:2])  # the country code
        return keep
    digits = [i for i, ch in enumerate(segment) if ch.isdigit()]
    return set(digits[-4:])


def _finding(kind: PiiKind, norm: str, start: int, end: int, valid: bool | None) -> Finding:
    return Finding(kind=kind, start=start, end=end, valid=valid, preview=_preview(kind, norm[start:end]))


# --------------------------------------------------------------------------------------------
# Detectors
# --------------------------------------------------------------------------------------------


def _card_shaped(lengths: Sequence[int]) -> bool:
    """Is this how people write a card number: 4-4-4-4(-n), 4-4-4-1, or 4-6-5 / 4-6-4?"""
    if len(lengths) >= 3 and all(n == 4 for n in lengths[:-1]) and 1 <= lengths[-1] <= 4:
        return True
    return tuple(lengths) in ((4, 6, 5), (4, 6, 4))


# (priority, start, end, valid) of a window of digit groups that could be reported.
_Candidate = tuple[tuple[int, ...], int, int, bool]


def _pick(candidates: list[_Candidate], offset: int, size: int) -> Iterator[tuple[int, int, bool]]:
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


def _find_cards(norm: str, blocked: _Spans) -> Iterator[Finding]:
    for run in _CARD_RUN_RE.finditer(norm):
        groups = _groups(norm, run.start(), run.end())
        count = len(groups)
        if sum(e - s for s, e in groups) < 13:
            continue
        first_glued = run.start() > 0 and (norm[run.start() - 1].isalnum() or norm[run.start() - 1] in "_+")
        last_glued = run.end() < len(norm) and (norm[run.end()].isalnum() or norm[run.end()] == "_")
        candidates: list[_Candidate] = []
        for i in range(count):
            if i == 0 and first_glued:
                continue
            # Every card issuer's prefix starts with 2-6 (Mastercard 2-series and Mir, Amex,
            # Diners and JCB, Visa, Mastercard and Maestro, Discover and UnionPay). Checking that
            # first keeps long runs of other digits cheap and ids starting with 1 out.
            if norm[groups[i][0]] not in "23456":
                continue
            digits = ""
            for j in range(i, min(count, i + _MAX_GROUPS_PER_WINDOW)):
                digits += norm[groups[j][0] : groups[j][1]]
                total = len(digits)
                if total > 19:
                    break
                whole = i == 0 and j == count - 1
                if total < 13 or (j == count - 1 and last_glued):
                    continue
                start, end = groups[i][0], groups[j][1]
                if blocked.overlaps(start, end):
                    continue
                # A window that is only part of a run of digits needs the strongest evidence
                # (an issuer's prefix and the Luhn check); otherwise a 24-digit reference would
                # always contain some "card". The cheap tests first: most windows fail them.
                issuer = _issuer_matches(digits)
                shaped = whole and _card_shaped([e - s for s, e in groups[i : j + 1]])
                if not (issuer or shaped):
                    continue
                valid = luhn_valid(digits)
                if (valid and issuer) or shaped:
                    candidates.append(((int(valid), int(whole), total), start, end, valid))
        for start, end, valid in _pick(candidates, run.start(), run.end() - run.start()):
            yield _finding("card", norm, start, end, valid)


def _find_ibans(norm: str, blocked: _Spans) -> Iterator[Finding]:
    for match in _IBAN_START_RE.finditer(norm):
        country = match.group()[:2].upper()
        length = _iban_lengths().get(country)
        if length is None or blocked.overlaps(match.start(), match.end()):
            continue
        # Walk the BBAN: exactly length-4 alphanumerics, at most one space or dash between any
        # two of them (people group by four, but not always).
        needed = length - 4
        pos = match.end()
        compact = [match.group().upper()]
        while needed and pos < len(norm):
            ch = norm[pos]
            if ch.isascii() and ch.isalnum():
                compact.append(ch.upper())
                needed -= 1
                pos += 1
            elif ch in " -" and pos + 1 < len(norm) and norm[pos + 1].isascii() and norm[pos + 1].isalnum():
                pos += 1
            else:
                break
        if needed or (pos < len(norm) and norm[pos].isalnum()):
            continue
        iban = "".join(compact)
        valid = iban_valid(iban)
        bban = iban[4:]
        if not valid and sum(c.isdigit() for c in bban) < 0.6 * len(bban):
            continue  # wrong checksum *and* mostly letters: words, not an IBAN
        yield _finding("iban", norm, match.start(), pos, valid)


def _ssn_parts_valid(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def _find_ssns(norm: str, blocked: _Spans) -> Iterator[Finding]:
    for match in _SSN_RE.finditer(norm):
        area, _, group, serial = match.groups()
        if (
            _ssn_parts_valid(area, group, serial)
            and not blocked.overlaps(match.start(), match.end())
            and not _glued_to_word(norm, match.start(), match.end())
        ):
            yield _finding("ssn", norm, match.start(), match.end(), None)
    # Nine bare digits are an SSN only when the text says so; otherwise they are anything.
    for match in _NINE_DIGITS_RE.finditer(norm):
        digits = match.group()
        if not _ssn_parts_valid(digits[:3], digits[3:5], digits[5:]):
            continue
        if _glued_to_word(norm, match.start(), match.end()) or blocked.overlaps(match.start(), match.end()):
            continue
        if _SSN_CONTEXT_RE.search(norm, max(0, match.start() - 40), match.start()):
            yield _finding("ssn", norm, match.start(), match.end(), None)


def _find_emails(norm: str) -> Iterator[Finding]:
    for match in _EMAIL_RE.finditer(norm):
        local, _, domain = match.group().rpartition("@")
        # Leading dots are punctuation ("...jane@example.com"), not part of the address.
        stripped = local.lstrip(".")
        start = match.start() + len(local) - len(stripped)
        local = stripped
        if not local or local.endswith(".") or ".." in local:
            continue
        labels = domain.split(".")
        tld = labels[-1]
        if len(tld) < 2 or not tld.isalpha():
            continue
        if any(not label or label.startswith("-") or label.endswith("-") for label in labels):
            continue
        yield _finding("email", norm, start, match.end(), None)


def _phone_kind(digits: str, lengths: Sequence[int], *, plus: bool, whole: bool, at_start: bool) -> bool:
    """Decide whether a window of digit groups is a phone number (see _find_phones)."""
    count = len(digits)
    if plus and at_start:
        return 8 <= count <= 15 and digits[0] != "0"
    if digits.startswith("00") and lengths[0] >= 2:
        return 10 <= count <= 17 and digits[2] != "0"
    if digits[0] == "0":
        # National number with a trunk prefix (UK, FR, DE, NL, BE...). A lone "0" first group
        # is a decimal ("0.123456789"), not a trunk prefix.
        if lengths[0] < 2:
            return False
        if len(lengths) == 1:
            return 10 <= count <= 11
        return 9 <= count <= 12
    if not at_start:
        return False
    # North American Numbering Plan, separated: (415) 555-2671, 415-555-2671, 1 800 555 0199.
    nanp = digits[1:] if tuple(lengths[:1]) == (1,) and digits[0] == "1" else digits
    nanp_lengths = tuple(lengths[1:]) if len(nanp) != count else tuple(lengths)
    if nanp_lengths == (3, 3, 4) and nanp[0] in "23456789" and nanp[3] in "23456789":
        return True
    # Spanish-style mobiles without a trunk prefix, only in their usual layouts and only as a
    # whole run (so that "1 634 567 890" as an amount does not qualify).
    return whole and tuple(lengths) in ((3, 3, 3), (3, 2, 2, 2)) and digits[0] in "6789"


def _find_phones(norm: str, blocked: _Spans) -> Iterator[Finding]:
    for run in _PHONE_RUN_RE.finditer(norm):
        text = run.group()
        if _ascii_digit_count(text) < 8:
            continue  # short numbers, amounts, years, times
        plus = text.startswith("+")
        groups = _groups(norm, run.start(), run.end())
        count = len(groups)
        last_glued = run.end() < len(norm) and (norm[run.end()].isalnum() or norm[run.end()] == "_")
        candidates: list[_Candidate] = []
        for i in range(count):
            # Past the start of a run only numbers with a trunk or international prefix ("0",
            # "00") can begin: "ref 12 07700 900123". See _phone_kind.
            if i > 0 and (norm[groups[i][0]] != "0" or groups[i][1] - groups[i][0] < 2):
                continue
            digits = ""
            for j in range(i, min(count, i + _MAX_GROUPS_PER_WINDOW)):
                digits += norm[groups[j][0] : groups[j][1]]
                total = len(digits)
                if total > 17:
                    break
                if total < 8 or (j == count - 1 and last_glued):
                    continue
                # The span includes a leading "+" or "(" and a closing ")" of the last group.
                start = run.start() if i == 0 else groups[i][0]
                if i > 0 and norm[start - 1] == "(":
                    start -= 1
                end = groups[j][1]
                if (
                    end < run.end()
                    and norm[end] == ")"
                    and norm.count("(", start, end) > norm.count(")", start, end)
                ):
                    end += 1
                if blocked.overlaps(start, end):
                    continue
                lengths = [e - s for s, e in groups[i : j + 1]]
                whole = i == 0 and j == count - 1
                if _phone_kind(digits, lengths, plus=plus, whole=whole, at_start=i == 0):
                    # Longest first, then leftmost.
                    candidates.append(((total, -start), start, end, True))
        for start, end, _ in _pick(candidates, run.start(), run.end() - run.start()):
            yield _finding("phone", norm, start, end, None)


def compile_account_patterns(patterns: Iterable[str | re.Pattern[str]]) -> tuple[re.Pattern[str], ...]:
    """Compile account-number regexes once (raises ``re.error`` early on a bad pattern).

    Patterns run on the *normalised* text: digits are ASCII, Unicode spaces are ``" "`` and
    Unicode dashes are ``"-"``, so ``r"\\b\\d{2}-\\d{2}-\\d{2}\\s?\\d{8}\\b"`` also catches a sort
    code and account number written with fullwidth digits or no-break spaces.
    """
    return tuple(p if isinstance(p, re.Pattern) else re.compile(p) for p in patterns)


def _find_accounts(norm: str, patterns: Sequence[re.Pattern[str]]) -> Iterator[Finding]:
    for pattern in patterns:
        for match in pattern.finditer(norm):
            if match.end() > match.start():
                yield _finding("account", norm, match.start(), match.end(), None)


# Overlaps are resolved in this order: a valid checksum beats everything, then the more
# specific kind wins (an IBAN contains a card-length digit run; an SSN looks like a phone).
_KIND_RANK: Final[dict[str, int]] = {"iban": 0, "card": 1, "ssn": 2, "account": 3, "email": 4, "phone": 5}


def _resolve(findings: Iterable[Finding]) -> list[Finding]:
    ranked = sorted(findings, key=lambda f: (f.valid is False, _KIND_RANK[f.kind], f.start - f.end))
    kept: list[Finding] = []
    for finding in ranked:
        if not any(finding.start < k.end and k.start < finding.end for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: (f.start, f.end))


def find_pii(
    text: str,
    *,
    account_patterns: Sequence[str | re.Pattern[str]] = (),
    allowed: Iterable[str] = (),
    countries: Sequence[str] = national.DEFAULT_COUNTRIES,
) -> list[Finding]:
    """Find personal data in ``text``; spans index the original string, sorted by position.

    Findings never overlap. ``account_patterns`` are bank-specific regexes (see
    :func:`compile_account_patterns`); pass pre-compiled patterns on hot paths.

    ``allowed`` lists the bank's own public details (its helpline numbers, its support address,
    the IBAN it publishes for payments): an agent's reply "call us on 0345 300 0000" must not be
    blocked as personal data. Phone numbers match on their last nine digits, e-mail addresses
    case-insensitively, anything else on its letters and digits.

    ``countries`` (ISO 3166 alpha-2) are the bank's countries: their national identity numbers
    are reported as ``ssn`` (see :mod:`listening.enrichment.national`), and with ``"GB"`` a UK
    sort code with its account number as ``account``.
    """
    if not text:
        return []
    norm = normalise(text)
    patterns = compile_account_patterns(account_patterns) if account_patterns else ()
    # Every Unicode digit is ASCII after normalisation, so counting ASCII digits is enough.
    digit_count = _ascii_digit_count(norm)
    has_at = "@" in norm
    if digit_count < _MIN_NATIONAL_DIGITS and not has_at and not patterns:
        return []  # the common case: a tweet with no long number and no address

    found: list[Finding] = []
    if has_at:
        found.extend(_find_emails(norm))
    if digit_count >= _MIN_NATIONAL_DIGITS:
        links = [(m.start(), m.end()) for m in _URL_RE.finditer(norm)]
        blocked = _Spans(links)
        found.extend(_find_national(norm, blocked, countries))
    if digit_count >= 8:
        found.extend(_find_ibans(norm, blocked))
        found.extend(_find_cards(norm, blocked))
        found.extend(_find_ssns(norm, blocked))
        dates = [(m.start(), m.end()) for m in _DATE_RE.finditer(norm)]
        found.extend(_find_phones(norm, _Spans(links + dates)))
    if patterns:
        found.extend(_find_accounts(norm, patterns))
    findings = _resolve(found)
    if findings and allowed:
        keys = _allowed_keys(tuple(allowed))
        findings = [f for f in findings if _identity(f.kind, norm[f.start : f.end]) not in keys]
    return findings


# A UK National Insurance number has six digits, the fewest of the national numbers.
_MIN_NATIONAL_DIGITS: Final = 6


def _find_national(norm: str, blocked: _Spans, countries: Sequence[str]) -> Iterator[Finding]:
    for start, end in national.find_national_ids(norm, countries):
        if not blocked.overlaps(start, end):
            yield _finding("ssn", norm, start, end, None)
    if "GB" in countries:
        for start, end in national.find_uk_bank_accounts(norm):
            if not blocked.overlaps(start, end):
                yield _finding("account", norm, start, end, None)


def find_cards(text: str) -> list[Finding]:
    """Card numbers only, links included: what must never be stored in clear (PCI DSS 3.5).

    Unlike :func:`find_pii`, digits inside a link count too: a card number pasted into a URL
    is still a card number at rest. Same length-preserving spans, so :func:`mask` applies.
    """
    if not text:
        return []
    norm = normalise(text)
    if not _CARD_RUN_RE.search(norm):
        return []  # no run of 13 digits: one pass in C, where counting digits took ten
    cards = list(_find_cards(norm, _Spans(())))
    if not cards:
        return []
    # An IBAN's account digits can be written in card groups; they are the IBAN's, not a card.
    ibans = _Spans((f.start, f.end) for f in _find_ibans(norm, _Spans(())) if f.valid)
    return sorted((f for f in cards if not ibans.overlaps(f.start, f.end)), key=lambda f: f.start)


_MIN_PHONE_MATCH_DIGITS: Final = 9


def _identity(kind: str, segment: str) -> str:
    """What two written forms of the same datum have in common."""
    if kind == "email":
        return segment.casefold()
    compact = "".join(ch for ch in segment if ch.isascii() and ch.isalnum()).upper()
    # The last nine digits identify a phone number whether it is written +44 7700 900123,
    # 0044 7700 900123 or 07700 900123: country code and trunk prefix only add digits in front.
    return compact[-_MIN_PHONE_MATCH_DIGITS:] if kind == "phone" else compact


@functools.lru_cache(maxsize=32)
def _allowed_keys(allowed: tuple[str, ...]) -> frozenset[str]:
    keys: set[str] = set()
    for entry in allowed:
        norm = normalise(entry.strip())
        if not norm:
            continue
        # The kind of an allowed entry is unknown, so store every identity it could have.
        keys.update(_identity(kind, norm) for kind in ("email", "phone", "card"))
    keys.discard("")
    return frozenset(keys)


def _ascii_digit_count(text: str) -> int:
    # str.count per digit is ~10x faster than a Python-level loop over a 280-character tweet.
    return sum(text.count(d) for d in "0123456789")


# --------------------------------------------------------------------------------------------
# The customer's own contact details
# --------------------------------------------------------------------------------------------


def _phone_key(phone: str) -> str:
    return "".join(ch for ch in normalise(phone) if ch.isdigit())[-_MIN_PHONE_MATCH_DIGITS:]


def find_customer_contact(
    text: str, *, emails: Iterable[str] = (), phones: Iterable[str] = ()
) -> list[Finding]:
    """Find the customer's own e-mail addresses and phone numbers in ``text``.

    The reply guard uses this to stop an agent from repeating a customer's contact details in
    public even when they are written in a layout :func:`find_pii` would not call a phone
    number. E-mail addresses match case-insensitively; phone numbers match on their last nine
    digits, whatever the separators, country code or trunk prefix. Findings have kind
    ``"email"`` or ``"phone"``.
    """
    if not text:
        return []
    norm = normalise(text)
    found: list[Finding] = []
    for email in {e.strip() for e in emails if e and e.strip()}:
        pattern = re.compile(r"(?<![\w.+%\-])" + re.escape(normalise(email)) + r"(?![\w\-])", re.IGNORECASE)
        found.extend(_finding("email", norm, m.start(), m.end(), None) for m in pattern.finditer(norm))

    keys = {k for k in (_phone_key(p) for p in phones) if len(k) >= 6}
    if keys:
        for run in re.finditer(r"\+?[0-9]+(?:(?:[ .\-/()]{1,3})[0-9]+)*", norm):
            groups = _groups(norm, run.start(), run.end())
            for i in range(len(groups)):
                digits = ""
                for j in range(i, min(len(groups), i + _MAX_GROUPS_PER_WINDOW)):
                    digits += norm[groups[j][0] : groups[j][1]]
                    if len(digits) > 17:
                        break
                    key = digits[-_MIN_PHONE_MATCH_DIGITS:]
                    # Equal keys, and at most a country code / trunk prefix in front.
                    if key in keys and len(digits) - len(key) <= 4:
                        start, end = groups[i][0], groups[j][1]
                        if i == 0 and run.group().startswith("+"):
                            start = run.start()
                        found.append(_finding("phone", norm, start, end, None))
    return _resolve(found)


# --------------------------------------------------------------------------------------------
# Masking
# --------------------------------------------------------------------------------------------


def mask(text: str, findings: Iterable[Finding]) -> str:
    """Mask each finding in ``text``, keeping its last four digits and its separators.

    ``"card 4111 1111 1111 1111"`` becomes ``"card •••• •••• •••• 1111"``. One character is
    replaced by one ``•``, so the result has the same length as ``text`` and other offsets stay
    valid. IBANs also keep their country code, e-mail addresses keep their first character and
    top-level domain. Findings that do not fit ``text`` (from another text) are ignored.
    """
    norm = normalise(text)
    hidden: set[int] = set()
    for finding in findings:
        if not (0 <= finding.start < finding.end <= len(text)):
            continue
        segment = norm[finding.start : finding.end]
        keep = _kept_positions(finding.kind, segment)
        hidden.update(finding.start + i for i, ch in enumerate(segment) if ch.isalnum() and i not in keep)
    if not hidden:
        return text
    return "".join(MASK_CHAR if i in hidden else ch for i, ch in enumerate(text))
