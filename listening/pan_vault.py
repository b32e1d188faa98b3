"""Card numbers never at rest in clear (PCI DSS 3.5).

What a customer writes can hold their card number: in the text, in the network's payload
(which repeats the text, and more), even in their display name. Before any row is written,
every card number in those is replaced by its masked form; the original *text* alone is
kept, sealed with Fernet under `PAN_VAULT_KEYS` (its own key list, newest first, rotated like
`CREDENTIALS_KEYS`) in `MentionOriginal`, which only the recorded Reveal opens and retention
purges after its own period (`listening.card_originals`).

Masked form: all but the last four digits, separators kept ("•••• •••• •••• 1111"). PCI DSS
would allow the first six too, but they name the issuer (for most customers, this bank), so
they tell an agent nothing; "the card ending 1111" is how customers and agents speak of a
card; and the mask keeps the text's length, so the personal-data spans found on the original
still point at the right characters of what is stored.

A card number is what `pii.find_cards` reports: a Luhn-valid 13-19 digit number with a card
issuer's prefix, or one written in card groups with a digit wrong (fifteen right digits of a
card are still a card). Digits inside links count: a card pasted into a URL is still at rest.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any, Final

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

from listening.enrichment.pii import find_cards, mask
from listening.enrichment.pii.normalisation import normalise

# Where a card number could start, as `find_cards` reads it: a digit group beginning with an
# issuer's first digit (2-6), with 13 digits or more in card separators from there. A group
# begins after a non-digit; in JSON text, also after an escaped control character ("\u0005"),
# whose hex digits are not the string's. (The digit comes first so the regex engine can skip to
# the candidates; the lookbehinds then look at what precedes it.)
_MAYBE_CARD_RE: Final = re.compile(
    r"[2-6](?:(?<![0-9][2-6])|(?<=\\u00[0-9a-fA-F]{2}[2-6]))(?:[ .\-]{0,3}[0-9]){12,}"
)


class VaultUnreadable(Exception):
    """No key in PAN_VAULT_KEYS opens this sealed original."""


def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.PAN_VAULT_KEYS])


def seal(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode()


def unseal(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise VaultUnreadable("no key in PAN_VAULT_KEYS opens this original") from None


def reseal(token: str) -> str:
    """The same original under the newest key (`manage.py rotate_pan_vault_key`)."""
    try:
        return _fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise VaultUnreadable("no key in PAN_VAULT_KEYS opens this original") from None


def mask_cards(text: str) -> str:
    """`text` with every card number masked (same length); unchanged when it holds none."""
    if not text:
        return text
    cards = find_cards(text)
    return mask(text, cards) if cards else text


def mask_payload(value: Any) -> Any:
    """Every string in a JSON-like value, at any depth, with its card numbers masked.

    Keys are the network's field names and stay. Returns `value` itself when nothing changed,
    so callers can tell cheaply (most payloads hold no card).
    """
    if isinstance(value, (dict, list, tuple)) and not _may_hold_card(value):
        return value
    return _mask_walk(value)


def _may_hold_card(value: Any) -> bool:
    """Whether any string in `value` could hold a card: one search over its JSON text.

    JSON writes digits, spaces, dots and dashes as they are, and `normalise` folds one code
    point into one, so every run of digits `find_cards` would look at in a string is in the
    normalised JSON text too (with more around it: keys, numbers, escapes, which can only make
    this say yes). Most payloads (ids starting with 1, dates, counts) get a no here and are not
    walked string by string.
    """
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return True  # not plain JSON (or circular): walk it
    return _MAYBE_CARD_RE.search(normalise(text)) is not None


def _mask_walk(value: Any) -> Any:
    if isinstance(value, str):
        # Fewer than 13 characters cannot hold 13 digits: most strings of a payload.
        return mask_cards(value) if len(value) >= 13 else value
    if isinstance(value, dict):
        masked = {key: _mask_walk(item) for key, item in value.items()}
        return value if all(masked[key] is item for key, item in value.items()) else masked
    if isinstance(value, (list, tuple)):
        items = [_mask_walk(item) for item in value]
        return value if all(new is old for new, old in zip(items, value, strict=True)) else items
    return value


def mask_author(author):
    """A fetched author whose handle or name holds a card number, masked (else as it was)."""
    handle, name = mask_cards(author.handle), mask_cards(author.name)
    if (handle, name) == (author.handle, author.name):
        return author
    return dataclasses.replace(author, handle=handle, name=name)


def mask_item(item) -> tuple[Any, str | None]:
    """(the fetched item as it may be stored, its clear original text or None).

    The original is returned only when the text held a card number; the payload and the
    author are masked in any case (the payload repeats the text).
    """
    masked_text = mask_cards(item.text)
    original = item.text if masked_text != item.text else None
    raw = mask_payload(item.raw)
    author = mask_author(item.author)
    if original is None and raw is item.raw and author is item.author:
        return item, None
    return dataclasses.replace(item, text=masked_text, raw=raw, author=author), original
