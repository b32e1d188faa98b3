"""Masking findings: all but the last four digits (an IBAN's country code and an e-mail's first
character and top-level domain stay too), one character for one, separators kept."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from listening.enrichment.pii.normalisation import normalise

if TYPE_CHECKING:
    from listening.enrichment.pii.findings import Finding, PiiKind

MASK_CHAR: Final = "•"


def preview(kind: PiiKind, segment: str) -> str:
    """Masked rendering of a normalised segment (same length as the segment)."""
    keep = kept_positions(kind, segment)
    return "".join(ch if (i in keep or not ch.isalnum()) else MASK_CHAR for i, ch in enumerate(segment))


def kept_positions(kind: PiiKind, segment: str) -> set[int]:
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
        keep = kept_positions(finding.kind, segment)
        hidden.update(finding.start + i for i, ch in enumerate(segment) if ch.isalnum() and i not in keep)
    if not hidden:
        return text
    return "".join(MASK_CHAR if i in hidden else ch for i, ch in enumerate(text))
