"""The configuration a new installation starts with: three regimes, a retail-banking taxonomy,
the bank holidays of England and Wales, and the saved reply that moves a complaint to private.

Used by the data migration (with the historical models) and by the demo; each step adds only
what is missing, so an administrator's changes are never overwritten.
"""

from __future__ import annotations

import datetime as dt

REGIMES = [
    {
        "code": "uk-disp",
        "name": "UK DISP (FCA)",
        "description": "Resolved by close of business on the third business day after receipt: a summary "
        "resolution communication. Otherwise a prompt acknowledgement and a final response within 8 weeks.",
        "letters": "uk",
        "summary_amount": 3,
        "summary_unit": "business_days",
        "acknowledge_amount": 3,
        "acknowledge_unit": "business_days",
        "final_amount": 8,
        "final_unit": "weeks",
        "extended_amount": None,
        "due_soon_business_days": 2,
    },
    {
        "code": "uk-payments",
        "name": "UK payment services and e-money (PSRs)",
        "description": "A final response within 15 business days; in exceptional circumstances a holding "
        "reply, then the final response within 35 business days.",
        "letters": "uk",
        "summary_amount": 3,
        "summary_unit": "business_days",
        "acknowledge_amount": 3,
        "acknowledge_unit": "business_days",
        "final_amount": 15,
        "final_unit": "business_days",
        "extended_amount": 35,
        "extended_unit": "business_days",
        "due_soon_business_days": 3,
    },
    {
        "code": "us-cfpb",
        "name": "US (CFPB-style)",
        "description": "A response within 15 days, a final response within 60 days.",
        "letters": "us",
        "summary_amount": None,
        "acknowledge_amount": 15,
        "acknowledge_unit": "calendar_days",
        "final_amount": 60,
        "final_unit": "calendar_days",
        "extended_amount": None,
        "due_soon_business_days": 3,
    },
]

# Products grouped as a complaints return groups them; causes as a return names root causes.
PRODUCTS = [
    (
        "Banking and credit cards",
        ["Current account", "Savings account", "Credit card", "Debit card", "Overdraft"],
    ),
    ("Banking and credit cards", ["Payments and transfers", "Mobile and online banking", "Cash machines"]),
    ("Home finance", ["Mortgage"]),
    ("Consumer credit", ["Personal loan"]),
    ("Insurance and protection", ["Travel or card insurance"]),
]
CAUSES = [
    "Service and delays",
    "Fees, charges and interest",
    "Fraud, scams and unauthorised transactions",
    "Payment or transaction errors",
    "Systems and app outages",
    "Account opening, closing or access",
    "Information, advice and communication",
    "Affordability and financial difficulty",
    "Other",
]

# England and Wales (gov.uk/bank-holidays); substitute days where a holiday falls on a weekend.
HOLIDAYS = [
    ("2026-01-01", "New Year's Day"),
    ("2026-04-03", "Good Friday"),
    ("2026-04-06", "Easter Monday"),
    ("2026-05-04", "Early May bank holiday"),
    ("2026-05-25", "Spring bank holiday"),
    ("2026-08-31", "Summer bank holiday"),
    ("2026-12-25", "Christmas Day"),
    ("2026-12-28", "Boxing Day (substitute day)"),
    ("2027-01-01", "New Year's Day"),
    ("2027-03-26", "Good Friday"),
    ("2027-03-29", "Easter Monday"),
    ("2027-05-03", "Early May bank holiday"),
    ("2027-05-31", "Spring bank holiday"),
    ("2027-08-30", "Summer bank holiday"),
    ("2027-12-27", "Christmas Day (substitute day)"),
    ("2027-12-28", "Boxing Day (substitute day)"),
]

MOVE_TO_PRIVATE = {
    "title": "Complaint: let's take this to a private message",
    "shortcut": "complaint-private",
    "body": "Hi {customer_name}, I'm sorry to hear this and I want to put it right. I've logged it as a "
    "complaint. Please send us a private message (no card or account numbers here, please) so we can "
    "look into your account safely. {agent_first_name}, {bank_name}",
    "tags": ["complaint"],
}


def seed(*, Regime, Category, Holiday, SavedReply=None) -> None:
    for row in REGIMES:
        Regime.objects.get_or_create(code=row["code"], defaults={k: v for k, v in row.items() if k != "code"})
    position = 0
    for group, names in PRODUCTS:
        for name in names:
            position += 1
            Category.objects.get_or_create(
                kind="product", name=name, defaults={"group": group, "position": position}
            )
    for position, name in enumerate(CAUSES, start=1):
        Category.objects.get_or_create(kind="cause", name=name, defaults={"position": position})
    for day, name in HOLIDAYS:
        Holiday.objects.get_or_create(date=dt.date.fromisoformat(day), defaults={"name": name})
    if (
        SavedReply is not None
        and not SavedReply.objects.filter(shortcut__iexact=MOVE_TO_PRIVATE["shortcut"]).exists()
    ):
        SavedReply.objects.create(**MOVE_TO_PRIVATE)


def seed_now() -> None:
    """With the current models (tests that flush the database, the demo)."""
    from complaints.models import BankHoliday, Category, ComplaintRegime
    from inbox.models import SavedReply

    seed(Regime=ComplaintRegime, Category=Category, Holiday=BankHoliday, SavedReply=SavedReply)
