"""Demo data of the advice library: the bank's help pages an agent points customers to, and
more of the saved replies a bank's social team really uses. Idempotent (by title, by shortcut)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from escalations.models import Department
from inbox.models import SavedReply
from learning.models import AdviceArticle

SITE = "https://www.northbridge.example/help"

# department, title, path, summary, topics, days until review (negative: overdue)
ARTICLES = [
    (
        "Cards",
        "Why was my card declined?",
        "cards/declined",
        "A card is usually declined for one of four reasons: not enough money available, a security check "
        "on an unusual payment, an expired card or a wrong PIN. The app shows the reason under the payment.",
        ["cards", "declined"],
        180,
    ),
    (
        "Cards",
        "Using your card abroad",
        "cards/abroad",
        "You do not need to tell us before you travel. Pay in the local currency for the best rate; our "
        "foreign transaction fee and cash withdrawal fee abroad are listed here.",
        ["cards", "travel", "abroad"],
        120,
    ),
    (
        "Cards",
        "Lost or stolen card: freeze it and order a new one",
        "cards/lost-stolen",
        "Freeze a lost card in the app at once (you can unfreeze it if it turns up) and order a replacement; "
        "a stolen card is cancelled and replaced within five working days.",
        ["cards", "lost", "stolen", "freeze"],
        200,
    ),
    (
        "Cards",
        "Contactless payment limits",
        "cards/contactless",
        "The contactless limit is £100 per payment. After several contactless payments in a row the "
        "terminal asks for your PIN once, to keep your card safe.",
        ["cards", "contactless"],
        90,
    ),
    (
        "Cards",
        "Disputing a card payment (chargeback)",
        "cards/chargeback",
        "If a shop will not refund you for goods that never came or were faulty, we can raise a chargeback "
        "with the card scheme. Ask the merchant first, then dispute the payment in the app within 120 days.",
        ["cards", "chargeback", "dispute", "refund"],
        150,
    ),
    (
        "Cards",
        "Your new or replacement card has not arrived",
        "cards/delivery",
        "New and replacement cards arrive within five working days in a plain envelope. If it has not come "
        "after seven, freeze the old one and we will send another by tracked delivery.",
        ["cards", "delivery", "new card", "replacement card"],
        160,
    ),
    (
        "Cards",
        "Forgotten your PIN? View it in the app",
        "cards/pin",
        "You can see your PIN in the app under Card, View PIN, after logging in. Locked after three wrong "
        "tries? Unlock the PIN at any of our cash machines.",
        ["cards", "pin"],
        -12,
    ),
    (
        "Cards",
        "Apple Pay and Google Pay",
        "cards/mobile-wallets",
        "Add your card to Apple Pay or Google Pay from the app in a few taps. Wallet payments have no "
        "contactless limit because your phone checks it is you.",
        ["cards", "apple pay", "google pay", "wallet"],
        140,
    ),
    (
        "Fraud",
        "Spotting scam calls, texts and emails",
        "security/scams",
        "We will never ask for your full PIN, passcode or a one-time code, or ask you to move money to a "
        "safe account. Scam texts and emails copy our logo: hang up and call the number on your card.",
        ["scam", "phishing", "safe account"],
        60,
    ),
    (
        "Fraud",
        "Scammed? What to do now",
        "security/scammed",
        "If you were scammed into sending money, call us straight away on the number on your card: the "
        "sooner we know, the more we can recover. Most victims of authorised push payment fraud are "
        "reimbursed.",
        ["scammed", "sent money", "reimbursement"],
        75,
    ),
    (
        "Fraud",
        "Payments you do not recognise",
        "security/unrecognised",
        "Check the merchant's trading name in the app first: it often differs from the shop's name. If you "
        "still do not recognise the payment, freeze your card and report it in the app.",
        ["fraud", "unrecognised", "transactions"],
        100,
    ),
    (
        "Fraud",
        "Keeping your online banking safe",
        "security/online-banking",
        "Use a passcode nobody could guess, keep your phone's software up to date and never share a "
        "one-time code. Log out on shared computers.",
        ["fraud", "security", "online banking"],
        -3,
    ),
    (
        "Mortgages",
        "Remortgaging: when your fixed rate ends",
        "mortgages/remortgage",
        "You can choose a new rate up to six months before your fixed rate ends, with no fees and no new "
        "credit check. If you do nothing you move to our standard variable rate.",
        ["mortgages", "remortgage", "fixed rate"],
        90,
    ),
    (
        "Mortgages",
        "Overpaying your mortgage",
        "mortgages/overpayments",
        "You can overpay up to 10% of your balance each year without an early repayment charge. Overpay "
        "in the app as a one-off or a regular amount.",
        ["mortgages", "overpayment"],
        180,
    ),
    (
        "Mortgages",
        "First-time buyer mortgages",
        "mortgages/first-time-buyer",
        "Buying your first home: get an agreement in principle in ten minutes without affecting your credit "
        "score, with a deposit from 5%.",
        ["mortgages", "first-time buyer", "deposit"],
        210,
    ),
    (
        "Mortgages",
        "Struggling with mortgage payments",
        "mortgages/support",
        "If you are worried about paying your mortgage, talk to us early: we can change your payments for a "
        "while, extend the term or move you to interest only. It does not harm your credit file to ask.",
        ["mortgages", "arrears", "support", "hardship"],
        120,
    ),
    (
        "Payments",
        "Why has my transfer not arrived?",
        "payments/transfer-delays",
        "Most transfers arrive within two hours. A new payee or a large amount can be held for a security "
        "check; the app shows the payment's status and when it is released.",
        ["payments", "transfer", "delay"],
        150,
    ),
    (
        "Payments",
        "Confirmation of Payee: the name does not match",
        "payments/confirmation-of-payee",
        "Before a first payment we check the name on the other account. No match can mean a typo or a "
        "scam: check the name with the person you are paying before you go on.",
        ["payments", "confirmation of payee", "name check"],
        130,
    ),
    (
        "Payments",
        "Setting up and cancelling direct debits",
        "payments/direct-debits",
        "See and cancel your direct debits in the app. A payment taken in error is refunded at once "
        "under the Direct Debit Guarantee.",
        ["payments", "direct debit"],
        170,
    ),
    (
        "Payments",
        "Sending money abroad",
        "payments/international",
        "Send money abroad in the app with the IBAN and the bank's SWIFT/BIC code. We show the exchange "
        "rate and our fee before you confirm; most international payments arrive in one to three days.",
        ["payments", "international", "swift", "iban"],
        110,
    ),
    (
        "Payments",
        "Standing orders",
        "payments/standing-orders",
        "Set up, change or cancel a standing order in the app up to the day before it is due.",
        ["payments", "standing order"],
        190,
    ),
    (
        "Payments",
        "Daily payment limits",
        "payments/limits",
        "You can send up to £25,000 a day in the app. For a larger payment, such as a house deposit, "
        "call us or visit a branch.",
        ["payments", "limits"],
        140,
    ),
    (
        "Payments",
        "Overdraft fees and charges",
        "payments/overdraft",
        "An arranged overdraft costs a simple yearly interest rate, shown in the app; there are no fees for "
        "going over your limit, we decline the payment instead.",
        ["fees", "overdraft", "charges"],
        100,
    ),
]

SAVED_REPLIES = [
    {
        "title": "App login problems",
        "shortcut": "login",
        "tags": ["app"],
        "networks": [],
        "body": "Hi {customer_name}, sorry you cannot log in. Please update the {bank_name} app and restart "
        "your phone; if it still fails, reset your passcode from the login screen. {agent_first_name}",
    },
    {
        "title": "Fraud: call us now",
        "shortcut": "fraud",
        "tags": ["fraud"],
        "networks": [],
        "body": "Hi {customer_name}, if you think someone has used your account, please freeze your card in "
        "the app and call us now on the number on the back of your card. Never share codes. "
        "{agent_first_name}",
    },
    {
        "title": "Transfer delayed: we will check",
        "shortcut": "transfer",
        "tags": ["payments"],
        "networks": [],
        "body": "Hi {customer_name}, sorry your transfer has not arrived yet. Please send us a private "
        "message with the date and amount (no account numbers) and we will check where it is. "
        "{agent_first_name}",
    },
    {
        "title": "Lost card: freeze it",
        "shortcut": "lost",
        "tags": ["cards"],
        "networks": [],
        "body": "Hi {customer_name}, sorry about your lost card. You can freeze it straight away in the "
        "app and order a new one there too. {agent_first_name}",
    },
    {
        "title": "Branch opening hours",
        "shortcut": "branch",
        "tags": ["branches"],
        "networks": [],
        "body": "Hi {customer_name}, branch opening hours and addresses are at "
        "https://www.northbridge.example/branches. {agent_first_name}",
    },
    {
        "title": "How to make a complaint",
        "shortcut": "complaint",
        "tags": ["complaints"],
        "networks": [],
        "body": "Hi {customer_name}, I am sorry we let you down. You can make a complaint at "
        "https://www.northbridge.example/complaints and we will reply within eight weeks. {agent_first_name}",
    },
    {
        "title": "Savings interest rates",
        "shortcut": "rates",
        "tags": ["savings"],
        "networks": [],
        "body": "Hi {customer_name}, our current savings interest rates are at "
        "https://www.northbridge.example/savings. {agent_first_name}",
    },
]


def seed_library(*, today: dt.date | None = None) -> int:
    """Create the demo articles and saved replies that are missing; returns how many were made."""
    today = today or timezone.localdate()
    departments = {d.name: d for d in Department.objects.all()}
    made = 0
    for department, title, path, summary, topics, review_in in ARTICLES:
        if department not in departments or AdviceArticle.objects.filter(title=title).exists():
            continue
        AdviceArticle.objects.create(
            title=title,
            url=f"{SITE}/{path}",
            summary=summary,
            topics=topics,
            department=departments[department],
            review_by=today + dt.timedelta(days=review_in),
        )
        made += 1
    for data in SAVED_REPLIES:
        _, created = SavedReply.objects.get_or_create(shortcut=data["shortcut"], defaults=data)
        made += created
    return made


def seed_outcome_history(*, now: dt.datetime | None = None) -> int:
    """Give the demo history's first answers the saved reply nearest to what the customer wrote, as
    if the agent had inserted it, then work out what they led to: the library page has outcomes on a
    fresh `make run`. Runs once (nothing is done when any outcome exists); returns replies made."""
    from inbox.models import Conversation, Reply
    from learning.models import ReplyOutcome
    from learning.outcomes import update_outcomes
    from learning.suggest import rank_entries

    if ReplyOutcome.objects.exists():
        return 0
    now = now or timezone.now()
    answered = list(
        Conversation.objects.filter(
            first_response_at__isnull=False, assignee__isnull=False, replies__isnull=True
        ).order_by("pk")[:400]
    )
    firsts = _first_messages(answered)
    replies = []
    for conversation in answered:
        first_in, first_out = firsts.get((conversation.network, conversation.thread_key), (None, None))
        if first_in is None or first_out is None:
            continue
        saved = next(
            (
                s
                for s in rank_entries(text=first_in.masked_text, network=conversation.network, limit=6)
                if s.kind == "saved_reply"
            ),
            None,
        )
        if saved is None:
            continue
        replies.append(
            Reply(
                conversation=conversation,
                author_id=conversation.assignee_id,
                channel=Reply.Channel.PUBLIC,
                text=first_out.text,
                saved_reply_id=saved.id,
                state=Reply.State.SENT,
                external_id=first_out.external_id,
                mention=first_out,
                sent_at=first_out.created_at,
                created_at=first_out.created_at,
                updated_at=first_out.created_at,
            )
        )
    Reply.objects.bulk_create(replies)
    made = len(replies)
    update_outcomes(now=now)
    return made


def _first_messages(conversations) -> dict[tuple[str, str], tuple]:
    """The customer's first message and our first answer in each conversation's thread, read at once:
    {(network, thread key): (first inbound mention or None, first outbound mention or None)}."""
    from listening.models import Mention

    keys = {(c.network, c.thread_key) for c in conversations}
    firsts: dict[tuple[str, str], list] = {key: [None, None] for key in keys}
    mentions = Mention.objects.filter(thread_key__in={key for _network, key in keys})
    for mention in mentions.order_by("created_at", "pk"):
        first = firsts.get((mention.network, mention.thread_key))
        slot = 0 if mention.direction == Mention.Direction.IN else 1
        if first is not None and first[slot] is None:
            first[slot] = mention
    return {key: (first_in, first_out) for key, (first_in, first_out) in firsts.items()}


def seed_proposals() -> int:
    """One expert's answer from the demo history proposed for the library, waiting for a social lead
    (*Library → Proposed answers*): approving it in `make run` shows the loop. Runs once."""
    from escalations.models import Escalation
    from learning.models import LibraryProposal
    from learning.proposals import proposal_create

    if LibraryProposal.objects.exists():
        return 0
    answered = (
        Escalation.objects.filter(
            department__name="Cards", answered_at__isnull=False, requested_by__isnull=False
        )
        .exclude(proposed_reply="")
        .select_related("requested_by", "department", "conversation__customer")
        .order_by("-answered_at")
        .first()
    )
    if answered is None:
        return 0
    proposal_create(actor=answered.requested_by, escalation=answered)
    return 1
