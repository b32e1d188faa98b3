"""Four weeks of past activity for the demo organisation (called by demo_seed), so the dashboards
have something to show the first time a manager opens them.

Idempotent: the history's mentions carry external ids starting with `HISTORY_PREFIX`; when one
exists, the history is there and nothing is added.

The history goes through the services a real day goes through, with these exceptions, each
because the service stamps "now" and cannot be told otherwise:
- `mentions_ingest` stamps `received_at` with the time of the poll: the seed sets it to the time
  the customer wrote, as a poll at the time would have (volume charts and the heatmap read it);
- `conversation_resolve` stamps `resolved_at` now: the seed moves it back to when it happened;
- the ingest meets the customer "now": the seed dates `first_seen_at` to their first message;
- every step stamps its thread events, escalation events and notifications now: the seed moves
  them back to the step's time (`_happened_at`), so the conversation pane tells the history in
  order, each event after the message it follows;
- audit entries keep the time of the seed: the audit log is append-only (the database refuses
  UPDATE), and it truthfully records when the seed took these steps.
The seed attaches the mentions to their conversations itself (in order, inside demo_seed's
transaction: assigning, replying and escalating need the conversation), so the ingest's deferred
`mentions_received` for them is dropped: delivered after commit, it would attach every message a
second time and reopen the resolved conversations. Kudos are given by calling the service the
signal's receiver calls.
"""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.db.models import F, Max
from django.utils import timezone

from bankbuzz.accounts.models import Notification, User
from dashboards.services import rollup_refresh_mentions
from escalations import services as escalation_services
from escalations.models import Department, EscalationEvent, Kudos
from inbox import services as inbox_services
from inbox.models import Conversation, ConversationEvent
from listening.connectors import base
from listening.models import Author, Mention, SocialAccount
from listening.sandbox import world
from listening.services import mention_record_sent, mentions_ingest
from listening.threads import customer_thread_key

HISTORY_PREFIX = "demo-history-"
DAYS = 28
LONDON = zoneinfo.ZoneInfo("Europe/London")
P = Conversation.Priority

BANK_ACCOUNTS = {
    "x": world.BANK_X["user_id"],
    "facebook": world.BANK_FACEBOOK_PAGE["page_id"],
    "linkedin": world.BANK_LINKEDIN_ORG["urn"],
}
KIND = {"x": base.KIND_MENTION, "facebook": base.KIND_COMMENT, "linkedin": base.KIND_COMMENT}

# topic: (customer messages, holding reply, final reply, department or None, priority)
# The tag an agent puts on a conversation of each topic (the dashboard's top tags).
TOPIC_TAGS = {
    "declined": "cards",
    "fraud": "fraud",
    "mortgage": "mortgages",
    "app": "app",
    "fees": "fees",
    "branch": "branches",
}

TOPICS = {
    "declined": (
        [
            "My card was declined at Tesco again, third time this week. Embarrassing.",
            "Card declined paying for petrol, there is plenty of money in the account!",
            "Why does my debit card keep getting declined online?",
        ],
        "Sorry about that. Please send us a private message with the time and the shop (never your "
        "card number) and we will check it.",
        "Thanks for waiting: our cards team has lifted the block, your card works again.",
        "Cards",
        P.NORMAL,
    ),
    "fraud": (
        [
            "There are payments on my account that were not me. I think my card was cloned.",
            "Got a text pretending to be you asking me to confirm my details. Is this a scam?",
            "Someone took 400 pounds from my account overnight, unauthorised payments!",
        ],
        "Please do not share any details here. We have passed this to our fraud team as a priority.",
        "Our fraud team has stopped the card and the payments are being refunded. A new card is on its way.",
        "Fraud",
        P.URGENT,
    ),
    "mortgage": (
        [
            "Still waiting for my mortgage offer after three weeks, nobody calls back.",
            "Can I make an overpayment on my fixed rate mortgage without a fee?",
            "Remortgage application stuck for ages, what is going on?",
        ],
        "Thanks for your patience. We have asked our mortgages team to look at your application.",
        "Our mortgages team has an update for you: please check your secure messages.",
        "Mortgages",
        P.HIGH,
    ),
    "app": (
        [
            "The app keeps logging me out, really annoying.",
            "Is the app down? Cannot log in since this morning.",
            "App crashes every time I open statements.",
        ],
        "Sorry for the trouble. Our engineers know about it and are working on a fix.",
        "",
        None,
        P.NORMAL,
    ),
    "fees": (
        [
            "Why was I charged an overdraft fee when I was only 2 pounds over?",
            "What are the fees for sending money abroad?",
        ],
        "Our fees are listed at https://www.northbridge.example/fees. Send us a private message if one "
        "looks wrong.",
        "",
        None,
        P.LOW,
    ),
    "branch": (
        [
            "Is the Leeds branch open on Saturdays?",
            "The branch on the high street closed early today with no notice.",
        ],
        "Thanks for asking. Opening hours are on our branch finder; we have passed your feedback on.",
        "",
        None,
        P.LOW,
    ),
}
TOPIC_WEIGHTS = {"declined": 5, "fraud": 3, "mortgage": 3, "app": 4, "fees": 3, "branch": 2}
THANKS = [
    "Thank you so much, that was quick and really helpful!",
    "Brilliant, all sorted now. Thanks for your help!",
    "Thanks a lot, great service.",
]
NETWORK_WEIGHTS = {"x": 5, "facebook": 3, "linkedin": 2}
AGENTS = ["agent", "agent2", "agent", "agent2", "lead"]
EXPERTS = {"Cards": "cards", "Fraud": "fraud", "Mortgages": "specialist"}


@dataclass
class _Seed:
    rng: random.Random
    now: dt.datetime
    accounts: dict[str, SocialAccount]
    agents: list[User]
    experts: dict[str, User]
    departments: dict[str, Department]


def history_seeded() -> bool:
    return Mention.objects.filter(external_id__startswith=HISTORY_PREFIX).exists()


def seed_history(*, now: dt.datetime | None = None, seed: int = 7) -> int:
    """Create about four weeks of past conversations; returns how many (0 when already there)."""
    if history_seeded():
        return 0
    now = now or timezone.now()
    accounts = {
        network: account
        for network, external_id in BANK_ACCOUNTS.items()
        if (account := SocialAccount.objects.filter(network=network, external_id=external_id).first())
    }
    people = {u.username: u for u in User.objects.filter(username__in=[*AGENTS, *EXPERTS.values()])}
    agents = [people[name] for name in AGENTS if name in people]
    if not accounts or not agents:
        return 0
    ctx = _Seed(
        rng=random.Random(seed),
        now=now,
        accounts=accounts,
        agents=agents,
        experts={dep: people[name] for dep, name in EXPERTS.items() if name in people},
        departments={d.name: d for d in Department.objects.filter(name__in=EXPERTS)},
    )
    networks = [n for n in NETWORK_WEIGHTS if n in accounts]
    weights = [NETWORK_WEIGHTS[n] for n in networks]
    count = 0
    for days_ago in range(DAYS, 0, -1):
        day = (now.astimezone(LONDON) - dt.timedelta(days=days_ago)).date()
        weekend = day.weekday() >= 5
        for _ in range(ctx.rng.randint(1, 2) if weekend else ctx.rng.randint(2, 3)):
            network = ctx.rng.choices(networks, weights)[0]
            topic = ctx.rng.choices(list(TOPIC_WEIGHTS), list(TOPIC_WEIGHTS.values()))[0]
            local = dt.datetime.combine(day, dt.time(ctx.rng.randint(8, 20), ctx.rng.randint(0, 59)))
            _conversation(ctx, count, network, topic, local.replace(tzinfo=LONDON), days_ago)
            count += 1
    rollup_refresh_mentions(now=now, full=True)
    return count


def _ingest(ctx: _Seed, network: str, item: base.FetchedItem) -> Mention:
    """Store a customer's message through the listening ingest and attach it to its conversation."""
    account = SocialAccount.objects.get(pk=ctx.accounts[network].pk)
    callbacks = len(connection.run_on_commit)
    ids = mentions_ingest(account=account, result=base.FetchResult(items=[item]))
    # See the module docstring: this seed attaches the message now, the deferred signal must not.
    del connection.run_on_commit[callbacks:]
    Mention.objects.filter(pk__in=ids).update(received_at=F("created_at"))
    inbox_services.conversations_attach_mentions(mention_ids=ids)
    return Mention.objects.get(network=network, external_id=item.external_id)


def _reply(ctx: _Seed, network: str, thread_key: str, key: str, text: str, at: dt.datetime) -> None:
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


def _last_id(rows) -> int:
    return rows.aggregate(last=Max("id"))["last"] or 0


@contextmanager
def _happened_at(thread_key: str, at: dt.datetime) -> Iterator[None]:
    """Give the thread events, escalation events and notifications written inside the block the
    time the step happened in the history (the services stamp "now"); the conversation is found
    by its thread key, so the block may be the message that opens it."""
    conversation_events = ConversationEvent.objects.filter(conversation__thread_key=thread_key)
    escalation_events = EscalationEvent.objects.filter(escalation__conversation__thread_key=thread_key)
    last = _last_id(conversation_events), _last_id(escalation_events), _last_id(Notification.objects)
    yield
    conversation_events.filter(id__gt=last[0]).update(created_at=at)
    escalation_events.filter(id__gt=last[1]).update(created_at=at)
    # Inside demo_seed's transaction nobody else notifies: the new ones are this step's.
    Notification.objects.filter(id__gt=last[2]).update(created_at=at)


def _response_delay(rng: random.Random) -> dt.timedelta:
    roll = rng.random()
    if roll < 0.65:
        return dt.timedelta(minutes=rng.randint(3, 45))
    if roll < 0.9:
        return dt.timedelta(minutes=rng.randint(60, 240))
    return dt.timedelta(hours=rng.randint(6, 20))  # the slow ones: evenings and busy days


def _conversation(ctx: _Seed, n: int, network: str, topic: str, t0: dt.datetime, days_ago: int) -> None:
    rng = ctx.rng
    messages, holding, final, department_name, priority = TOPICS[topic]
    thread_key = f"{HISTORY_PREFIX}{network}-{n}"
    customer = base.FetchedAuthor(
        external_id=f"{HISTORY_PREFIX}customer-{n}",
        handle=f"customer_{n:03d}",
        name=f"Demo Customer {n}",
        followers=rng.randint(20, 3000),
    )
    conversation_key = customer_thread_key(thread_key, customer.external_id)

    def inbound(suffix: str, text: str, at: dt.datetime) -> Mention:
        item = base.FetchedItem(
            external_id=f"{thread_key}-{suffix}",
            kind=KIND[network],
            text=text,
            author=customer,
            created_at=at,
            thread_key=thread_key,
            raw={"demo_history": True},
        )
        return _ingest(ctx, network, item)

    with _happened_at(conversation_key, t0):
        first = inbound("in", rng.choice(messages), t0)
    # The ingest met the customer today; the history met them with this message.
    Author.objects.filter(pk=first.author_id).update(first_seen_at=t0)
    conversation = Conversation.objects.get(network=network, thread_key=conversation_key)
    agent = ctx.agents[n % len(ctx.agents)]
    late = ctx.now - dt.timedelta(minutes=5)
    at = t0 + _response_delay(rng)
    # The agent takes it and tags it between the message and the reply (or soon, if unanswered).
    step = (min(at, late) - t0) / 3
    with _happened_at(conversation_key, t0 + step):
        inbox_services.conversation_assign(
            actor=agent, conversation=conversation, assignee=agent, seen_version=None
        )
    with _happened_at(conversation_key, t0 + 2 * step):
        inbox_services.conversation_tag_add(actor=agent, conversation=conversation, name=TOPIC_TAGS[topic])

    if at > late or (days_ago <= 2 and n % 2 == 0):
        return  # not answered yet: the backlog has some too
    with _happened_at(conversation_key, at):
        _reply(ctx, network, conversation_key, f"{thread_key}-out1", holding, at)

    department = ctx.departments.get(department_name or "")
    expert = ctx.experts.get(department_name or "")
    escalation = None
    if department is not None and expert is not None and days_ago >= 5 and rng.random() < 0.6:
        conversation.refresh_from_db()
        opened = at + dt.timedelta(minutes=rng.randint(2, 15))
        with _happened_at(conversation_key, opened):
            escalation = escalation_services.escalation_open(
                actor=agent,
                conversation=conversation,
                department=department,
                question=f"Customer @{customer.handle} on {network}: can you check this? ({topic})",
                priority=priority,
                now=opened,
            )
        due = escalation.response_due_at
        if rng.random() < 0.7:  # met: answered within the response target
            answered = opened + (due - opened) * rng.uniform(0.15, 0.85)
        else:  # breached: a busy day
            answered = due + dt.timedelta(minutes=rng.randint(20, 600))
        if answered > late:
            return  # still with the expert
        with _happened_at(conversation_key, answered):
            escalation = escalation_services.escalation_answer(
                actor=expert,
                escalation=escalation,
                answer=f"Checked the customer's {topic} case: resolved on our side.",
                proposed_reply=final,
                now=answered,
            )
        at = answered + dt.timedelta(minutes=rng.randint(5, 60))
        if at > late:
            return
        with _happened_at(conversation_key, at):
            _reply(ctx, network, conversation_key, f"{thread_key}-out2", final, at)

    if rng.random() < 0.3:
        at = at + dt.timedelta(minutes=rng.randint(10, 180))
        if at > late:
            return
        with _happened_at(conversation_key, at):
            thanks = inbound("thanks", rng.choice(THANKS), at)
            if escalation is not None:
                given = escalation_services.kudos_from_mentions(mention_ids=[thanks.pk])
                Kudos.objects.filter(pk__in=[k.pk for k in given]).update(created_at=at)

    if rng.random() < 0.8:
        resolved = at + dt.timedelta(minutes=rng.randint(5, 120))
        if resolved > late:
            return
        with _happened_at(conversation_key, resolved):
            conversation = inbox_services.conversation_resolve(
                actor=agent, conversation=conversation, seen_version=None
            )
        # The service stamps "now"; the history resolved it back then.
        Conversation.objects.filter(pk=conversation.pk).update(resolved_at=resolved)
