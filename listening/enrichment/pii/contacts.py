"""E-mail addresses and phone numbers: anyone's, and the customer's own in any layout."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from listening.enrichment.pii.findings import Finding, finding_at, resolve
from listening.enrichment.pii.normalisation import normalise
from listening.enrichment.pii.spans import (
    MAX_GROUPS_PER_WINDOW,
    Candidate,
    Spans,
    ascii_digit_count,
    digit_groups,
    pick,
)

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

MIN_PHONE_MATCH_DIGITS: Final = 9


def email_findings(norm: str) -> Iterator[Finding]:
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
        yield finding_at("email", norm, start, match.end(), None)


def _phone_kind(digits: str, lengths: Sequence[int], *, plus: bool, whole: bool, at_start: bool) -> bool:
    """Decide whether a window of digit groups is a phone number (see phone_findings)."""
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


def phone_findings(norm: str, blocked: Spans) -> Iterator[Finding]:
    for run in _PHONE_RUN_RE.finditer(norm):
        text = run.group()
        if ascii_digit_count(text) < 8:
            continue  # short numbers, amounts, years, times
        plus = text.startswith("+")
        groups = digit_groups(norm, run.start(), run.end())
        count = len(groups)
        last_glued = run.end() < len(norm) and (norm[run.end()].isalnum() or norm[run.end()] == "_")
        candidates: list[Candidate] = []
        for i in range(count):
            # Past the start of a run only numbers with a trunk or international prefix ("0",
            # "00") can begin: "ref 12 07700 900123". See _phone_kind.
            if i > 0 and (norm[groups[i][0]] != "0" or groups[i][1] - groups[i][0] < 2):
                continue
            digits = ""
            for j in range(i, min(count, i + MAX_GROUPS_PER_WINDOW)):
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
        for start, end, _ in pick(candidates, run.start(), run.end() - run.start()):
            yield finding_at("phone", norm, start, end, None)


def _phone_key(phone: str) -> str:
    return "".join(ch for ch in normalise(phone) if ch.isdigit())[-MIN_PHONE_MATCH_DIGITS:]


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
        found.extend(finding_at("email", norm, m.start(), m.end(), None) for m in pattern.finditer(norm))

    keys = {k for k in (_phone_key(p) for p in phones) if len(k) >= 6}
    if keys:
        for run in re.finditer(r"\+?[0-9]+(?:(?:[ .\-/()]{1,3})[0-9]+)*", norm):
            groups = digit_groups(norm, run.start(), run.end())
            for i in range(len(groups)):
                digits = ""
                for j in range(i, min(len(groups), i + MAX_GROUPS_PER_WINDOW)):
                    digits += norm[groups[j][0] : groups[j][1]]
                    if len(digits) > 17:
                        break
                    key = digits[-MIN_PHONE_MATCH_DIGITS:]
                    # Equal keys, and at most a country code / trunk prefix in front.
                    if key in keys and len(digits) - len(key) <= 4:
                        start, end = groups[i][0], groups[j][1]
                        if i == 0 and run.group().startswith("+"):
                            start = run.start()
                        found.append(finding_at("phone", norm, start, end, None))
    return resolve(found)
