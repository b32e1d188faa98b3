"""The demo history's steps: a customer's message through the listening ingest, our replies, the
work on a conversation dated back to when it happened (`happened_at`), and resolving it."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Max

from bankbuzz.accounts.models import Notification, User
from devtools.demo.dashboards.story import CALM
from devtools.sandbox import content, world
from escalations import selectors as escalation_selectors
from escalations import services as escalation_services
from escalations.models import Department, EscalationEvent
from escalations.sla import add_working
from inbox import services as inbox_services
from inbox.models import Conversation, ConversationEvent
from listening.connectors import base
from listening.models import Author, Mention, SocialAccount
from listening.services import mention_record_sent, mentions_ingest
from listening.signals import mentions_received_held
from listening.threads import customer_thread_key

HISTORY_PREFIX = "demo-history-"
LONDON = zoneinfo.ZoneInfo("Europe/London")

BANK_ACCOUNTS = {
    "x": world.BANK_X["user_id"],
    "facebook": world.BANK_FACEBOOK_PAGE["page_id"],
    "linkedin": world.BANK_LINKEDIN_ORG["urn"],
}
KIND = {"x": base.KIND_MENTION, "facebook": base.KIND_COMMENT, "linkedin": base.KIND_COMMENT}


@dataclass
class Seed:
    rng: random.Random
    now: dt.datetime
    accounts: dict[str, SocialAccount]
    agents: list[User]
    experts: dict[str, User]
    departments: dict[str, Department]
    crowd: list[content.Customer] = field(default_factory=list)


@dataclass
class Thread:
    """One customer's conversation of the history, as its later steps need it."""

    network: str
    thread_key: str
    customer: base.FetchedAuthor
    key: str  # the conversation's thread key (the network's thread plus the customer)
    conversation: Conversation
    agent: User
    inbound: Callable[[str, str, dt.datetime], Mention]


def customer(ctx: Seed, n: int, network: str) -> base.FetchedAuthor:
    """The next person of the crowd, as that network's connector reads them."""
    person = ctx.crowd[n % len(ctx.crowd)]
    if network == "x":
        return base.FetchedAuthor(
            external_id=person.x_id,
            handle=person.handle,
            name=person.name,
            profile_url=f"https://x.com/{person.handle}",
            followers=person.followers,
            verified=person.verified,
        )
    if network == "facebook":
        return base.FetchedAuthor(external_id=person.facebook_id, handle="", name=person.name)
    return base.FetchedAuthor(external_id=person.linkedin_urn, handle="", name=person.name)


def ingest(ctx: Seed, network: str, item: base.FetchedItem) -> Mention:
    """Store a customer's message through the listening ingest and attach it to its conversation."""
    account = SocialAccount.objects.get(pk=ctx.accounts[network].pk)
    # See the package docstring: this seed attaches the message itself, the signal must not.
    with mentions_received_held():
        ids = mentions_ingest(account=account, result=base.FetchResult(items=[item]))
    Mention.objects.filter(pk__in=ids).update(received_at=F("created_at"))
    inbox_services.conversations_attach_mentions(mention_ids=ids)
    return Mention.objects.get(network=network, external_id=item.external_id)


def reply(ctx: Seed, network: str, thread_key: str, key: str, text: str, at: dt.datetime) -> None:
    """Our reply as the outbox stores it once sent: an outbound mention, then the attach."""
    account = ctx.accounts[network]
    mention, _created = mention_record_sent(
        account=account,
        sent=base.SentMessage(external_id=key),
        text=text,
        kind=KIND[network],
        thread_key=thread_key,
        sent_at=at,
    )
    Mention.objects.filter(pk=mention.pk).update(received_at=at)
    inbox_services.conversations_attach_mentions(mention_ids=[mention.pk])


def last_id(rows) -> int:
    return rows.aggregate(last=Max("id"))["last"] or 0


# What a step writes that the services stamp "now": `happened_at` dates it back.
DATED = (ConversationEvent, EscalationEvent, Notification)


def _dated_tables() -> list[str]:
    return [connection.ops.quote_name(model._meta.db_table) for model in DATED]


@contextmanager
def happened_at(thread_key: str, at: dt.datetime) -> Iterator[None]:
    """Give the thread events, escalation events and notifications written inside the block the
    time the step happened in the history (the services stamp "now").

    Inside demo_seed's transaction nobody else writes (the web server, worker and beat start
    after it): every row newer than the block's start is this step's, found by id alone.
    `thread_key` names the conversation the step is about, for the reader. The history takes
    some two thousand steps: the three tables are read in one statement and dated in another.
    """
    tables = _dated_tables()
    lasts = ", ".join(f"(SELECT COALESCE(MAX(id), 0) FROM {table})" for table in tables)  # noqa: S608 - table names from the models
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {lasts}")
        last = cursor.fetchone()
    yield
    updates = [f"UPDATE {table} SET created_at = %s WHERE id > %s" for table in tables]  # noqa: S608 - as above
    # Each data-modifying WITH runs once, referenced or not: one statement for the three tables.
    sql = "WITH " + ", ".join(f"dated_{n} AS ({u})" for n, u in enumerate(updates[:-1])) + " " + updates[-1]
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for last_id_of_table in last for value in (at, last_id_of_table)])


def response_delay(rng: random.Random, t0: dt.datetime) -> dt.timedelta:
    local = t0.astimezone(LONDON)
    if local.hour >= 22 or local.hour < 7:
        # Nobody is on shift at night: answered when the morning shift starts.
        morning = dt.datetime.combine(
            local.date() + dt.timedelta(days=local.hour >= 22), dt.time(8, rng.randint(0, 40)), tzinfo=LONDON
        )
        return morning - t0
    roll = rng.random()
    if roll < 0.7:
        return dt.timedelta(minutes=rng.randint(4, 45))
    if roll < 0.93:
        return dt.timedelta(minutes=rng.randint(50, 180))
    return dt.timedelta(minutes=rng.randint(180, 360))  # the slow ones: busy afternoons


def start(
    ctx: Seed, n: int, network: str, text: str, t0: dt.datetime, *, tag: str, reply_at: dt.datetime
) -> Thread:
    """The customer's first message, taken and tagged by an agent before their first reply at
    `reply_at` (or before now)."""
    thread_key = f"{HISTORY_PREFIX}{network}-{n}"
    author = customer(ctx, n, network)
    conversation_key = customer_thread_key(thread_key, author.external_id)

    def inbound(suffix: str, message: str, at: dt.datetime) -> Mention:
        item = base.FetchedItem(
            external_id=f"{thread_key}-{suffix}",
            kind=KIND[network],
            text=message,
            author=author,
            created_at=at,
            thread_key=thread_key,
            raw={"demo_history": True},
        )
        return ingest(ctx, network, item)

    with happened_at(conversation_key, t0):
        first = inbound("in", text, t0)
    # The ingest met the customer today; the history met them with this message (or before).
    Author.objects.filter(pk=first.author_id, first_seen_at__gt=t0).update(first_seen_at=t0)
    conversation = Conversation.objects.get(network=network, thread_key=conversation_key)
    agent = ctx.agents[n % len(ctx.agents)]
    if tag:
        delay = (min(reply_at, ctx.now) - t0) / 3
        with happened_at(conversation_key, t0 + delay):
            inbox_services.conversation_assign(
                actor=agent, conversation=conversation, assignee=agent, seen_version=None
            )
        with happened_at(conversation_key, t0 + 2 * delay):
            inbox_services.conversation_tag_add(actor=agent, conversation=conversation, name=tag)
    return Thread(network, thread_key, author, conversation_key, conversation, agent, inbound)


def resolve(conversation_key: str, conversation: Conversation, agent: User, at: dt.datetime) -> None:
    with happened_at(conversation_key, at):
        conversation = inbox_services.conversation_resolve(
            actor=agent, conversation=conversation, seen_version=None
        )
    # The service stamps "now"; the history resolved it back then.
    Conversation.objects.filter(pk=conversation.pk).update(resolved_at=at)


def calm(department: Department, priority: int, wanted: dt.datetime, *, now: dt.datetime) -> dt.datetime:
    """`wanted`, or the latest time before now when an escalation opened then would not yet have
    warned of its first-response deadline: the demo starts with work in hand, not with alarms."""
    hours = escalation_selectors.working_hours(department)
    response, _resolution = escalation_selectors.sla_minutes(department, priority)

    def is_calm(opened: dt.datetime) -> bool:
        return add_working(opened, response * 60 * escalation_services.WARN_AT, hours) > now + CALM

    if is_calm(wanted):
        return wanted
    early, late = wanted, now - dt.timedelta(minutes=10)
    for _ in range(12):
        middle = early + (late - early) / 2
        early, late = (early, middle) if is_calm(middle) else (middle, late)
    return late


def spam(ctx: Seed, n: int, t0: dt.datetime) -> None:
    """A bot's post: the ingest files it as spam; nobody works on it."""
    bot = content.SPAMMERS[n % len(content.SPAMMERS)]
    text = content.compose(ctx.rng, topic="spam", network="x")
    author = base.FetchedAuthor(
        external_id=bot.x_id, handle=bot.handle, name=bot.name, followers=bot.followers
    )
    thread_key = f"{HISTORY_PREFIX}x-{n}"
    item = base.FetchedItem(
        external_id=f"{thread_key}-in",
        kind=KIND["x"],
        text=text,
        author=author,
        created_at=t0,
        thread_key=thread_key,
        raw={"demo_history": True},
    )
    with happened_at(customer_thread_key(thread_key, bot.x_id), t0):
        mention = ingest(ctx, "x", item)
    Author.objects.filter(pk=mention.author_id, first_seen_at__gt=t0).update(first_seen_at=t0)
