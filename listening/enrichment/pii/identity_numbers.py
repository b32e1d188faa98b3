"""Identity numbers: US social security numbers, the national identity numbers of the bank's
countries, and UK sort codes with their account numbers (see listening.enrichment.national)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Final

from listening.enrichment import national
from listening.enrichment.pii.findings import Finding, finding_at
from listening.enrichment.pii.spans import Spans, glued_to_word

_SSN_RE: Final = re.compile(
    r"(?<![0-9])(?<![0-9][ .\-])"
    r"([0-9]{3})([ \-])([0-9]{2})\2([0-9]{4})"
    r"(?![0-9])(?![ .\-][0-9])"
)
_NINE_DIGITS_RE: Final = re.compile(r"(?<![0-9])[0-9]{9}(?![0-9])")
_SSN_CONTEXT_RE: Final = re.compile(r"\b(?:ssn|social\s+security|soc\.?\s*sec)\b", re.IGNORECASE)

# A UK National Insurance number has six digits, the fewest of the national numbers.
MIN_NATIONAL_DIGITS: Final = 6


def _ssn_parts_valid(area: str, group: str, serial: str) -> bool:
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def ssn_findings(norm: str, blocked: Spans) -> Iterator[Finding]:
    for match in _SSN_RE.finditer(norm):
        area, _, group, serial = match.groups()
        if (
            _ssn_parts_valid(area, group, serial)
            and not blocked.overlaps(match.start(), match.end())
            and not glued_to_word(norm, match.start(), match.end())
        ):
            yield finding_at("ssn", norm, match.start(), match.end(), None)
    # Nine bare digits are an SSN only when the text says so; otherwise they are anything.
    for match in _NINE_DIGITS_RE.finditer(norm):
        digits = match.group()
        if not _ssn_parts_valid(digits[:3], digits[3:5], digits[5:]):
            continue
        if glued_to_word(norm, match.start(), match.end()) or blocked.overlaps(match.start(), match.end()):
            continue
        if _SSN_CONTEXT_RE.search(norm, max(0, match.start() - 40), match.start()):
            yield finding_at("ssn", norm, match.start(), match.end(), None)


def national_findings(norm: str, blocked: Spans, countries: Sequence[str]) -> Iterator[Finding]:
    for start, end in national.find_national_ids(norm, countries):
        if not blocked.overlaps(start, end):
            yield finding_at("ssn", norm, start, end, None)
    if "GB" in countries:
        for start, end in national.find_uk_bank_accounts(norm):
            if not blocked.overlaps(start, end):
                yield finding_at("account", norm, start, end, None)
