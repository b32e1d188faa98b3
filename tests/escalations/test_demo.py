from bankbuzz.accounts import roles
from devtools.demo.escalations import seed_departments
from escalations.models import Department, RoutingRule


def test_demo_departments_are_seeded_once(db):
    logins = dict(seed_departments(password_for=lambda username: f"bankbuzz-{username}"))
    assert logins["cards"] == "Expert: Cards" and logins["fraud"] == "Expert: Fraud"
    seed_departments(password_for=lambda username: f"bankbuzz-{username}")
    names = set(Department.objects.values_list("name", flat=True))
    assert names == {"Cards", "Fraud", "Mortgages", "Payments"}
    cards = Department.objects.get(name="Cards")
    assert cards.sla_policies.count() == 4 and cards.holidays.exists()
    member = cards.members.get()
    assert member.username == "cards" and roles.has_role(member, roles.SPECIALIST)
    assert member.check_password("bankbuzz-cards")
    assert RoutingRule.objects.count() == 5
