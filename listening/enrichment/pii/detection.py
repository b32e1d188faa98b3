"""find_pii: every detector over one normalised text, links and dates kept out, the bank's own
public details allowed."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from listening.enrichment import national
from listening.enrichment.pii.cards import card_findings
from listening.enrichment.pii.contacts import MIN_PHONE_MATCH_DIGITS, email_findings, phone_findings
from listening.enrichment.pii.findings import Finding, finding_at, resolve
from listening.enrichment.pii.ibans import iban_findings
from listening.enrichment.pii.identity_numbers import MIN_NATIONAL_DIGITS, national_findings, ssn_findings
from listening.enrichment.pii.normalisation import normalise
from listening.enrichment.pii.spans import Spans, ascii_digit_count

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


def compile_account_patterns(patterns: Iterable[str | re.Pattern[str]]) -> tuple[re.Pattern[str], ...]:
    """Compile account-number regexes once (raises ``re.error`` early on a bad pattern).

    Patterns run on the *normalised* text: digits are ASCII, Unicode spaces are ``" "`` and
    Unicode dashes are ``"-"``, so ``r"\\b\\d{2}-\\d{2}-\\d{2}\\s?\\d{8}\\b"`` also catches a sort
    code and account number written with fullwidth digits or no-break spaces.
    """
    return tuple(p if isinstance(p, re.Pattern) else re.compile(p) for p in patterns)


def _account_findings(norm: str, patterns: Sequence[re.Pattern[str]]) -> Iterator[Finding]:
    for pattern in patterns:
        for match in pattern.finditer(norm):
            if match.end() > match.start():
                yield finding_at("account", norm, match.start(), match.end(), None)


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
    digit_count = ascii_digit_count(norm)
    has_at = "@" in norm
    if digit_count < MIN_NATIONAL_DIGITS and not has_at and not patterns:
        return []  # the common case: a tweet with no long number and no address

    found: list[Finding] = []
    if has_at:
        found.extend(email_findings(norm))
    if digit_count >= MIN_NATIONAL_DIGITS:
        links = [(m.start(), m.end()) for m in _URL_RE.finditer(norm)]
        blocked = Spans(links)
        found.extend(national_findings(norm, blocked, countries))
    if digit_count >= 8:
        found.extend(iban_findings(norm, blocked))
        found.extend(card_findings(norm, blocked))
        found.extend(ssn_findings(norm, blocked))
        dates = [(m.start(), m.end()) for m in _DATE_RE.finditer(norm)]
        found.extend(phone_findings(norm, Spans(links + dates)))
    if patterns:
        found.extend(_account_findings(norm, patterns))
    findings = resolve(found)
    if findings and allowed:
        keys = _allowed_keys(tuple(allowed))
        findings = [f for f in findings if _identity(f.kind, norm[f.start : f.end]) not in keys]
    return findings


def _identity(kind: str, segment: str) -> str:
    """What two written forms of the same datum have in common."""
    if kind == "email":
        return segment.casefold()
    compact = "".join(ch for ch in segment if ch.isascii() and ch.isalnum()).upper()
    # The last nine digits identify a phone number whether it is written +44 7700 900123,
    # 0044 7700 900123 or 07700 900123: country code and trunk prefix only add digits in front.
    return compact[-MIN_PHONE_MATCH_DIGITS:] if kind == "phone" else compact


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
