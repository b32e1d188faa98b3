"""What the sandbox's customers say, and who they are.

Everything here is a pure function of a `random.Random`, so a seed gives the
same conversation every run. Texts are assembled from parts rather than picked
whole so that a demo inbox looks varied and the enrichment (sentiment,
personal-data detection, routing keywords) has realistic material.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from devtools.sandbox.world import BANK_X, COMPETITORS

# Luhn-valid numbers that card networks publish for testing: realistic enough
# for the personal-data guard, never a real customer's card.
TEST_CARD_NUMBERS = (
    "4111 1111 1111 1111",
    "4111111111111111",
    "4012-8888-8888-1881",
    "5555 5555 5555 4444",
    "5105105105105100",
    "4242 4242 4242 4242",
    "3782 822463 10005",
)

FIRST_NAMES = (
    "Amara", "Ben", "Chloe", "Dev", "Elena", "Femi", "Grace", "Hamza", "Ines", "Jack", "Kasia", "Liam",
    "Maya", "Noah", "Olu", "Priya", "Quinn", "Rosa", "Sam", "Tariq", "Uma", "Victor", "Wen", "Yusuf",
    "Zoe", "Aisha", "Bruno", "Carmen", "Dylan", "Eilidh", "Frank", "Gita", "Hugo", "Isla", "Jonas",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Patel", "Nguyen", "Smith", "Kowalski", "Garcia", "O'Brien", "Haddad", "Jones", "Müller",
    "Rossi", "Campbell", "Mensah", "Silva", "Chen", "Ali", "Murphy", "Novak", "Dubois", "Khan",
)  # fmt: skip

MERCHANTS = (
    "Tesco", "the petrol station", "Amazon", "a restaurant in Lisbon", "the chemist", "Uber", "IKEA",
    "the airport", "Currys", "my gym", "the vet", "Booking.com",
)  # fmt: skip
PLACES = (
    "the High Street branch",
    "Leeds",
    "Glasgow Central",
    "the Canary Wharf branch",
    "Cardiff",
    "Bristol",
)
EMOJI = ("", "", "", " 😡", " 🙄", " 😤", " 🙏", " 😭", " 💸", " 👍", " ❤️", " 🤦")

# Topic -> (weight in steady traffic, weight during an outage).
TOPIC_WEIGHTS: dict[str, tuple[int, int]] = {
    "card_declined": (14, 8),
    "app_outage": (10, 75),
    "fees": (12, 2),
    "mortgage": (10, 1),
    "fraud": (10, 4),
    "praise": (14, 2),
    "card_number_public": (4, 2),
    "transfer_delay": (10, 4),
    "general_question": (8, 1),
    "spam": (8, 1),
}

_TEMPLATES: dict[str, tuple[str, ...]] = {
    "card_declined": (
        "{bank} my card just got declined at {merchant} for the third time today. Money is in the account, "
        "what is going on?",
        "{bank} card declined at {merchant}, {amount} in the queue behind me. Embarrassing. Fix it please",
        "Why does my {bank} debit card keep getting declined abroad? I told you I was travelling",
        "{bank} contactless stopped working on my card since yesterday. Chip and PIN works. Any idea?",
        "Declined at {merchant} again. {bank} is this a known issue or is it just me?",
    ),
    "app_outage": (
        "{bank} is the app down? Can't log in, it just spins",
        "{bank} your app logs me out every time I try to see my balance. Third day in a row",
        "Can't log in to {bank} online banking. 'Something went wrong' is not an error message",
        "{bank} app says my password is wrong but I just reset it. Locked out now",
        "Anyone else unable to get into the {bank} app this morning? Payday and I can't see my salary",
        "{bank} the login code SMS never arrives. How am I supposed to pay rent?",
        "{bank} app crashed mid-transfer. Did the payment go through or not?",
    ),
    "fees": (
        "{bank} why was I charged a {amount} fee for going {amount2} over my overdraft for one day?",
        "{bank} a {amount} 'account maintenance fee' appeared this month. Nobody told me about this",
        "Just noticed {bank} charges {amount} for foreign transactions. Time to switch banks?",
        "{bank} can you explain the {amount} charge on my statement labelled SERVICE FEE?",
    ),
    "mortgage": (
        "{bank} my fixed rate ends in March. Can I lock in a new rate now or do I have to wait?",
        "{bank} how long does a mortgage agreement in principle take? Estate agent is chasing me",
        "{bank} we were told the valuation would be done last week. Still nothing. Who do I talk to?",
        "Is it possible to overpay my {bank} mortgage without a penalty? Website isn't clear",
        "{bank} first time buyer here, what deposit do you need for a 2-bed flat in {place}?",
    ),
    "fraud": (
        "{bank} there is a {amount} payment to {merchant} on my account that I did NOT make. Help",
        "{bank} got a text saying my account is suspended and to click a link. Is that you? Looks dodgy",
        "{bank} someone called pretending to be from your fraud team and knew my name. Scared now",
        "{bank} I think my card was cloned, three transactions I don't recognise overnight",
        "{bank} I clicked a link in an email that looked like yours and entered my details. What do I do?",
    ),
    "praise": (
        "Shout out to the team at {place} ({bank}), sorted my problem in ten minutes. Thank you!",
        "{bank} the new savings pots feature is brilliant, thanks",
        "Have to say {bank} customer service was really helpful today. Credit where it's due",
        "{bank} thanks for sorting out my refund so quickly, really appreciate it",
        "Mortgage approved! Thanks {bank} for making it painless",
    ),
    "card_number_public": (
        "{bank} my card {card} is blocked, can you unblock it please, exp 09/27",
        "{bank} card number {card} keeps getting declined, urgent!!",
        "{bank} please check card {card} why was it charged twice",
        "{bank} I need help with my account, account number 31926819 sort code 20-00-00, card {card}",
    ),
    "transfer_delay": (
        "{bank} I sent {amount} to my landlord yesterday and it still hasn't arrived. Where is it?",
        "{bank} my salary hasn't come in yet. Employer says they paid on Friday",
        "{bank} international transfer pending for 5 days now. Reference numbers mean nothing to me",
        "{bank} why is my transfer 'under review'? It's my own money",
    ),
    "general_question": (
        "{bank} how do I change my address? The app won't let me",
        "{bank} what are the opening hours of {place} on Saturdays?",
        "{bank} do you offer accounts for 16 year olds?",
        "{bank} how do I get a new PIN sent out? Forgot mine",
        "{bank} can I add my partner to my current account online?",
    ),
    "spam": (
        "{bank} 🚀🚀 Earn $5000 a week from home with crypto! DM me now 💰💰 bit.ly/xx-free-money",
        "Follow back? {bank} #followforfollow #f4f",
        "{bank} Recover your lost funds!! Our agents guarantee 100% recovery. Contact us on WhatsApp",
        "{bank} FREE iPhone giveaway 🎁 click the link in bio",
    ),
}

# Follow-ups a customer posts in a conversation that is already going: while they wait for the
# bank, and once the bank has answered them.
_FOLLOW_UPS_WAITING = (
    "{bank} still waiting on this",
    "{bank} any update? It's been hours",
    "{bank} hello? Anyone there?",
    "{bank} I've sent you a DM",
)
_FOLLOW_UPS_ANSWERED = (
    "{bank} thanks, that worked",
    "{bank} ok, will try that now",
    "{bank} that's not what I asked",
    "{bank} no, still broken",
    "{bank} sorted now, thank you!",
)
_FOLLOW_UPS = _FOLLOW_UPS_WAITING + _FOLLOW_UPS_ANSWERED

_DM_TEMPLATES = (
    "Hi, following up on my tweet. My card ending 4321 was declined at {merchant}.",
    "Hello, I can't log in to the app since this morning. My username is the email on the account.",
    "I need to dispute a payment of {amount} to {merchant}.",
    "When will my replacement card arrive? Ordered it two weeks ago.",
    "Can someone call me back about my mortgage application please?",
    "Thanks for the help earlier!",
)
# A private message about the customer's own matter (`compose_direct(topic=...)`).
_DM_BY_TOPIC = {
    "card_declined": (0, 3),
    "app_outage": (1,),
    "fraud": (2,),
    "fees": (2,),
    "mortgage": (4,),
    "praise": (5,),
}

# Content that tries to break the app that shows it: markup, scripts, control and
# bidirectional characters, combining marks, and what PostgreSQL refuses (NUL).
HOSTILE_TEXTS = (
    "{bank} <script>alert('xss')</script> my card was declined",
    "{bank} <img src=x onerror=alert(1)> fees again?!",
    "{bank} \u202eknab dab\u202c this text is right-to-left overridden",
    "{bank} Z\u0351\u0360a\u0346\u035bl\u0310\u0315g\u0300\u0301o\u0342 s\u0308ays the app is d\u0336own",
    "{bank} zero\u200bwidth\u200cjoin\u200dtext\ufeff and a soft\u00adhyphen",
    "{bank} مرحبا، بطاقتي لا تعمل \u200f (Arabic: hello, my card does not work)",
    "{bank} 👩🏽‍💻🏳️‍🌈🇬🇧🧑‍🤝‍🧑 emoji ZWJ sequences and flags 💳❌",
    '{bank} click <a href="javascript:alert(1)">here</a> for your refund',
    "{bank} NUL byte here:\x00 and a bell \x07 and escape \x1b[31mred\x1b[0m",
    '{bank} "quotes" & ampersands &amp; entities &lt;b&gt; ${{7*7}} {{{{7*7}}}} %s %n',
)

HOSTILE_NAMES = (
    "<script>alert(document.cookie)</script>",
    "Robert'); DROP TABLE authors;--",
    "\u202eknaB egdirbhtroN",
    "Z\u0351\u0360a\u0346l\u0310g\u0300o\u0342 \U0001f480",
    "<b onmouseover=alert(1)>Bold</b>",
)

HOSTILE_URLS = (
    "javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "JaVaScRiPt:alert(document.domain)",
    "vbscript:msgbox(1)",
    "//evil.example/avatar.png",
)


# How many people write to the bank: enough that, at the sandbox's rate, one person does not
# open a new conversation every few minutes.
CROWD_SIZE = 400


@dataclass(frozen=True)
class Customer:
    """One person in the sandbox's crowd, with an identity on each network."""

    index: int
    name: str
    handle: str
    x_id: str
    facebook_id: str
    linkedin_id: str
    followers: int
    verified: bool

    @property
    def linkedin_urn(self) -> str:
        return f"urn:li:person:{self.linkedin_id}"

    @property
    def instagram_id(self) -> str:
        """The person's Instagram-scoped id (an IGSID), derived so that the crowd's shape stays as it was."""
        return str(6_300_000_000_000_000 + int(self.facebook_id) % 1_000_000_000_000)


def build_customers(count: int = CROWD_SIZE) -> tuple[Customer, ...]:
    """The crowd. Fixed (not seeded) so handles stay stable across seeds and restarts; a larger
    crowd starts with the same people."""
    rng = random.Random("northbridge-customers")
    customers = []
    used: set[str] = set()
    for index in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = rng.choice(
            (
                f"{first}{last}",
                f"{first.lower()}_{last.lower()}",
                f"{first[0]}{last}".lower(),
                f"{first.lower()}{rng.randint(1, 99)}",
            )
        )
        handle = "".join(ch for ch in base if ch.isascii() and (ch.isalnum() or ch == "_"))[:15]
        while handle.lower() in used:
            handle = f"{handle[:12]}{rng.randint(10, 99)}"
        used.add(handle.lower())
        # Follower counts are heavy-tailed: most people have a few hundred, a few have a crowd.
        followers = int(rng.lognormvariate(5.5, 1.6))
        customers.append(
            Customer(
                index=index,
                name=f"{first} {last}",
                handle=handle,
                x_id=str(1_200_000_000_000_000_000 + index * 7_919),
                facebook_id=str(7_100_000_000_000_000 + index * 104_729),
                linkedin_id=f"{rng.getrandbits(40):010x}"[:10],
                followers=followers,
                verified=followers > 20_000 and rng.random() < 0.5,
            )
        )
    return tuple(customers)


CUSTOMERS = build_customers()

# The accounts that post spam: bots, not customers, so their spam never lands in a customer's
# conversation (a customer with a fraud question does not also write "#followforfollow").
_SPAMMER_HANDLES = (
    ("crypto_wins_88", "Crypto Wins 💰"),
    ("f4f_daily", "Follow4Follow Daily"),
    ("fundrecovery247", "Fund Recovery Experts"),
    ("giveaway_uk_", "UK Giveaways 🎁"),
    ("earnfromhome_x", "Earn From Home"),
    ("btc_signals_pro", "BTC Signals Pro"),
)
SPAMMERS = tuple(
    Customer(
        index=20_000 + number,
        name=name,
        handle=handle,
        x_id=str(1_300_000_000_000_000_000 + number * 7_919),
        facebook_id=str(7_300_000_500_000_000 + number * 104_729),
        linkedin_id=f"5pam{number:06d}",
        followers=12 + number * 37,
        verified=False,
    )
    for number, (handle, name) in enumerate(_SPAMMER_HANDLES)
)


def pick_topic(rng: random.Random, *, outage: bool = False) -> str:
    topics = list(TOPIC_WEIGHTS)
    weights = [TOPIC_WEIGHTS[topic][1 if outage else 0] for topic in topics]
    return rng.choices(topics, weights=weights)[0]


def _fill(template: str, rng: random.Random, bank: str) -> str:
    amount = rng.choice((5, 12, 25, 35, 49.99, 120, 250, 600, 1450))
    return template.format(
        bank=bank,
        merchant=rng.choice(MERCHANTS),
        amount=f"£{amount:,}",
        amount2=f"£{rng.choice((1, 3, 8, 20))}",
        card=rng.choice(TEST_CARD_NUMBERS),
        place=rng.choice(PLACES),
    )


def bank_reference(network: str) -> str:
    """How customers name the bank on each network."""
    return f"@{BANK_X['handle']}" if network == "x" else "Northbridge"


def compose(rng: random.Random, *, topic: str, network: str, hostile: bool = False) -> str:
    """A customer's public post about `topic`, addressed the way the network expects."""
    bank = bank_reference(network)
    if hostile:
        return _fill(rng.choice(HOSTILE_TEXTS), rng, bank)
    text = _fill(rng.choice(_TEMPLATES[topic]), rng, bank)
    # X mentions carry the handle; elsewhere the name reads more naturally.
    if network == "x" and bank not in text:
        text = f"{bank} {text}"
    return text + rng.choice(EMOJI)


def compose_follow_up(rng: random.Random, *, network: str, answered: bool | None = None) -> str:
    """A customer writing again in their thread: chasing while the bank has not answered them,
    thanks or a reaction once it has (either when `answered` is None)."""
    choices = {None: _FOLLOW_UPS, False: _FOLLOW_UPS_WAITING, True: _FOLLOW_UPS_ANSWERED}[answered]
    return _fill(rng.choice(choices), rng, bank_reference(network))


def compose_direct(rng: random.Random, *, hostile: bool = False, topic: str | None = None) -> str:
    """A private message; with `topic`, about that matter (thanks only from someone who praised us)."""
    if hostile:
        return _fill(rng.choice(HOSTILE_TEXTS), rng, "")
    if topic == "spam":
        return _fill(rng.choice(_TEMPLATES["spam"]), rng, "").strip()
    if topic is None:
        return _fill(rng.choice(_DM_TEMPLATES), rng, "")
    chosen = _DM_BY_TOPIC.get(topic, (0, 1, 2, 3, 4))
    return _fill(_DM_TEMPLATES[rng.choice(chosen)], rng, "")


def compose_brand_talk(rng: random.Random, *, topic: str) -> str:
    """A post about the bank that does not @-mention it: only recent search finds these."""
    text = _fill(rng.choice(_TEMPLATES[topic]), rng, "Northbridge Bank")
    return text + rng.choice(EMOJI)


# What people say about the other banks (the demo's competitor queries find these
# by X recent search). Now and then they compare with Northbridge.
_COMPETITOR_TEMPLATES = (
    "Switched my current account to {other} last month, the app is so much smoother",
    "{other} mortgage rates just dropped again. Anyone fixed with them recently?",
    "Is {other} online banking down for anyone else? Can't see my balance",
    "{other} sorted my lost card in one phone call. Impressed",
    "Waited 40 minutes on hold to {other} today. Not impressed",
    "{other} charged me {amount} for a transfer abroad, is that normal?",
    "Thinking of opening a savings account with {other}, 4.1% easy access. Worth it?",
    "{other} branch in {place} is closing next month, where am I supposed to pay in cheques?",
    "Anyone compared {other} and Northbridge for a first mortgage? Need to decide this week",
    "Left Northbridge for {other} because of the overdraft fees. So far so good",
)


def pick_competitor(rng: random.Random) -> dict:
    return rng.choices(COMPETITORS, weights=[c["weight"] for c in COMPETITORS])[0]


def compose_competitor(rng: random.Random, competitor: dict) -> str:
    """A public post about another bank: not said to Northbridge, found only by search."""
    template = rng.choice(_COMPETITOR_TEMPLATES).replace("{other}", rng.choice(competitor["names"]))
    return _fill(template, rng, "") + rng.choice(EMOJI)
