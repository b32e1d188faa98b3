"""What may go out: the personal-data guard, the length per network, the approval rules.

Pure functions over text and a few facts; `inbox.reply_services` calls them before it
stores a reply, and the composer shows what they say. Settings (all optional):

* ``REPLY_PRIVATE_BLOCKED_KINDS``: kinds of personal data refused even in a private
  message (default: social security numbers, which the bank never writes anywhere). A
  direct message may confirm a card, IBAN or account number to the customer who sent it.
* ``REPLY_OVERRIDE_ROLES``: roles that may send a public reply the guard blocked, with a
  written reason (default: social leads). Every override waits for a second person.
* ``REPLY_APPROVAL_PHRASES``: phrases that make an agent's reply wait for a lead.
* ``REPLY_APPROVAL_FOLLOWERS``: customers with more followers than this get answers a
  lead has approved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings

from listening.enrichment import EnrichmentConfig
from listening.enrichment.pii import Finding, find_customer_contact, find_pii

PUBLIC = "public"
PRIVATE = "private"

DEFAULT_PRIVATE_BLOCKED = ("ssn",)
DEFAULT_OVERRIDE_ROLES = ("lead",)
DEFAULT_APPROVAL_PHRASES = ("refund", "compensation", "interest rate", "goodwill payment", "reimburse")
DEFAULT_APPROVAL_FOLLOWERS = 10_000

# --- Length -----------------------------------------------------------------------------------

# Limits per network and channel, in the network's own way of counting.
LIMITS = {
    ("x", PUBLIC): 280,
    ("x", PRIVATE): 10_000,
    ("facebook", PUBLIC): 8_000,
    ("facebook", PRIVATE): 2_000,
    ("linkedin", PUBLIC): 1_250,
    ("instagram", PUBLIC): 2_200,
    ("instagram", PRIVATE): 1_000,
}
X_URL_LENGTH = 23
URL_RE = re.compile(r"https?://[^\s]+", re.IGNORECASE)
# twitter-text: these code points weigh 1, every other one 2 (CJK, emoji).
_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


def _x_weight(ch: str) -> int:
    code = ord(ch)
    return 1 if any(low <= code <= high for low, high in _X_LIGHT) else 2


def reply_length(network: str, text: str) -> int:
    """Length as the network counts it: on X a link is 23 characters and CJK or emoji are 2."""
    if network != "x":
        return len(text)
    total = 0
    last = 0
    for match in URL_RE.finditer(text):
        total += sum(_x_weight(ch) for ch in text[last : match.start()]) + X_URL_LENGTH
        last = match.end()
    return total + sum(_x_weight(ch) for ch in text[last:])


def length_limit(network: str, channel: str) -> int | None:
    return LIMITS.get((network, channel))


# --- Personal data ------------------------------------------------------------------------------

REASONS = {
    "card": "a card number",
    "iban": "an IBAN",
    "ssn": "a social security number",
    "account": "an account number",
    "email": "an e-mail address",
    "phone": "a phone number",
}


@dataclass(frozen=True)
class Hit:
    """One piece of personal data in a reply: where, what and why it is refused."""

    kind: str
    start: int
    end: int
    valid: bool | None
    preview: str
    reason: str

    def as_record(self) -> dict:
        """What may be stored about it: never the data itself."""
        return {"kind": self.kind, "valid": self.valid, "preview": self.preview, "reason": self.reason}


def _reason(finding: Finding, *, own: bool) -> str:
    what = REASONS.get(finding.kind, "personal data")
    if own:
        return f"the customer's own {what.split(' ', 1)[1]}"
    if finding.kind == "card":
        return (
            f"{what} (it passes the Luhn check)"
            if finding.valid
            else "what looks like a card number with one digit wrong (still most of a real card)"
        )
    if finding.kind == "iban":
        return (
            f"{what} (its check digits are valid)"
            if finding.valid
            else "what looks like an IBAN with wrong check digits"
        )
    return what


@dataclass
class GuardResult:
    hits: list[Hit] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return bool(self.hits)

    def message(self, channel: str) -> str:
        reasons = "; ".join(dict.fromkeys(hit.reason for hit in self.hits))
        where = "in public" if channel == PUBLIC else "even in a private message"
        return f"Not sent: the reply contains {reasons}. A bank never writes that {where}."

    def segments(self, text: str) -> list[tuple[str, Hit | None]]:
        """The text cut into plain parts and hits, for highlighting the exact spans."""
        parts: list[tuple[str, Hit | None]] = []
        position = 0
        for hit in sorted(self.hits, key=lambda h: h.start):
            if hit.start > position:
                parts.append((text[position : hit.start], None))
            parts.append((text[hit.start : hit.end], hit))
            position = hit.end
        if position < len(text):
            parts.append((text[position:], None))
        return parts


def _config() -> EnrichmentConfig:
    return EnrichmentConfig.from_settings()


def check(text: str, *, channel: str, customer_emails=(), customer_phones=()) -> GuardResult:
    """Personal data the reply may not carry on this channel.

    Public: everything `find_pii` finds (the bank's own published contacts excepted) and the
    customer's own e-mail or phone in any layout. Private: only the kinds of
    ``REPLY_PRIVATE_BLOCKED_KINDS``: a direct message may confirm an IBAN the customer sent us.
    """
    config = _config()
    findings = find_pii(text, account_patterns=config.account_patterns, allowed=config.public_contacts)
    own = find_customer_contact(text, emails=customer_emails, phones=customer_phones)
    if channel == PRIVATE:
        blocked = set(getattr(settings, "REPLY_PRIVATE_BLOCKED_KINDS", DEFAULT_PRIVATE_BLOCKED))
        findings = [f for f in findings if f.kind in blocked]
        own = []
    own_spans = {(f.start, f.end) for f in own}
    merged: list[Hit] = []
    # The customer's own details first: "their own phone number" says more than "a phone number".
    for finding in [*own, *findings]:
        if any(finding.start < hit.end and hit.start < finding.end for hit in merged):
            continue
        merged.append(
            Hit(
                kind=finding.kind,
                start=finding.start,
                end=finding.end,
                valid=finding.valid,
                preview=finding.preview,
                reason=_reason(finding, own=(finding.start, finding.end) in own_spans),
            )
        )
    return GuardResult(hits=sorted(merged, key=lambda hit: hit.start))


def override_roles() -> tuple[str, ...]:
    return tuple(getattr(settings, "REPLY_OVERRIDE_ROLES", DEFAULT_OVERRIDE_ROLES))


# --- Approval rules ------------------------------------------------------------------------------


def _phrases() -> tuple[str, ...]:
    return tuple(getattr(settings, "REPLY_APPROVAL_PHRASES", DEFAULT_APPROVAL_PHRASES))


def approval_reasons(
    *, text: str, author_is_trainee: bool, author_is_lead: bool, followers: int | None, overridden: bool
) -> list[str]:
    """Why a reply waits for a lead; empty when it may go straight out.

    Leads are the checkers, so the phrase and reach rules apply to agents; an override
    always needs a second person, whoever wrote it.
    """
    reasons: list[str] = []
    if overridden:
        reasons.append("the personal-data guard was overridden")
    if author_is_lead:
        return reasons
    if author_is_trainee:
        reasons.append("written by a trainee")
    folded = " ".join(text.casefold().split())
    for phrase in _phrases():
        if re.search(r"(?<!\w)" + re.escape(phrase.casefold()) + r"", folded):
            reasons.append(f"mentions “{phrase}”")
    limit = int(getattr(settings, "REPLY_APPROVAL_FOLLOWERS", DEFAULT_APPROVAL_FOLLOWERS))
    if followers is not None and followers > limit:
        reasons.append(f"the customer has {followers:,} followers (over {limit:,})")
    return reasons
