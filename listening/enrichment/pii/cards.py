"""Card numbers: runs of digit groups that an issuer's prefix, the Luhn check or a card's layout
says are a card."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Final

from listening.enrichment.pii.checksums import issuer_matches, luhn_valid
from listening.enrichment.pii.findings import Finding, finding_at
from listening.enrichment.pii.ibans import iban_findings
from listening.enrichment.pii.normalisation import normalise
from listening.enrichment.pii.spans import MAX_GROUPS_PER_WINDOW, Candidate, Spans, digit_groups, pick

# A run of digit groups with card-style separators. Up to three separator characters so that
# "4111 - 1111 - 1111 - 1111" and a zero-width space next to a real space still join. Only runs
# of 13 digits or more match: payloads are full of short numbers (counts, dates, times), and
# each run the window search looks at costs more than the regex that skips it.
_CARD_RUN_RE: Final = re.compile(r"[0-9](?:[ .\-]{0,3}[0-9]){12,}")


def _card_shaped(lengths: Sequence[int]) -> bool:
    """Is this how people write a card number: 4-4-4-4(-n), 4-4-4-1, or 4-6-5 / 4-6-4?"""
    if len(lengths) >= 3 and all(n == 4 for n in lengths[:-1]) and 1 <= lengths[-1] <= 4:
        return True
    return tuple(lengths) in ((4, 6, 5), (4, 6, 4))


def card_findings(norm: str, blocked: Spans) -> Iterator[Finding]:
    for run in _CARD_RUN_RE.finditer(norm):
        groups = digit_groups(norm, run.start(), run.end())
        count = len(groups)
        if sum(e - s for s, e in groups) < 13:
            continue
        # After a "+" it is a phone number. Glued to a word ("card4111…", "AB4111…", "…1111XY") it
        # may be a reference, or a card typed without its space: it counts only as a whole run
        # that an issuer's prefix and the Luhn check both say is a card (below).
        after_plus = run.start() > 0 and norm[run.start() - 1] == "+"
        first_glued = run.start() > 0 and (norm[run.start() - 1].isalnum() or norm[run.start() - 1] == "_")
        last_glued = run.end() < len(norm) and (norm[run.end()].isalnum() or norm[run.end()] == "_")
        candidates: list[Candidate] = []
        for i in range(count):
            if i == 0 and after_plus:
                continue
            # Every card issuer's prefix starts with 2-6 (Mastercard 2-series and Mir, Amex,
            # Diners and JCB, Visa, Mastercard and Maestro, Discover and UnionPay). Checking that
            # first keeps long runs of other digits cheap and ids starting with 1 out.
            if norm[groups[i][0]] not in "23456":
                continue
            digits = ""
            for j in range(i, min(count, i + MAX_GROUPS_PER_WINDOW)):
                digits += norm[groups[j][0] : groups[j][1]]
                total = len(digits)
                if total > 19:
                    break
                whole = i == 0 and j == count - 1
                glued = (i == 0 and first_glued) or (j == count - 1 and last_glued)
                if total < 13 or (glued and not whole):
                    continue
                start, end = groups[i][0], groups[j][1]
                if blocked.overlaps(start, end):
                    continue
                # A window that is only part of a run of digits needs the strongest evidence
                # (an issuer's prefix and the Luhn check); otherwise a 24-digit reference would
                # always contain some "card". The cheap tests first: most windows fail them.
                issuer = issuer_matches(digits)
                shaped = whole and _card_shaped([e - s for s, e in groups[i : j + 1]])
                if not (issuer or shaped):
                    continue
                valid = luhn_valid(digits)
                if (valid and issuer) or (shaped and not glued):
                    candidates.append(((int(valid), int(whole), total), start, end, valid))
        for start, end, valid in pick(candidates, run.start(), run.end() - run.start()):
            yield finding_at("card", norm, start, end, valid)


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
    cards = list(card_findings(norm, Spans(())))
    if not cards:
        return []
    # An IBAN's account digits can be written in card groups; they are the IBAN's, not a card.
    ibans = Spans((f.start, f.end) for f in iban_findings(norm, Spans(())) if f.valid)
    return sorted((f for f in cards if not ibans.overlaps(f.start, f.end)), key=lambda f: f.start)
