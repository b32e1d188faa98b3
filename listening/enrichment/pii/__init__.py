"""Personal-data detection for social posts and for our own outgoing replies.

Two callers depend on this package:

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

Modules
-------
``normalisation`` (the folding above), ``checksums`` (Luhn, issuer prefixes, IBANs), one module per
kind of datum (``cards``, ``ibans``, ``identity_numbers``, ``contacts``), ``spans`` (what those
detectors share), ``detection`` (:func:`find_pii`), ``findings`` (overlaps) and ``masking``.
"""

from listening.enrichment.pii.cards import find_cards
from listening.enrichment.pii.checksums import iban_valid, luhn_valid
from listening.enrichment.pii.contacts import find_customer_contact
from listening.enrichment.pii.detection import compile_account_patterns, find_pii
from listening.enrichment.pii.findings import Finding, PiiKind
from listening.enrichment.pii.masking import mask
from listening.enrichment.pii.normalisation import normalise

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
