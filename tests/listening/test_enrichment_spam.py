"""Spam and noise, with the reason, and the customers who must not be caught."""

from __future__ import annotations

import pytest

from listening.enrichment.spam import SpamVerdict, spam_verdict


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("🚀 BIG BITCOIN GIVEAWAY! Send 0.1 BTC and receive 0.2 BTC back", "crypto giveaway"),
        ("Free crypto airdrop for the first 500 people, claim now", "crypto giveaway"),
        ("We are giving away 10 ETH to celebrate! https://bit.ly/x", "crypto giveaway"),
        ("send 1 eth and get back 2 eth instantly", "crypto giveaway"),
        ("DM me to earn $5000 weekly from home", "money-making bait"),
        ("message me to start earning today", "money-making bait"),
        ("I make $500 per day with this simple trick", "money-making bait"),
        ("Best investment opportunity of 2026, guaranteed returns", "money-making bait"),
        ("I lost my savings but DM @fundsback, he got my money back", "fake recovery service"),
        ("Contact him he is a recovery expert", "fake recovery service"),
        ("FREE iPhone giveaway 🎁 click the link in bio", "prize giveaway"),
        ("Giveaway time! DM us to claim your prize", "prize giveaway"),
        (
            "Recover your lost funds!! Our agents guarantee 100% recovery. WhatsApp us",
            "fake recovery service",
        ),
        ("Follow back? #followforfollow #f4f", "follow bait"),
        ("like4like anyone", "follow bait"),
        ("http://a.example http://b.example http://c.example http://d.example", "too many links (4)"),
        ("deal #a #b #c #d #e #f #g", "too many hashtags (7)"),
        ("@a @b @c @d @e @f @g @h @i win", "too many mentions (9)"),
        ("buy now buy now buy now", "repeated text"),
        ("click here, click here, click here!", "repeated text"),
        ("win win win win win win", "repeated text"),
    ],
)
def test_spam(text, reason):
    assert spam_verdict(text) == SpamVerdict(True, reason)


@pytest.mark.parametrize(
    "text",
    [
        "please DM me about my ISA investment",
        "can you DM me, I need to recover my account",
        "my bitcoin purchase was blocked by your card, why?",
        "I was hacked and someone took £500, please help",
        "no no no this is not what I asked",
        "please please please fix the app",
        "I won't give away my details to a caller, is this number really you?",
        "Did you win the giveaway at the branch? My son did",
        "how do I recover my online banking password",
        "please follow up on my complaint",
        "@BankBuzz is the app down? #appdown #outage",
        "Your fees page https://bank.example/fees says one thing, the app another",
        "I want to make a complaint about the branch",
        "",
        "   ",
    ],
)
def test_customers_are_not_spam(text):
    assert spam_verdict(text) == SpamVerdict(False, "")
