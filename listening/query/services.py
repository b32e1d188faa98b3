"""Writes of listening queries: create, change, run on X, match stored items, preview.

A query finds items two ways:
- on X, as a recent search (`query_run`, ticked by beat per query): its hits are
  stored like any polled item, by the one ingest function (`listening.services.ingest`),
  and the query's inbox policy decides whether the inbox sees them (`Mention.for_inbox`);
- on every network, by local evaluation of each newly stored item
  (`listening.query.matching`, called in the storing transaction), which is how
  Facebook and LinkedIn comments count. Those are said to the bank's own pages
  and always go to the inbox: the policy is about search noise.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from bankbuzz.audit.services import audit_record
from listening import x_costs
from listening.connectors import base
from listening.crypto import CredentialsUnreadable
from listening.models import ListeningQuery, Mention, Network, QueryMatch, SocialAccount
from listening.query import Matcher, QuerySyntaxError, QueryTooLong, parse, to_x
from listening.query.matching import INBOX_INTENTS, matcher_of, query_matches_record
from listening.services.ingest import page_ingest

__all__ = [
    "INBOX_INTENTS",
    "LOOKBACK",
    "RUN_TASK_NAME",
    "SCAN_LIMIT",
    "Preview",
    "QueryInvalid",
    "RunOutcome",
    "TransientRunError",
    "query_backfill",
    "query_create",
    "query_matches_record",
    "query_preview",
    "query_results_ingest",
    "query_run",
    "query_schedule_sync",
    "query_update",
    "query_validate",
]

logger = logging.getLogger(__name__)

RUN_TASK_NAME = "listening.run_query"
# The preview and the backfill read at most this many of the newest stored items.
SCAN_LIMIT = 50_000
LOOKBACK = dt.timedelta(days=7)


class QueryInvalid(ValueError):
    """A query that cannot be saved: a syntax error (with its position) or too long for X."""

    def __init__(self, message: str, *, syntax: QuerySyntaxError | None = None):
        super().__init__(message)
        self.message = message
        self.syntax = syntax


def query_validate(*, text: str, networks: list[str]) -> str:
    """The X form of `text` ("" when X is not among `networks`), or QueryInvalid."""
    try:
        node = parse(text)
    except QuerySyntaxError as exc:
        raise QueryInvalid(str(exc), syntax=exc) from exc
    if Network.X not in networks:
        return ""
    try:
        return to_x(node)
    except QueryTooLong as exc:
        raise QueryInvalid(str(exc)) from exc


# --- Create and change ------------------------------------------------------------------


def query_schedule_sync(*, query: ListeningQuery) -> PeriodicTask:
    """The beat entry that runs the query's X search on its own interval."""
    schedule, _ = IntervalSchedule.objects.get_or_create(
        every=query.run_interval, period=IntervalSchedule.SECONDS
    )
    task, _ = PeriodicTask.objects.update_or_create(
        name=f"Listening query {query.pk}",
        defaults={
            "task": RUN_TASK_NAME,
            "interval": schedule,
            "args": f"[{query.pk}]",
            "enabled": query.is_active and Network.X in query.networks,
            "expire_seconds": query.run_interval,
        },
    )
    return task


_FIELDS = ("name", "text", "kind", "networks", "inbox_policy", "is_active", "spike_sensitivity")


def _snapshot(query: ListeningQuery) -> dict:
    return {name: getattr(query, name) for name in _FIELDS}


@transaction.atomic
def query_create(
    *,
    actor,
    name: str,
    text: str,
    kind: str = ListeningQuery.Kind.TOPIC,
    networks: list[str] | None = None,
    inbox_policy: str = ListeningQuery.InboxPolicy.QUESTIONS,
    is_active: bool = True,
    spike_sensitivity: float | None = None,
) -> ListeningQuery:
    networks = sorted(networks if networks is not None else Network.values)
    query_validate(text=text, networks=networks)
    query = ListeningQuery.objects.create(
        name=name,
        text=text,
        kind=kind,
        networks=networks,
        inbox_policy=inbox_policy,
        is_active=is_active,
        spike_sensitivity=spike_sensitivity,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    query_schedule_sync(query=query)
    matched = query_backfill(query=query)
    audit_record(
        actor=actor,
        verb="listening_query.create",
        obj=query,
        after={**_snapshot(query), "backfilled": matched},
    )
    return query


@transaction.atomic
def query_update(*, actor, query: ListeningQuery, **changes) -> ListeningQuery:
    """Change a query. A new text starts afresh: its X cursor and matches are rebuilt from the last 7 days."""
    query = ListeningQuery.objects.select_for_update().get(pk=query.pk)
    unknown = set(changes) - set(_FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    before = _snapshot(query)
    if "networks" in changes:
        changes["networks"] = sorted(changes["networks"])
    for name, value in changes.items():
        setattr(query, name, value)
    query_validate(text=query.text, networks=query.networks)
    redo = query.text != before["text"] or query.networks != before["networks"]
    if redo:
        query.cursors = {}
        query.last_error = ""
    query.updated_at = timezone.now()
    query.save()
    query_schedule_sync(query=query)
    after = _snapshot(query)
    if redo:
        QueryMatch.objects.filter(query=query).delete()
        after["backfilled"] = query_backfill(query=query)
    audit_record(
        actor=actor,
        verb="listening_query.update",
        obj=query,
        before={k: v for k, v in before.items() if before[k] != after.get(k)},
        after={k: v for k, v in after.items() if before.get(k) != v},
    )
    return query


# --- Matching stored items -----------------------------------------------------------------


def _recent_items(networks: list[str], *, now: dt.datetime | None = None):
    now = now or timezone.now()
    return (
        Mention.objects.filter(
            created_at__gte=now - LOOKBACK,
            created_at__lte=now,
            direction=Mention.Direction.IN,
            is_spam=False,
            network__in=networks,
        )
        .order_by("-created_at")
        .values_list("pk", "text", "lang", "created_at", "network", "author_id")[:SCAN_LIMIT]
    )


def query_backfill(*, query: ListeningQuery) -> int:
    """Match the last 7 days of stored items, so a new query has a volume and a baseline at once."""
    matcher = matcher_of(query)
    if matcher is None:
        return 0
    matches = [
        QueryMatch(query=query, mention_id=pk, created_at=created_at)
        for pk, text, lang, created_at, _network, _author in _recent_items(query.networks).iterator(
            chunk_size=2000
        )
        if matcher.matches(text, lang)
    ]
    QueryMatch.objects.bulk_create(matches, ignore_conflicts=True, batch_size=2000)
    return len(matches)


@dataclass
class Preview:
    text: str
    networks: list[str]
    matched: int = 0
    scanned: int = 0
    truncated: bool = False
    x_query: str = ""
    per_day: list[tuple[dt.date, int]] = field(default_factory=list)
    samples: list[Mention] = field(default_factory=list)
    # On X: matching posts, and (author, day) pairs (an author read again the same day is not billed).
    x_posts: int = 0
    x_author_days: set[tuple[int, dt.date]] = field(default_factory=set)

    @property
    def expected_x_monthly_cost(self) -> Decimal | None:
        """What its search would cost on X in 30 days at the last 7 days' volume (posts and authors)."""
        if Network.X not in self.networks or self.truncated:
            return None
        reads = self.x_posts * x_costs.price("post_read") + len(self.x_author_days) * x_costs.price(
            "user_read"
        )
        return (reads * 30 / 7).quantize(Decimal("0.01"))


def query_preview(*, text: str, networks: list[str], sample_size: int = 10) -> Preview:
    """Run a query over what is stored from the last 7 days, without saving anything.

    Raises QueryInvalid (with the position of a syntax error) like saving would.
    """
    networks = sorted(networks or Network.values)
    x_query = query_validate(text=text, networks=networks)
    matcher = Matcher(text)
    preview = Preview(text=text, networks=networks, x_query=x_query)
    hits: list[int] = []
    days: dict[dt.date, int] = {}
    for pk, item_text, lang, created_at, network, author_id in _recent_items(networks).iterator(
        chunk_size=2000
    ):
        preview.scanned += 1
        if matcher.matches(item_text, lang):
            preview.matched += 1
            if len(hits) < sample_size:
                hits.append(pk)
            day = timezone.localtime(created_at).date()
            days[day] = days.get(day, 0) + 1
            if network == Network.X:
                preview.x_posts += 1
                preview.x_author_days.add((author_id, created_at.astimezone(dt.UTC).date()))
    preview.truncated = preview.scanned >= SCAN_LIMIT
    preview.per_day = sorted(days.items())
    preview.samples = list(
        Mention.objects.filter(pk__in=hits).select_related("author").order_by("-created_at")
    )
    return preview


# --- Running on X ------------------------------------------------------------------------------


class TransientRunError(Exception):
    """The search failed in a way a retry may fix."""


@dataclass
class RunOutcome:
    status: str  # "ok", "skipped", "invalid", "no_account", "rate_limited", "failing"
    new_mentions: int = 0
    detail: str = ""


def _x_account() -> SocialAccount | None:
    """The connected X account whose credentials run the searches."""
    return (
        SocialAccount.objects.filter(network=Network.X, is_active=True)
        .exclude(health=SocialAccount.Health.NEEDS_REAUTH)
        .order_by("pk")
        .first()
    )


def _run_failed(query_id: int, message: str) -> None:
    ListeningQuery.objects.filter(pk=query_id).update(last_run_at=timezone.now(), last_error=message[:1000])


def query_run(*, query_id: int) -> RunOutcome:
    """Search X for what is new for one query and store it. Safe to run twice."""
    query = ListeningQuery.objects.filter(pk=query_id, is_active=True).first()
    if query is None or Network.X not in query.networks:
        return RunOutcome(status="skipped")
    try:
        compiled = to_x(query.text)
    except (QuerySyntaxError, QueryTooLong) as exc:
        _run_failed(query_id, str(exc))
        return RunOutcome(status="invalid", detail=str(exc))
    account = _x_account()
    if account is None:
        _run_failed(query_id, "No connected X account can run the search: connect one under Accounts.")
        return RunOutcome(status="no_account")
    try:
        connector = base.connector_for(account.as_account_info())
        with x_costs.attributed_to(query):  # what the search reads is billed to the query
            result = connector.search(query=compiled, cursors=dict(query.cursors.get(Network.X, {})))
    except base.RateLimited as exc:
        _run_failed(query_id, f"X is rate limiting the search until {exc.reset_at:%H:%M} UTC")
        return RunOutcome(status="rate_limited")
    except (base.AuthFailed, CredentialsUnreadable) as exc:
        _run_failed(query_id, f"X refused the account's credentials: {exc}")
        return RunOutcome(status="failing", detail=str(exc))
    except base.ConnectorError as exc:
        _run_failed(query_id, exc.message)
        if exc.permanent:
            return RunOutcome(status="failing", detail=exc.message)
        raise TransientRunError(exc.message) from exc
    new_ids = query_results_ingest(query=query, account=account, result=result)
    return RunOutcome(status="ok", new_mentions=len(new_ids))


def query_results_ingest(
    *, query: ListeningQuery, account: SocialAccount, result: base.FetchResult
) -> list[int]:
    """Store a page of search hits, the query's matches and its X cursor in one transaction."""
    return page_ingest(account=account, result=result, query=query)
