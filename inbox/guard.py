"""What may go out: the personal-data guard, the length per network, the approval rules.

Pure functions over text and a few facts; `inbox.reply_services` calls them before it
stores a reply, and the composer shows what they say. Settings (all optional):

The policy by kind of personal data (README, "Replying"):

* card numbers and social security / national identity numbers: refused in every channel,
  public or private, and no override sends them (the last four digits are fine: they are
  not found as a card). A card number inside a link counts too.
* IBANs and account numbers: refused in public; in a private message only once the agent
  confirms the customer asked for it there.
* e-mail addresses and phone numbers (the customer's own in any layout): refused in public,
  allowed in private.

* ``REPLY_PRIVATE_BLOCKED_KINDS``: more kinds to refuse even in a private message (cards
  and national numbers always are).
* ``REPLY_OVERRIDE_ROLES``: roles that may send a public reply the guard blocked, with a
  written reason (default: social leads), for the kinds a private message may carry only.
  Every override waits for a second person.
* ``REPLY_APPROVAL_PHRASES``: phrases that make an agent's reply wait for a lead.
* ``REPLY_APPROVAL_FOLLOWERS``: customers with more followers than this get answers a
  lead has approved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings

from listening.enrichment import EnrichmentConfig
from listening.enrichment.pii import Finding, find_cards, find_customer_contact, find_pii, mask

PUBLIC = "public"
PRIVATE = "private"

# Never written by the bank, anywhere (PCI DSS; national numbers are an identity thief's key).
NEVER_KINDS = frozenset({"card", "ssn"})
# A private message carries these only once the agent confirms the customer asked for them.
CONFIRM_IN_PRIVATE_KINDS = frozenset({"iban", "account"})
DEFAULT_PRIVATE_BLOCKED = ("ssn", "card")
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
    "ssn": "a social security or national identity number",
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


def private_blocked_kinds() -> frozenset[str]:
    return NEVER_KINDS | frozenset(getattr(settings, "REPLY_PRIVATE_BLOCKED_KINDS", DEFAULT_PRIVATE_BLOCKED))


@dataclass
class GuardResult:
    hits: list[Hit] = field(default_factory=list)
    channel: str = PUBLIC

    @property
    def blocked(self) -> bool:
        return bool(self.hits)

    @property
    def never(self) -> bool:
        """Something no channel and no override may carry (a card, a national number)."""
        return any(hit.kind in private_blocked_kinds() for hit in self.hits)

    @property
    def private_allowed(self) -> bool:
        """May this text go as a private message instead (perhaps after a confirmation)?"""
        return self.blocked and not self.never

    @property
    def overridable(self) -> bool:
        """A lead may override only a public refusal of what a private message may carry."""
        return self.channel == PUBLIC and self.private_allowed

    @property
    def needs_confirmation(self) -> bool:
        """A private message refused only until the agent confirms the IBAN / account number."""
        return (
            self.channel == PRIVATE
            and self.blocked
            and all(hit.kind in CONFIRM_IN_PRIVATE_KINDS for hit in self.hits)
        )

    @property
    def confirm_kinds(self) -> list[str]:
        return sorted({REASONS[hit.kind] for hit in self.hits if hit.kind in CONFIRM_IN_PRIVATE_KINDS})

    def message(self, channel: str) -> str:
        reasons = "; ".join(dict.fromkeys(hit.reason for hit in self.hits))
        if self.never:
            return (
                f"Not sent: the reply contains {reasons}. A bank never writes that, in public or in "
                "a private message; the last four digits are enough."
            )
        if self.needs_confirmation:
            return (
                f"Not sent yet: the private message contains {reasons}. Confirm that the customer "
                "asked for it in this private conversation, then send."
            )
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


def _findings(text: str) -> list[Finding]:
    """Everything `find_pii` finds (the bank's own published numbers excepted), and card
    numbers inside links, which it leaves alone for the inbox's badge but a reply may not carry."""
    config = _config()
    findings = find_pii(
        text,
        account_patterns=config.account_patterns,
        allowed=config.public_contacts,
        countries=config.countries,
    )
    for card in find_cards(text):
        if not any(card.start < f.end and f.start < card.end for f in findings):
            findings.append(card)
    return findings


def check(
    text: str, *, channel: str, customer_emails=(), customer_phones=(), confirmed: bool = False
) -> GuardResult:
    """Personal data the reply may not carry on this channel (see the policy above).

    ``confirmed``: the agent confirmed that the customer asked for their IBAN or account
    number in this private conversation.
    """
    findings = _findings(text)
    own = find_customer_contact(text, emails=customer_emails, phones=customer_phones)
    if channel == PRIVATE:
        refused = private_blocked_kinds() | (frozenset() if confirmed else CONFIRM_IN_PRIVATE_KINDS)
        findings = [f for f in findings if f.kind in refused]
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
    return GuardResult(hits=sorted(merged, key=lambda hit: hit.start), channel=channel)


def masked(text: str) -> str:
    """`text` with every piece of personal data the guard knows masked (all but the last four)."""
    return mask(text, _findings(text))


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
