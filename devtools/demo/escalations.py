"""Demo departments, SLAs, routing rules and two specialists (called by demo_seed).

Idempotent: departments and rules are looked up by name, people by username.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.services import user_set_role
from escalations import services
from escalations.models import Department, RoutingRule
from inbox.models import Conversation

P = Conversation.Priority

# England and Wales bank holidays (the demo bank is in London).
UK_HOLIDAYS = [
    (dt.date(2026, 12, 25), "Christmas Day"),
    (dt.date(2026, 12, 28), "Boxing Day (substitute)"),
    (dt.date(2027, 1, 1), "New Year's Day"),
    (dt.date(2027, 3, 26), "Good Friday"),
    (dt.date(2027, 3, 29), "Easter Monday"),
    (dt.date(2027, 5, 3), "Early May bank holiday"),
]

OFFICE = {
    "time_zone": "Europe/London",
    "work_days": [0, 1, 2, 3, 4],
    "day_start": dt.time(9, 0),
    "day_end": dt.time(17, 30),
}
AROUND_THE_CLOCK = {
    "time_zone": "Europe/London",
    "work_days": [0, 1, 2, 3, 4, 5, 6],
    "day_start": dt.time(0, 0),
    "day_end": dt.time(0, 0),
}

# name: (description, hours, {priority: (first response, resolution) in working minutes})
DEPARTMENTS = {
    "Cards": (
        "Declined and blocked cards, card limits, replacements, chargebacks.",
        OFFICE,
        {P.URGENT: (60, 240), P.HIGH: (120, 480), P.NORMAL: (240, 960), P.LOW: (480, 1920)},
    ),
    "Fraud": (
        "Suspected fraud, scams, phishing, cloned cards: around the clock.",
        AROUND_THE_CLOCK,
        {P.URGENT: (15, 120), P.HIGH: (30, 240), P.NORMAL: (60, 480), P.LOW: (240, 1440)},
    ),
    "Mortgages": (
        "Applications, offers, rates, overpayments, arrears.",
        OFFICE,
        {P.URGENT: (120, 480), P.HIGH: (240, 960), P.NORMAL: (480, 2400), P.LOW: (960, 4800)},
    ),
    "Payments": (
        "Transfers, standing orders, direct debits, missing payments.",
        OFFICE,
        {P.URGENT: (60, 240), P.HIGH: (120, 480), P.NORMAL: (240, 960), P.LOW: (480, 1920)},
    ),
}

# name, position, department, priority, conditions
RULES = [
    (
        "Fraud and scams",
        10,
        "Fraud",
        P.URGENT,
        {"phrases": "fraud\nscam\nphishing\nstolen card\ncloned\nunauthorised\nunauthorized\nnot me"},
    ),
    ("Personal data posted in public", 20, "Fraud", P.HIGH, {"has_pii": True}),
    (
        "Card problems",
        30,
        "Cards",
        None,
        {"phrases": "card declined\ndeclined\ncard blocked\ncard\nchargeback\ncontactless\npin"},
    ),
    (
        "Mortgages",
        40,
        "Mortgages",
        None,
        {"phrases": "mortgage\nremortgage\noverpayment\narrears\nfixed rate"},
    ),
    (
        "Payments and transfers",
        50,
        "Payments",
        None,
        {"phrases": "transfer\npayment\nstanding order\ndirect debit\nfaster payment\nnot arrived"},
    ),
]

# username, first, last, department, is department lead
SPECIALISTS = [
    ("cards", "Chloe", "Nguyen", "Cards", True),
    ("fraud", "Femi", "Adeyemi", "Fraud", True),
    ("specialist", "Sam", "Patel", "Mortgages", False),
    ("specialist", "Sam", "Patel", "Payments", False),
]


def seed_departments(*, password_for: Callable[[str], str]) -> list[tuple[str, str]]:
    """Create the demo departments, rules and specialists; returns their logins (username, label)."""
    departments: dict[str, Department] = {}
    for name, (description, hours, slas) in DEPARTMENTS.items():
        department = Department.objects.filter(name=name).first()
        if department is None:
            department = services.department_save(
                actor=None, fields={"name": name, "description": description, **hours}
            )
            for priority, (first, resolution) in slas.items():
                services.sla_policy_set(
                    actor=None,
                    department=department,
                    priority=priority,
                    first_response_minutes=first,
                    resolution_minutes=resolution,
                )
            if hours is OFFICE:
                for date, label in UK_HOLIDAYS:
                    services.holiday_add(actor=None, department=department, date=date, name=label)
        departments[name] = department

    logins: dict[str, list[str]] = {}
    for username, first, last, department_name, is_lead in SPECIALISTS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@bank.example"},
        )
        if created:
            user.set_password(password_for(username))
            user.save()
            user_set_role(actor=None, user=user, role=roles.SPECIALIST)
        logins.setdefault(username, []).append(department_name)
        department = departments[department_name]
        department.members.add(user)
        if is_lead:
            department.leads.add(user)

    for name, position, department_name, priority, conditions in RULES:
        if not RoutingRule.objects.filter(name=name).exists():
            services.routing_rule_save(
                actor=None,
                fields={
                    "name": name,
                    "position": position,
                    "department": departments[department_name],
                    "priority": priority,
                    **conditions,
                },
            )
    return [(username, "Expert: " + " + ".join(names)) for username, names in logins.items()]
