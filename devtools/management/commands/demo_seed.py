"""Loads the demo organisation: one user per role and the sandbox accounts. Idempotent.

A development tool (`devtools`, installed under DEBUG only): it touches every part, and runs each
app's demo seeding (`devtools/demo/`).
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from bankbuzz.accounts import roles
from bankbuzz.accounts.models import User
from bankbuzz.accounts.services import user_set_role
from dashboards.services import rollup_refresh_mentions
from devtools.demo.accounts import demo_second_factor_enrol
from devtools.demo.complaints import seed_complaints
from devtools.demo.dashboards import seed_history
from devtools.demo.escalations import seed_departments
from devtools.demo.inbox import seed_saved_replies
from devtools.demo.incidents import seed_incidents
from devtools.demo.learning import seed_library, seed_outcome_history, seed_proposals
from devtools.demo.listening import seed_listening_history, seed_listening_weeks, seed_queries
from devtools.sandbox import world
from listening.connectors.base import load_connectors
from listening.crypto import CredentialsUnreadable
from listening.models import SocialAccount
from listening.services import account_credentials_set, account_schedule_sync, social_account_create

# username, role, first name, last name. Passwords are "bankbuzz-<username>":
# this is demo data for a local sandbox, refused outside DEBUG.
DEMO_USERS = [
    ("agent", roles.AGENT, "Amira", "Khan"),
    ("agent2", roles.AGENT, "Ben", "Okafor"),
    ("lead", roles.LEAD, "Laura", "Schmidt"),
    ("lead2", roles.LEAD, "Tom", "Reid"),
    ("specialist", roles.SPECIALIST, "Sam", "Patel"),
    ("manager", roles.MANAGER, "Maria", "Lopez"),
    ("compliance", roles.COMPLIANCE, "Chris", "Evans"),
    ("admin", roles.ADMIN, "Ada", "Novak"),
]

DEMO_ACCOUNTS = {
    "x": (world.BANK_X["user_id"], world.BANK_X["handle"], world.BANK_X["name"]),
    "facebook": (
        world.BANK_FACEBOOK_PAGE["page_id"],
        world.BANK_FACEBOOK_PAGE["username"],
        world.BANK_FACEBOOK_PAGE["name"],
    ),
    "linkedin": (
        world.BANK_LINKEDIN_ORG["urn"],
        world.BANK_LINKEDIN_ORG["vanity_name"],
        world.BANK_LINKEDIN_ORG["name"],
    ),
    "instagram": (
        world.BANK_INSTAGRAM["user_id"],
        world.BANK_INSTAGRAM["username"],
        world.BANK_INSTAGRAM["name"],
    ),
}


def _ensure_demo_credentials(account: SocialAccount, demo: dict[str, str]) -> None:
    """Give an account seeded by an older version the keys it lacks (the X user token reads DMs).

    Only missing or unreadable keys are filled in: a token a person replaced on purpose is kept.
    """
    try:
        current = account.get_credentials()
    except CredentialsUnreadable:
        current = {}
    missing = {key: value for key, value in demo.items() if not current.get(key)}
    if missing:
        account_credentials_set(actor=None, account=account, credentials=missing)


def demo_password(username: str) -> str:
    return f"bankbuzz-{username}"


class Command(BaseCommand):
    help = "Create the demo organisation (users, sandbox accounts). Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--poll-interval", type=int, default=15, help="Seconds between sandbox polls.")

    @transaction.atomic
    def handle(self, *args, poll_interval: int, **options):
        if not settings.DEBUG:
            raise CommandError("demo_seed creates users with known passwords: it runs only with DEBUG on.")
        for username, role, first, last in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "email": f"{username}@bank.example"},
            )
            if created:
                user.set_password(demo_password(username))
                user.is_staff = user.is_superuser = role == roles.ADMIN
                user.save()
                user_set_role(actor=None, user=user, role=role)
        expert_logins = seed_departments(password_for=demo_password)
        demo_usernames = [username for username, *_ in DEMO_USERS] + [u for u, _ in expert_logins]
        second_factor = demo_second_factor_enrol(User.objects.filter(username__in=demo_usernames))
        available = load_connectors()
        for network, (external_id, handle, name) in DEMO_ACCOUNTS.items():
            if network not in available:
                continue
            account = SocialAccount.objects.filter(network=network, external_id=external_id).first()
            if account is None:
                social_account_create(
                    actor=None,
                    network=network,
                    external_id=external_id,
                    handle=handle,
                    name=name,
                    credentials=world.DEMO_CREDENTIALS[network],
                    poll_interval=poll_interval,
                )
            else:
                _ensure_demo_credentials(account, world.DEMO_CREDENTIALS[network])
                account_schedule_sync(account=account)
        seed_queries()
        # A month of the crowd, then the hours before now (or since the last run) at the sandbox's
        # rate: the volume charts need weeks, spike alerts a baseline.
        weeks = seed_listening_weeks()
        seed_listening_history()
        seed_saved_replies()
        seed_library()
        if not seed_history() and weeks:
            rollup_refresh_mentions(full=True)  # the history's own refresh counted them otherwise
        # After the history: the library's outcomes are worked out from those conversations.
        seed_outcome_history()
        seed_proposals()
        seed_complaints()
        seed_incidents()
        self.stdout.write("Demo logins (username / password):")
        # Specialists are listed once, with their departments ("Expert: Cards" -> "Specialist, Cards").
        experts = {user: "Specialist, " + label.removeprefix("Expert: ") for user, label in expert_logins}
        rows = [(experts.pop(user, roles.ROLE_LABELS[role]), user) for user, role, *_names in DEMO_USERS]
        for label, username in [*rows, *((label, user) for user, label in experts.items())]:
            self.stdout.write(f"  {label:<34} {username:<11} {demo_password(username)}")
        self.stdout.write(second_factor)
