"""IBANs: a real country code, that country's exact length, and the check digits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from listening.enrichment.pii.checksums import iban_lengths, iban_valid
from listening.enrichment.pii.findings import Finding, finding_at
from listening.enrichment.pii.spans import Spans

_IBAN_START_RE: Final = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{2}[0-9]{2}")


def iban_findings(norm: str, blocked: Spans) -> Iterator[Finding]:
    for match in _IBAN_START_RE.finditer(norm):
        country = match.group()[:2].upper()
        length = iban_lengths().get(country)
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
        yield finding_at("iban", norm, match.start(), pos, valid)
