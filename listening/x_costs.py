"""What the X API costs the bank: every resource read and every post created, priced.

The X connector reports each answer's billable units (listening/connectors/x/billing.py);
`record_usage` prices them from settings.X_API_PRICES and adds them to the account's (and,
during a listening query's search, the query's) figures for the UTC day. A resource read
again within the same UTC day is not billed again, as X deduplicates: the first read of the
day is remembered in the cache until the day is over.

A monthly budget per account (XBudget) warns the leads at 80 % and, at 100 %, slows polling
down to a set interval or stops it, and tells the leads and administrators, once a month.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Sum

from bankbuzz.audit.services import audit_record
from listening.connectors import base
from listening.models import ListeningQuery, SocialAccount, XBudget, XUsage

logger = logging.getLogger(__name__)

WARN_AT = Decimal("0.8")
_QUERY: contextvars.ContextVar[int | None] = contextvars.ContextVar("x_costs_query", default=None)


@contextlib.contextmanager
def attributed_to(query: ListeningQuery) -> Iterator[None]:
    """Bill what X reads inside the block to `query` (a listening query's search)."""
    token = _QUERY.set(query.pk)
    try:
        yield
    finally:
        _QUERY.reset(token)


def price(kind: str) -> Decimal:
    try:
        return Decimal(str(settings.X_API_PRICES.get(kind, "0")))
    except ArithmeticError:
        return Decimal(0)


def _first_read_today(day: dt.date, usage: base.Usage) -> bool:
    tomorrow = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    seconds = int((tomorrow - dt.datetime.now(dt.UTC)).total_seconds()) + 3600
    return cache.add(f"xcost:{day:%Y%m%d}:{usage.kind}:{usage.resource_id}", 1, timeout=max(seconds, 60))


def usage_sink(account_id: int) -> Callable[[list[base.Usage]], None]:
    """What `SocialAccount.as_account_info` gives the X connector to report its usage to."""
    return functools.partial(record_usage, account_id)


def record_usage(account_id: int, usage: list[base.Usage]) -> None:
    account = SocialAccount.objects.filter(pk=account_id, network="x").first()
    if account is None:
        return
    day = dt.datetime.now(dt.UTC).date()
    units = Counter(u.kind for u in usage if not u.resource_id or _first_read_today(day, u))
    query_id = _QUERY.get()
    for kind, count in units.items():
        _add(account, query_id, day, kind, count)
    if units:
        budget_check(account=account)


def _add(account: SocialAccount, query_id: int | None, day: dt.date, kind: str, count: int) -> None:
    cost = price(kind) * count
    rows = XUsage.objects.filter(account=account, query_id=query_id, day=day, kind=kind)
    if rows.update(units=F("units") + count, cost=F("cost") + cost):
        return
    try:
        with transaction.atomic():
            XUsage.objects.create(
                account=account, query_id=query_id, day=day, kind=kind, units=count, cost=cost
            )
    except IntegrityError:  # another worker created the row first
        rows.update(units=F("units") + count, cost=F("cost") + cost)


# --- Figures -------------------------------------------------------------------------------


def month_start(day: dt.date | None = None) -> dt.date:
    return (day or dt.datetime.now(dt.UTC).date()).replace(day=1)


def spend(
    *,
    account: SocialAccount | None = None,
    query: ListeningQuery | None = None,
    since: dt.date,
    until: dt.date | None = None,
) -> Decimal:
    rows = XUsage.objects.filter(day__gte=since)
    if until is not None:
        rows = rows.filter(day__lt=until)
    if account is not None:
        rows = rows.filter(account=account)
    if query is not None:
        rows = rows.filter(query=query)
    return rows.aggregate(total=Sum("cost"))["total"] or Decimal(0)


@dataclass(frozen=True)
class Spend:
    today: Decimal
    month: Decimal
    budget: Decimal | None
    at_limit: str

    @property
    def share(self) -> int | None:
        return int(self.month * 100 / self.budget) if self.budget else None


def account_spend(account: SocialAccount) -> Spend | None:
    if account.network != "x":
        return None
    today = dt.datetime.now(dt.UTC).date()
    budget = XBudget.objects.filter(account=account).first()
    return Spend(
        today=spend(account=account, since=today),
        month=spend(account=account, since=month_start(today)),
        budget=budget.monthly_budget if budget else None,
        at_limit=budget.get_at_limit_display() if budget else "",
    )


# --- The budget ------------------------------------------------------------------------------


@transaction.atomic
def budget_set(
    *, actor, account: SocialAccount, monthly_budget: Decimal, at_limit: str, slow_interval: int
) -> XBudget:
    if account.network != "x":
        raise ValueError("only X is billed per use")
    if monthly_budget <= 0 or at_limit not in XBudget.AtLimit.values or slow_interval < 60:
        raise ValueError("a positive budget, slow or stop, and a slow interval of at least 60 s")
    budget, _ = XBudget.objects.select_for_update().get_or_create(
        account=account, defaults={"monthly_budget": monthly_budget}
    )
    before = {"monthly_budget": str(budget.monthly_budget), "at_limit": budget.at_limit}
    budget.monthly_budget, budget.at_limit, budget.slow_interval = monthly_budget, at_limit, slow_interval
    budget.save()
    audit_record(
        actor=actor,
        verb="social_account.x_budget_set",
        obj=account,
        before=before,
        after={"monthly_budget": str(monthly_budget), "at_limit": at_limit, "slow_interval": slow_interval},
    )
    return budget


def budget_check(*, account: SocialAccount) -> None:
    """Warn at 80 % of the month's budget; at 100 % slow down or stop. Each once a month."""
    budget = XBudget.objects.filter(account=account).first()
    if budget is None:
        return
    month = month_start()
    used = spend(account=account, since=month)
    if used >= budget.monthly_budget and budget.limited_month != month:
        _limit(account, budget, month, used)
    elif (
        used >= budget.monthly_budget * WARN_AT
        and budget.warned_month != month
        and XBudget.objects.filter(pk=budget.pk).exclude(warned_month=month).update(warned_month=month)
    ):
        text = f"{account} has spent ${used:.2f} of its ${budget.monthly_budget:.2f} X budget this month"
        _tell(account, "x_budget.warning", text)


def _limit(account: SocialAccount, budget: XBudget, month: dt.date, used: Decimal) -> None:
    from listening.services import account_schedule_sync

    with transaction.atomic():
        if not XBudget.objects.filter(pk=budget.pk).exclude(limited_month=month).update(limited_month=month):
            return  # another worker took the action
        fresh = SocialAccount.objects.select_for_update().get(pk=account.pk)
        before = {"poll_interval": fresh.poll_interval, "is_active": fresh.is_active}
        if budget.at_limit == XBudget.AtLimit.STOP:
            fresh.is_active = False
            what = "polling has stopped until someone resumes it"
        else:
            fresh.poll_interval = max(fresh.poll_interval, budget.slow_interval)
            what = f"polling slowed to every {fresh.poll_interval} s"
        fresh.save(update_fields=["is_active", "poll_interval"])
        account_schedule_sync(account=fresh)
        audit_record(
            actor=None,
            verb="social_account.x_budget_reached",
            obj=fresh,
            before=before,
            after={"poll_interval": fresh.poll_interval, "is_active": fresh.is_active, "spent": str(used)},
        )
        _tell(
            fresh,
            "x_budget.reached",
            f"{fresh} reached its ${budget.monthly_budget:.2f} X budget this month: {what}",
        )


def _tell(account: SocialAccount, verb: str, text: str) -> None:
    from django.contrib.auth import get_user_model
    from django.urls import reverse

    from bankbuzz.accounts import roles
    from bankbuzz.accounts.notifications import notify

    people = get_user_model().objects.filter(groups__name__in=[roles.LEAD, roles.ADMIN], is_active=True)
    notify(
        recipients=people.distinct(),
        verb=verb,
        text=text,
        url=reverse("listening:account", args=[account.pk]),
    )
    logger.warning("%s", text)


@dataclass(frozen=True)
class SpendSummary:
    account: SocialAccount
    spend: Spend
    by_query: list[tuple[str, Decimal]]
    by_day: list[tuple[dt.date, Decimal]]


def spend_summary() -> list[SpendSummary]:
    """This month's X spend per account, against its budget, per listening query and per day.

    Three queries whatever the number of accounts: the accounts with their budgets, then the
    month's spend of all of them by query and by day (today's and the month's totals are sums of
    the days).
    """
    month = month_start()
    today = dt.datetime.now(dt.UTC).date()
    accounts = list(SocialAccount.objects.filter(network="x").select_related("x_budget").order_by("handle"))
    if not accounts:
        return []
    rows = XUsage.objects.filter(account__in=accounts, day__gte=month)
    by_query: dict[int, list[tuple[str, Decimal]]] = {}
    per_query = rows.values_list("account_id", "query__name").annotate(total=Sum("cost"))
    for account_id, name, total in per_query.order_by("account_id", "-total"):
        by_query.setdefault(account_id, []).append((name or "The account's own polls and replies", total))
    by_day: dict[int, list[tuple[dt.date, Decimal]]] = {}
    for account_id, day, total in (
        rows.values_list("account_id", "day").annotate(total=Sum("cost")).order_by("account_id", "day")
    ):
        by_day.setdefault(account_id, []).append((day, total))
    out = []
    for account in accounts:
        days = by_day.get(account.pk, [])
        try:
            budget = account.x_budget
        except XBudget.DoesNotExist:
            budget = None
        spent = Spend(
            today=sum((total for day, total in days if day >= today), Decimal(0)),
            month=sum((total for _, total in days), Decimal(0)),
            budget=budget.monthly_budget if budget else None,
            at_limit=budget.get_at_limit_display() if budget else "",
        )
        out.append(SpendSummary(account, spent, by_query.get(account.pk, []), days))
    return out
