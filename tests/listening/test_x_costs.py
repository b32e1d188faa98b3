"""What X costs: every resource read and post created, priced, per account, query, day and
month, against a monthly budget. Figures are checked against what the sandbox answered with."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache

from bankbuzz.accounts.models import Notification
from bankbuzz.audit.models import AuditEvent
from inbox import reply_services as rs
from inbox.models import Conversation
from listening import x_costs
from listening.connectors.base import Usage
from listening.models import SocialAccount, XBudget, XUsage
from listening.query.services import query_create, query_run
from listening.services import account_poll

pytestmark = pytest.mark.django_db

# The published pay-per-use prices, written out by hand (USD).
BY_HAND = {
    "post_read": Decimal("0.005"),
    "user_read": Decimal("0.010"),
    "dm_event_read": Decimal("0.010"),
    "content_create": Decimal("0.015"),
    "content_create_url": Decimal("0.200"),
    "dm_create": Decimal("0.015"),
    "interaction_delete": Decimal("0.010"),
    "content_manage": Decimal("0.005"),
}


@pytest.fixture(autouse=True)
def fresh_day_memory():
    """The once-a-day memory of resources read lives in the cache; the sandbox's ids repeat per test."""
    cache.clear()
    yield
    cache.clear()


def units_by_kind(**filters) -> dict[str, int]:
    out: dict[str, int] = {}
    for kind, units in XUsage.objects.filter(**filters).values_list("kind", "units"):
        out[kind] = out.get(kind, 0) + units
    return out


def test_the_spend_of_a_run_equals_what_the_sandbox_answered_priced_by_hand(
    sandbox, x_account, agent, lead, django_capture_on_commit_callbacks
):
    bank_post = sandbox.post(network="x", kind="tweet", author="bank", text="Branches open late on Thursday")
    for n in range(3):
        sandbox.post(network="x", text=f"@northbridgebank card declined {n}", customer=n)
    sandbox.post(network="x", kind="reply", in_reply_to=bank_post["id"], text="@northbridgebank and Fridays?")
    sandbox.post(network="x", kind="dm", text="Is my transfer through?", customer=4)
    sandbox.post(network="x", kind="tweet", text="northbridge app down again", customer=5)

    with django_capture_on_commit_callbacks(execute=True):
        assert account_poll(account_id=x_account.pk).status == "ok"
        # A second poll reads nothing new; users it reads again the same day are not billed twice.
        sandbox.post(network="x", text="@northbridgebank still declined", customer=0)
        assert account_poll(account_id=x_account.pk).status == "ok"
    conversation = Conversation.objects.filter(network="x").exclude(thread_key__startswith="dm:").first()
    reply = rs.reply_submit(
        actor=agent,
        conversation=conversation,
        text="Sorry! Please DM us.",
        channel="public",
        seen_version=None,
    )
    assert rs.reply_send(reply_id=reply.pk) == "sent"
    query = query_create(actor=lead, name="App", text='"app down"', networks=["x"])
    query_run(query_id=query.pk)

    counted = sandbox.billable()
    assert counted["post_read"] >= 6 and counted["user_read"] >= 1
    assert counted["dm_event_read"] >= 1 and counted["content_create"] == 1
    assert units_by_kind() == counted
    expected = sum(BY_HAND[kind] * units for kind, units in counted.items())
    today = dt.datetime.now(dt.UTC).date()
    assert x_costs.spend(account=x_account, since=today) == expected
    assert x_costs.spend(account=x_account, since=x_costs.month_start()) == expected
    # What the listening query's search read is billed to the query as well as to the account.
    assert x_costs.spend(query=query, since=today) > 0
    assert x_costs.spend(query=query, since=today) < expected


def test_the_same_resource_read_twice_in_a_utc_day_is_billed_once(x_account):
    report = x_account.as_account_info().usage_sink
    report([Usage("post_read", "111"), Usage("user_read", "9")])
    report([Usage("post_read", "111"), Usage("post_read", "112"), Usage("content_create")])
    report([Usage("content_create")])
    assert units_by_kind(account=x_account) == {"post_read": 2, "user_read": 1, "content_create": 2}
    assert x_costs.spend(account=x_account, since=x_costs.month_start()) == Decimal("0.050")


def _spend_something(sandbox, x_account, capture) -> Decimal:
    for n in range(4):
        sandbox.post(network="x", text=f"@northbridgebank help {n}", customer=n)
    with capture(execute=True):
        account_poll(account_id=x_account.pk)
    return x_costs.spend(account=x_account, since=x_costs.month_start())


def test_eighty_percent_of_the_budget_warns_the_leads_once(
    sandbox, x_account, lead, administrator, django_capture_on_commit_callbacks
):
    spent = _spend_something(sandbox, x_account, django_capture_on_commit_callbacks)
    x_costs.budget_set(actor=lead, account=x_account, monthly_budget=spent / Decimal("0.9"), at_limit="slow",
                       slow_interval=600)  # fmt: skip
    x_costs.budget_check(account=x_account)
    x_costs.budget_check(account=x_account)
    warnings = Notification.objects.filter(verb="x_budget.warning")
    assert {n.recipient.username for n in warnings} == {"laura", "ada"}
    x_account.refresh_from_db()
    assert x_account.poll_interval == 60 and x_account.is_active


@pytest.mark.parametrize("at_limit", ["slow", "stop"])
def test_at_the_budget_polling_slows_down_or_stops_and_leads_are_told(
    sandbox, x_account, lead, client, at_limit, django_capture_on_commit_callbacks
):
    spent = _spend_something(sandbox, x_account, django_capture_on_commit_callbacks)
    x_costs.budget_set(
        actor=lead, account=x_account, monthly_budget=spent / 2, at_limit=at_limit, slow_interval=900
    )
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.post(network="x", text="@northbridgebank one more", customer=7)
        account_poll(account_id=x_account.pk)  # this poll's reads cross the limit
    x_account.refresh_from_db()
    if at_limit == "slow":
        assert x_account.poll_interval == 900 and x_account.is_active
    else:
        assert not x_account.is_active
    assert Notification.objects.filter(verb="x_budget.reached", recipient=lead).count() == 1
    assert AuditEvent.objects.filter(verb="social_account.x_budget_reached").count() == 1

    client.force_login(lead)
    html = client.get("/listening/accounts/").content.decode()
    month = x_costs.spend(account=x_account, since=x_costs.month_start())
    assert f"${month:.2f} of ${spent / 2:.2f}" in html


def test_a_lead_sets_the_budget_on_the_account_page_as_the_browser_sends_it(x_account, lead, client):
    client.force_login(lead)
    page = client.get(f"/listening/accounts/{x_account.pk}/").content.decode()
    assert "X spend and budget" in page
    response = client.post(
        f"/listening/accounts/{x_account.pk}/x-budget/",
        {"monthly_budget": "250.00", "at_limit": "stop", "slow_interval": "900"},
    )
    assert response.status_code == 302
    budget = XBudget.objects.get(account=x_account)
    assert (budget.monthly_budget, budget.at_limit) == (Decimal("250.00"), "stop")
    assert AuditEvent.objects.filter(verb="social_account.x_budget_set").exists()

    bad = client.post(
        f"/listening/accounts/{x_account.pk}/x-budget/",
        {"monthly_budget": "-5", "at_limit": "explode", "slow_interval": "1"},
        follow=True,
    )
    assert "Budget not saved" in bad.content.decode()
    assert XBudget.objects.get(account=x_account).monthly_budget == Decimal("250.00")


def test_other_networks_are_not_billed(sandbox, facebook_account, django_capture_on_commit_callbacks):
    sandbox.post(network="facebook", text="Hello")
    with django_capture_on_commit_callbacks(execute=True):
        account_poll(account_id=facebook_account.pk)
    assert not XUsage.objects.exists()
    assert SocialAccount.objects.get(pk=facebook_account.pk).network == "facebook"


def test_the_query_preview_shows_its_expected_monthly_x_cost_before_saving(
    sandbox, x_account, lead, client, django_capture_on_commit_callbacks
):
    for n, customer in enumerate([1, 1, 2]):
        sandbox.post(network="x", text=f"@northbridgebank my card was declined {n}", customer=customer)
    sandbox.post(network="x", text="@northbridgebank lovely branch staff", customer=3)
    with django_capture_on_commit_callbacks(execute=True):
        account_poll(account_id=x_account.pk)
    client.force_login(lead)
    html = client.post(
        "/listening/queries/preview/", {"text": '"card was declined"', "networks": ["x"]}
    ).content.decode()
    # 3 posts by 2 authors, each author read once a UTC day (2 pairs unless the posts straddle midnight).
    from listening.models import Mention

    declined = Mention.objects.filter(network="x", text__contains="card was declined")
    author_days = len({(m.author_id, m.created_at.astimezone(dt.UTC).date()) for m in declined})
    expected = ((3 * BY_HAND["post_read"] + author_days * BY_HAND["user_read"]) * 30 / 7).quantize(
        Decimal("0.01")
    )
    assert f"Expected X cost: about <strong>${expected}</strong> a month" in html


def test_the_managers_dashboard_shows_x_spend_per_account_query_and_day(x_account, manager, lead, client):
    query = query_create(actor=lead, name="Card problems", text='"card declined"', networks=["x"])
    report = x_account.as_account_info().usage_sink
    report([Usage("post_read", "1"), Usage("post_read", "2")])  # the account's poll: $0.01
    with x_costs.attributed_to(query):
        report([Usage("post_read", "3"), Usage("user_read", "4")])  # the query's search: $0.015
    x_costs.budget_set(
        actor=lead, account=x_account, monthly_budget=Decimal("1"), at_limit="slow", slow_interval=900
    )
    client.force_login(manager)
    html = client.get("/dashboards/").content.decode()
    assert "What X costs this month" in html
    assert "$0.03 of $1.00" in html  # $0.025 this month
    assert '<th scope="row">Card problems</th><td class="num">0.02</td>' in html
    assert 'The account&#x27;s own polls and replies</th><td class="num">0.01</td>' in html


def _x_account_with_spend(n: int, lead) -> SocialAccount:
    from listening.services import social_account_create

    account = social_account_create(
        actor=None, network="x", external_id=f"9900{n}", handle=f"bank_branch_{n}", name=f"Branch {n}",
        credentials={"access_token": f"t{n}"},
    )  # fmt: skip
    today = dt.datetime.now(dt.UTC).date()
    XUsage.objects.create(account=account, day=today, kind="post_read", units=n, cost=Decimal("0.005") * n)
    if today.day > 1:  # an earlier day of the same month
        XUsage.objects.create(
            account=account, day=today.replace(day=1), kind="user_read", units=1, cost=Decimal("0.010")
        )
    XUsage.objects.create(  # last month: not this month's spend
        account=account, day=x_costs.month_start(today) - dt.timedelta(days=1), kind="post_read", units=100,
        cost=Decimal("0.5"),
    )  # fmt: skip
    x_costs.budget_set(
        actor=lead, account=account, monthly_budget=Decimal(n), at_limit="slow", slow_interval=900
    )
    return account


def test_the_spend_panel_reads_the_same_few_queries_for_one_account_or_many(lead):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def summary_queries() -> tuple[int, list[x_costs.SpendSummary]]:
        with CaptureQueriesContext(connection) as captured:
            summary = x_costs.spend_summary()
        return len(captured), summary

    _x_account_with_spend(1, lead)
    one, summary = summary_queries()
    assert len(summary) == 1
    for n in range(2, 6):
        _x_account_with_spend(n, lead)
    many, summary = summary_queries()
    assert len(summary) == 5
    assert many == one == 3
    today = dt.datetime.now(dt.UTC).date()
    earlier = Decimal("0.010") if today.day > 1 else Decimal(0)
    for n, row in enumerate(summary, start=1):  # ordered by handle: bank_branch_1 … 5
        assert row.account.handle == f"bank_branch_{n}"
        assert row.spend.today == Decimal("0.005") * n
        assert row.spend.month == Decimal("0.005") * n + earlier
        assert row.spend.budget == Decimal(n)
        assert row.spend.month == x_costs.account_spend(row.account).month  # the per-account figure
        assert row.spend.today == x_costs.account_spend(row.account).today
        assert row.by_day[-1] == (today, Decimal("0.005") * n)
        assert row.by_query == [("The account's own polls and replies", row.spend.month)]
