"""Spam and noise: posts the team should not have to read one by one.

Bank accounts attract a particular kind of spam: crypto "giveaways" impersonating the bank,
"DM me to earn $5,000 a week", fake "account recovery experts" replying under every complaint,
and hashtag or link stuffing. A flagged post is still stored; the inbox files it under spam,
where a person can take it back. So the rules aim at patterns that real customers practically
never write, and every verdict carries the reason, so an agent can see why and a lead can tune it.

Deliberately *not* a rule: the same text arriving many times. During an outage hundreds of
customers write "is the app down?" in nearly the same words, and they are the most urgent
posts of the day.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Final

__all__ = ["SpamVerdict", "spam_verdict"]

MAX_LINKS: Final = 3
MAX_HASHTAGS: Final = 6
MAX_MENTIONS: Final = 8


@dataclass(frozen=True, slots=True)
class SpamVerdict:
    """``is_spam`` and a short human-readable ``reason`` (``""`` when not spam)."""

    is_spam: bool
    reason: str


_NOT_SPAM: Final = SpamVerdict(False, "")

_CRYPTO: Final = (
    r"(?:crypto|bitcoin|btc|eth|ethereum|usdt|tether|doge|dogecoin|solana|xrp|bnb|nft|nfts|"
    r"token|tokens|airdrop|altcoin|binance|metamask|wallet|blockchain)"
)
# A crypto word together with a giveaway word, in either order, within one post.
_CRYPTO_GIVEAWAY_RE: Final = re.compile(
    rf"(?<!\w)(?:giveaway|give ?away|giving away|airdrop|free|claim|double your|doubling|bonus|"
    rf"first \d+ (?:people|users))(?!\w)[\s\S]{{0,120}}?(?<!\w){_CRYPTO}(?!\w)"
    rf"|(?<!\w){_CRYPTO}(?!\w)[\s\S]{{0,120}}?(?<!\w)(?:giveaway|give ?away|airdrop|"
    rf"double (?:it|your)|claim (?:now|yours|your)|send (?:and|&) receive)(?!\w)",
    re.IGNORECASE,
)
_SEND_TO_RECEIVE_RE: Final = re.compile(
    r"(?<!\w)send\s+\d+(?:[.,]\d+)?\s*(?:btc|eth|usdt|bitcoin)\b[\s\S]{0,80}?(?:receive|get back|return)",
    re.IGNORECASE,
)
# Money-making bait. Words such as "invest" or "recover my account" alone are ordinary bank
# topics ("please DM me about my ISA investment"), so each rule needs the spammer's framing:
# an invitation to contact *them*, an amount per period, or a third party who "recovers" funds.
_CONTACT: Final = r"(?:dm|inbox|message|msg|text|whatsapp|telegram|contact|reach out to|hit up|write to)"
_EARN_BAIT_RE: Final = re.compile(
    rf"(?<!\w){_CONTACT}\s+(?:me|us)\s+(?:to|for|and|if you want to)\s+(?:\w+\s+){{0,3}}?"
    r"(?:earn|make money|profit|invest|income|trade|start earning)"
    r"|(?<!\w)(?:earn|earning|make|making)\s+(?:up to\s+)?[$£€]\s?\d[\d,.]*k?\s*"
    r"(?:a|per|every|each|in a|within)?\s*(?:day|daily|week|weekly|month|hours?|days)"
    r"|(?<!\w)(?:passive income|work from home and earn|get rich quick|investment opportunity|"
    r"binary options|forex signals|financial freedom|side hustle|guaranteed (?:returns|profit))(?!\w)",
    re.IGNORECASE,
)
_RECOVERY_BAIT_RE: Final = re.compile(
    rf"(?<!\w){_CONTACT}\s+(?:him|her|them|@\w+)(?!\w)[\s\S]{{0,100}}?"
    r"(?<!\w)(?:recover|recovered|recovery|hacker|hack|got (?:my|all my) (?:money|funds|account) back)"
    r"|(?<!\w)(?:recovery expert|recovery specialist|funds? recovery|asset recovery|ethical hacker|"
    r"hire a hacker|recovery agents?|recover your (?:lost |stolen )?(?:funds|money|crypto|savings)|"
    r"(?:100 ?%|guaranteed?) recovery)(?!\w)",
    re.IGNORECASE,
)
# Prize bait without crypto: "FREE iPhone giveaway, click the link in bio". A giveaway alone is
# not enough: customers ask about the bank's own competitions ("did you win the giveaway?").
_PRIZE_BAIT: Final = (
    r"(?:link in (?:my |our )?bio|click (?:the|my|our) link|dm (?:me|us) to claim|claim (?:it|yours|now))"
)
_PRIZE_BAIT_RE: Final = re.compile(
    rf"\bgive ?away\b[\s\S]{{0,80}}?{_PRIZE_BAIT}|{_PRIZE_BAIT}[\s\S]{{0,80}}?\bgive ?away\b",
    re.IGNORECASE,
)
# Engagement farming: "follow back? #followforfollow #f4f".
_FOLLOW_BAIT_RE: Final = re.compile(
    r"(?<![\w#])#?(?:follow ?(?:4|for) ?follow|f4f|follow ?back|followback|like ?(?:4|for) ?like|l4l|"
    r"sub ?(?:4|for) ?sub|teamfollowback)(?!\w)",
    re.IGNORECASE,
)
_LINK_RE: Final = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HASHTAG_RE: Final = re.compile(r"(?<![\w#])#\w+")
_MENTION_RE: Final = re.compile(r"(?<![\w@])@\w+")
_WORD_RE: Final = re.compile(r"\w+")
# A phrase of two to four words three or more times in a row ("buy now buy now buy now"), or
# one word six or more times. Fewer single-word repeats are how upset people write
# ("no no no", "please please please fix this"), not spam.
_REPEAT_PHRASE_RE: Final = re.compile(r"(?<!\w)(\w+(?:\s+\w+){1,3})(?:[\s,.!]+\1(?!\w)){2,}", re.IGNORECASE)
_REPEAT_WORD_RE: Final = re.compile(r"(?<!\w)(\w+)(?:[\s,.!]+\1(?!\w)){5,}", re.IGNORECASE)
_MIN_WORDS_FOR_RATIO: Final = 12


# Each bait rule needs at least one of these words; checking a set of the post's words first
# spares the costlier regexes on the vast majority of posts, which are not spam.
_CRYPTO_TRIGGERS: Final = frozenset({
    "crypto", "bitcoin", "btc", "eth", "ethereum", "usdt", "tether", "doge", "dogecoin", "solana",
    "xrp", "bnb", "nft", "nfts", "token", "tokens", "airdrop", "altcoin", "binance", "metamask",
    "wallet", "blockchain",
})  # fmt: skip
_EARN_TRIGGERS: Final = frozenset({
    "earn", "earning", "earnings", "make", "making", "money", "profit", "profits", "invest",
    "investment", "investing", "income", "trade", "trading", "passive", "rich", "opportunity",
    "binary", "forex", "financial", "hustle", "guaranteed",
})  # fmt: skip
_RECOVERY_TRIGGERS: Final = frozenset({
    "recover", "recovered", "recovery", "hacker", "hackers", "hack", "hacked", "back",
})  # fmt: skip


def spam_verdict(text: str) -> SpamVerdict:
    """Classify one post as spam or not, with the first rule that fired as the reason."""
    if not text or not text.strip():
        return _NOT_SPAM
    words = [w.casefold() for w in _WORD_RE.findall(text)]
    vocabulary = set(words)
    if not vocabulary.isdisjoint(_CRYPTO_TRIGGERS) and (
        _CRYPTO_GIVEAWAY_RE.search(text) or _SEND_TO_RECEIVE_RE.search(text)
    ):
        return SpamVerdict(True, "crypto giveaway")
    if not vocabulary.isdisjoint(_EARN_TRIGGERS) and _EARN_BAIT_RE.search(text):
        return SpamVerdict(True, "money-making bait")
    if not vocabulary.isdisjoint(_RECOVERY_TRIGGERS) and _RECOVERY_BAIT_RE.search(text):
        return SpamVerdict(True, "fake recovery service")
    if ("giveaway" in vocabulary or "give" in vocabulary) and _PRIZE_BAIT_RE.search(text):
        return SpamVerdict(True, "prize giveaway")
    if _FOLLOW_BAIT_RE.search(text):
        return SpamVerdict(True, "follow bait")
    if "http" in text or "www." in text:
        links = len(_LINK_RE.findall(text))
        if links > MAX_LINKS:
            return SpamVerdict(True, f"too many links ({links})")
    hashtags = text.count("#") and len(_HASHTAG_RE.findall(text))
    if hashtags > MAX_HASHTAGS:
        return SpamVerdict(True, f"too many hashtags ({hashtags})")
    mentions = text.count("@") and len(_MENTION_RE.findall(text))
    if mentions > MAX_MENTIONS:
        return SpamVerdict(True, f"too many mentions ({mentions})")
    # A repeat needs some word at least three times; most posts have none.
    if len(words) >= 6 and max(Counter(words).values()) >= 3:
        if _REPEAT_PHRASE_RE.search(text) or _REPEAT_WORD_RE.search(text):
            return SpamVerdict(True, "repeated text")
        # Long posts made of very few distinct words are copy-paste filler, not a customer.
        if len(words) >= _MIN_WORDS_FOR_RATIO and len(vocabulary) / len(words) < 0.3:
            return SpamVerdict(True, "repeated text")
    return _NOT_SPAM
