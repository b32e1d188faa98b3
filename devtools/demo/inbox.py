"""Demo data of the inbox: a handful of saved replies a bank's social team really uses."""

from __future__ import annotations

from inbox.models import SavedReply

SAVED_REPLIES = [
    {
        "title": "Card declined: move to DM",
        "shortcut": "declined",
        "tags": ["cards"],
        "networks": [],
        "body": "Hi {customer_name}, sorry your card was declined. Please send us a private message with "
        "the time and the shop (never your card number) and we will check it. {agent_first_name}",
    },
    {
        "title": "Please delete your post (personal data)",
        "shortcut": "delete",
        "tags": ["personal data"],
        "networks": ["x"],
        "body": "Hi {customer_name}, for your safety please delete your post: it shows your card details. "
        "We will never ask for them in public. Send us a DM and we will help. {agent_first_name}",
    },
    {
        "title": "App outage: we are on it",
        "shortcut": "outage",
        "tags": ["app"],
        "networks": [],
        "body": "Hi {customer_name}, thanks for flagging this. The {bank_name} app is having problems "
        "right now and our engineers are working on it. We will post here when it is fixed. "
        "{agent_first_name}",
    },
    {
        "title": "Fees explained",
        "shortcut": "fees",
        "tags": ["fees"],
        "networks": [],
        "body": "Hi {customer_name}, our fees are listed at https://www.northbridge.example/fees. "
        "If a fee looks wrong, send us a private message and we will look at your account "
        "together. {agent_first_name}",
    },
    {
        "title": "Mortgage question: expert follows up",
        "shortcut": "mortgage",
        "tags": ["mortgages"],
        "networks": [],
        "body": "Hi {customer_name}, good question. I have asked our mortgage team and will come back to you "
        "here today. {agent_first_name} at {bank_name}",
    },
    {
        "title": "Thanks for the kind words",
        "shortcut": "thanks",
        "tags": ["praise"],
        "networks": [],
        "body": "Thank you {customer_name}, that made our day! I will pass it on to the team. "
        "{agent_first_name}",
    },
]


def seed_saved_replies() -> int:
    """Create the demo saved replies that are missing (by shortcut); returns how many were made."""
    made = 0
    for data in SAVED_REPLIES:
        _, created = SavedReply.objects.get_or_create(shortcut=data["shortcut"], defaults=data)
        made += created
    return made
