"""Checksums and layouts: Luhn and the card issuers' prefixes, IBAN check digits and lengths."""

from __future__ import annotations

import functools
import itertools
import re
import string
from typing import Final

from schwifty import IBAN
from schwifty import registry as schwifty_registry
from schwifty.exceptions import SchwiftyException
from stdnum import luhn as _stdnum_luhn

from listening.enrichment.pii.normalisation import normalise

_SPACE_OR_DASH_RE: Final = re.compile(r"[\s\-]")


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


def issuer_matches(digits: str) -> bool:
    length = len(digits)
    return any(length in lengths and low <= digits[: len(low)] <= high for low, high, lengths in _ISSUERS)


@functools.cache
def iban_lengths() -> dict[str, int]:
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
