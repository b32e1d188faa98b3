"""What a detector reports: a Finding, and how overlapping findings are settled."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, Literal

from listening.enrichment.pii.masking import preview

PiiKind = Literal["card", "iban", "ssn", "account", "email", "phone"]


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


def finding_at(kind: PiiKind, norm: str, start: int, end: int, valid: bool | None) -> Finding:
    return Finding(kind=kind, start=start, end=end, valid=valid, preview=preview(kind, norm[start:end]))


# Overlaps are resolved in this order: a valid checksum beats everything, then the more
# specific kind wins (an IBAN contains a card-length digit run; an SSN looks like a phone).
_KIND_RANK: Final[dict[str, int]] = {"iban": 0, "card": 1, "ssn": 2, "account": 3, "email": 4, "phone": 5}


def resolve(findings: Iterable[Finding]) -> list[Finding]:
    ranked = sorted(findings, key=lambda f: (f.valid is False, _KIND_RANK[f.kind], f.start - f.end))
    kept: list[Finding] = []
    for finding in ranked:
        if not any(finding.start < k.end and k.start < finding.end for k in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: (f.start, f.end))
