"""The demo history's story in words and numbers: what customers write about, what the team
answers, how many a day, who works on it, and the escalations still open now."""

from __future__ import annotations

import datetime as dt

from inbox.models import Conversation
from listening.connectors import base

P = Conversation.Priority

# The tag an agent puts on a conversation of each topic (the dashboard's top tags).
TOPIC_TAGS = {
    "declined": "cards",
    "fraud": "fraud",
    "mortgage": "mortgages",
    "payments": "payments",
    "app": "app",
    "fees": "fees",
    "branch": "branches",
}

# topic: (customer messages, holding reply, final reply, department or None, priority)
TOPICS = {
    "declined": (
        [
            "My card was declined at Tesco again, third time this week. Embarrassing.",
            "Card declined paying for petrol, there is plenty of money in the account!",
            "Why does my debit card keep getting declined online?",
            "Contactless stopped working on my card since yesterday, chip and PIN is fine. Any idea?",
        ],
        "Sorry about that. Please send us a private message with the time and the shop (never your "
        "card number) and we will check it.",
        "Thanks for waiting: our cards team has lifted the block, your card works again.",
        "Cards",
        P.NORMAL,
    ),
    "fraud": (
        [
            "There are payments on my account that were not me. I think my card was cloned.",
            "Got a text pretending to be you asking me to confirm my details. Is this a scam?",
            "Someone took 400 pounds from my account overnight, unauthorised payments!",
        ],
        "Please do not share any details here. We have passed this to our fraud team as a priority.",
        "Our fraud team has stopped the card and the payments are being refunded. A new card is on its way.",
        "Fraud",
        P.URGENT,
    ),
    "mortgage": (
        [
            "Still waiting for my mortgage offer after three weeks, nobody calls back.",
            "Can I make an overpayment on my fixed rate mortgage without a fee?",
            "Remortgage application stuck for ages, what is going on?",
        ],
        "Thanks for your patience. We have asked our mortgages team to look at your application.",
        "Our mortgages team has an update for you: please check your secure messages.",
        "Mortgages",
        P.HIGH,
    ),
    "payments": (
        [
            "I sent my rent by transfer yesterday and it still has not arrived. Where is it?",
            "My standing order did not go out this month, the landlord is chasing me.",
            "International payment pending for four days now, is it stuck?",
        ],
        "Sorry for the worry. Please send us a private message with the date and amount (no account "
        "numbers) and we will check where the payment is.",
        "Our payments team found it: the transfer was held for a security check and has now arrived.",
        "Payments",
        P.NORMAL,
    ),
    "app": (
        [
            "The app keeps logging me out, really annoying.",
            "Is the app down? Cannot log in since this morning.",
            "App crashes every time I open statements.",
        ],
        "Sorry for the trouble. Our engineers know about it and are working on a fix.",
        "",
        None,
        P.NORMAL,
    ),
    "fees": (
        [
            "Why was I charged an overdraft fee when I was only 2 pounds over?",
            "What are the fees for sending money abroad?",
        ],
        "Our fees are listed at https://www.northbridge.example/fees. Send us a private message if one "
        "looks wrong.",
        "",
        None,
        P.LOW,
    ),
    "branch": (
        [
            "Is the Leeds branch open on Saturdays?",
            "The branch on the high street closed early today with no notice.",
        ],
        "Thanks for asking. Opening hours are on our branch finder; we have passed your feedback on.",
        "",
        None,
        P.LOW,
    ),
}
TOPIC_WEIGHTS = {"declined": 5, "fraud": 3, "mortgage": 3, "payments": 3, "app": 4, "fees": 3, "branch": 2}
OUTAGE_MESSAGES = [
    "Is the app down? Cannot log in since this morning.",
    "App says something went wrong every time I try to log in. Payday as well!",
    "Can't get into online banking or the app. What is going on?",
    "The login code never arrives and now I'm locked out of the app.",
]
OUTAGE_HOLDING = (
    "Sorry: our app and online banking are down this morning. Our engineers are on it and we will post "
    "here as soon as they are back. Card payments and cash machines work as normal."
)
OUTAGE_FIXED = "Good news: the app and online banking are working again. Sorry for the trouble this morning."
THANKS = [
    "Thank you so much, that was quick and really helpful!",
    "Brilliant, all sorted now. Thanks for your help!",
    "Thanks a lot, great service.",
]
NETWORK_WEIGHTS = {"x": 5, "facebook": 3, "linkedin": 2}
AGENTS = ["agent", "agent2", "agent", "agent2", "lead"]
EXPERTS = {"Cards": "cards", "Fraud": "fraud", "Mortgages": "specialist", "Payments": "specialist"}
# Conversations a working day and a weekend day; on the outage morning this many more about the app.
PER_WEEKDAY = (3, 6)
PER_WEEKEND = (1, 3)
OUTAGE_CONVERSATIONS = 5
# Everything that came in more than this long ago is finished: answered, asked, resolved.
IN_PROGRESS = dt.timedelta(hours=36)
# An open escalation's first warning is at least this far off when the demo starts.
CALM = dt.timedelta(minutes=20)
# The escalations still open now: (topic, about how many hours ago, taken by the expert). Each is
# moved later if needed so its first SLA warning is still ahead (`steps.calm`); Fraud answers within
# fifteen minutes, so its experts have taken theirs and asked the agent for the payments.
OPEN_WORK = [
    ("declined", 2, False),
    ("declined", 21, True),
    ("declined", 30, False),
    ("fraud", 1, True),
    ("fraud", 5, True),
    ("mortgage", 20, True),
    ("mortgage", 28, False),
    ("payments", 3, False),
    ("payments", 24, True),
]


def question(topic: str, customer: base.FetchedAuthor) -> str:
    who = f"@{customer.handle}" if customer.handle else customer.name
    return {
        "declined": f"{who}'s card keeps being declined although there is money in the account. "
        "Is there a block on it, and can it be lifted?",
        "fraud": f"{who} may have been defrauded (payments they did not make, or a scam message). Can you "
        "check the account and stop the card if needed?",
        "mortgage": f"{who} is waiting for news on their mortgage application. What is the status?",
        "payments": f"{who}'s payment has not arrived. Can you see where it is?",
    }.get(topic, f"Can you check {who}'s question?")


def answer(topic: str) -> str:
    return {
        "declined": "A fraud check had blocked the card after an unusual payment. Lifted; it works again.",
        "fraud": "Card stopped, the three payments are disputed and will be refunded within two days.",
        "mortgage": "The valuation came back; the offer goes out today. The customer gets a secure message.",
        "payments": "The transfer was held for a security check on a new payee. Released; it has arrived.",
    }.get(topic, "Checked and sorted on our side.")
