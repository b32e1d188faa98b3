"""A month of past activity for the demo organisation (called by demo_seed), so the dashboards
and the queues look like a real team's the first time anyone opens them.

The story: about four conversations a working day and two at weekends, at the hours people
write (`listening.demo.HOURLY_SHAPE`), from the sandbox's crowd (nobody writes twice within a
fortnight; they are the people the live traffic brings, so a customer's card lists what they
asked before). The team answers most within the hour, asks the experts about cards, fraud,
mortgages and payments, and resolves everything older than a day; customers thank them before
it is resolved. On the morning of the app outage (`listening.demo.outage_day`) the app questions
pile up and are answered together once it is fixed. The last two days are still in progress:
a few conversations wait for a first answer, some for the customer, and each department has
escalations open, some taken by its expert (`OPEN_WORK`). Spam comes from the crowd's bots and is
filed as spam. Notifications about finished work were read (and e-mailed) back then; those about
the open escalations are unread, so a specialist's badge counts what their queue shows.

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
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import F, Max
from django.utils import timezone

from bankbuzz.accounts.models import Notification, User
from dashboards.services import rollup_refresh_mentions
from escalations import selectors as escalation_selectors
from escalations import services as escalation_services
from escalations.models import Department, Escalation, EscalationEvent, Kudos
from escalations.sla import add_working
from inbox import services as inbox_services
from inbox.models import Conversation, ConversationEvent
from listening.connectors import base
from listening.demo import HOURLY_SHAPE, outage_day
from listening.models import Author, Mention, SocialAccount
from listening.sandbox import content, world
from listening.services import mention_record_sent, mentions_ingest
from listening.threads import customer_thread_key

HISTORY_PREFIX = "demo-history-"
DAYS = 30
LONDON = zoneinfo.ZoneInfo("Europe/London")
P = Conversation.Priority
S = Conversation.Status

BANK_ACCOUNTS = {
    "x": world.BANK_X["user_id"],
    "facebook": world.BANK_FACEBOOK_PAGE["page_id"],
    "linkedin": world.BANK_LINKEDIN_ORG["urn"],
}
KIND = {"x": base.KIND_MENTION, "facebook": base.KIND_COMMENT, "linkedin": base.KIND_COMMENT}

# The tag an agent puts on a conversation of each topic (the dashboard's top tags).
TOPIC_TAGS = {
    "declined": "cards",
    "fraud": "fraud",
    "mortgage": "mortgages",
    "payments": "payments",
    "app": "app",
    "fees": "fees",
    "branch": "branches",
}

# topic: (customer messages, holding reply, final reply, department or None, priority)
TOPICS = {
    "declined": (
        [
            "My card was declined at Tesco again, third time this week. Embarrassing.",
            "Card declined paying for petrol, there is plenty of money in the account!",
            "Why does my debit card keep getting declined online?",
            "Contactless stopped working on my card since yesterday, chip and PIN is fine. Any idea?",
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
    "payments": (
        [
            "I sent my rent by transfer yesterday and it still has not arrived. Where is it?",
            "My standing order did not go out this month, the landlord is chasing me.",
            "International payment pending for four days now, is it stuck?",
        ],
        "Sorry for the worry. Please send us a private message with the date and amount (no account "
        "numbers) and we will check where the payment is.",
        "Our payments team found it: the transfer was held for a security check and has now arrived.",
        "Payments",
        P.NORMAL,
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
TOPIC_WEIGHTS = {"declined": 5, "fraud": 3, "mortgage": 3, "payments": 3, "app": 4, "fees": 3, "branch": 2}
OUTAGE_MESSAGES = [
    "Is the app down? Cannot log in since this morning.",
    "App says something went wrong every time I try to log in. Payday as well!",
    "Can't get into online banking or the app. What is going on?",
    "The login code never arrives and now I'm locked out of the app.",
]
OUTAGE_HOLDING = (
    "Sorry: our app and online banking are down this morning. Our engineers are on it and we will post "
    "here as soon as they are back. Card payments and cash machines work as normal."
)
OUTAGE_FIXED = "Good news: the app and online banking are working again. Sorry for the trouble this morning."
THANKS = [
    "Thank you so much, that was quick and really helpful!",
    "Brilliant, all sorted now. Thanks for your help!",
    "Thanks a lot, great service.",
]
NETWORK_WEIGHTS = {"x": 5, "facebook": 3, "linkedin": 2}
AGENTS = ["agent", "agent2", "agent", "agent2", "lead"]
EXPERTS = {"Cards": "cards", "Fraud": "fraud", "Mortgages": "specialist", "Payments": "specialist"}
# Conversations a working day and a weekend day; on the outage morning this many more about the app.
PER_WEEKDAY = (3, 6)
PER_WEEKEND = (1, 3)
OUTAGE_CONVERSATIONS = 5
# Everything that came in more than this long ago is finished: answered, asked, resolved.
IN_PROGRESS = dt.timedelta(hours=36)
# An open escalation's first warning is at least this far off when the demo starts.
CALM = dt.timedelta(minutes=20)
# The escalations still open now: (topic, about how many hours ago, taken by the expert). Each is
# moved later if needed so its first SLA warning is still ahead (`_calm`); Fraud answers within
# fifteen minutes, so its experts have taken theirs and asked the agent for the payments.
OPEN_WORK = [
    ("declined", 2, False),
    ("declined", 21, True),
    ("declined", 30, False),
    ("fraud", 1, True),
    ("fraud", 5, True),
    ("mortgage", 20, True),
    ("mortgage", 28, False),
    ("payments", 3, False),
    ("payments", 24, True),
]


@dataclass
class _Seed:
    rng: random.Random
    now: dt.datetime
    accounts: dict[str, SocialAccount]
    agents: list[User]
    experts: dict[str, User]
    departments: dict[str, Department]
    crowd: list[content.Customer] = field(default_factory=list)


def history_seeded() -> bool:
    return Mention.objects.filter(external_id__startswith=HISTORY_PREFIX).exists()


def seed_history(*, now: dt.datetime | None = None, seed: int = 7) -> int:
    """Create a month of past conversations; returns how many (0 when already there)."""
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
    rng = random.Random(seed)
    crowd = list(content.CUSTOMERS)
    rng.shuffle(crowd)
    ctx = _Seed(
        rng=rng,
        now=now,
        accounts=accounts,
        agents=agents,
        experts={dep: people[name] for dep, name in EXPERTS.items() if name in people},
        departments={d.name: d for d in Department.objects.filter(name__in=EXPERTS)},
        crowd=crowd,
    )
    notifications_before = _last_id(Notification.objects)
    networks = [n for n in NETWORK_WEIGHTS if n in accounts]
    weights = [NETWORK_WEIGHTS[n] for n in networks]
    hours = list(range(24))
    today = now.astimezone(LONDON).date()
    down = outage_day(today)
    count = 0
    for days_ago in range(DAYS, -1, -1):
        day = today - dt.timedelta(days=days_ago)
        weekend = day.weekday() >= 5
        low, high = PER_WEEKEND if weekend else PER_WEEKDAY
        for _ in range(rng.randint(low, high)):
            network = rng.choices(networks, weights)[0]
            topic = rng.choices(list(TOPIC_WEIGHTS), list(TOPIC_WEIGHTS.values()))[0]
            local = dt.datetime.combine(day, dt.time(rng.choices(hours, HOURLY_SHAPE)[0], rng.randint(0, 59)))
            t0 = local.replace(tzinfo=LONDON)
            if t0 > now - dt.timedelta(minutes=20):
                continue  # later today: not happened yet
            _conversation(ctx, count, network, topic, t0)
            count += 1
        if day == down:
            fixed = dt.datetime.combine(day, dt.time(12, rng.randint(0, 20)), tzinfo=LONDON)
            for _ in range(OUTAGE_CONVERSATIONS):
                local = dt.datetime.combine(day, dt.time(rng.randint(8, 11), rng.randint(0, 59)))
                network = rng.choices(["x", "facebook"], [3, 2])[0] if "facebook" in accounts else "x"
                _outage_conversation(ctx, count, network, local.replace(tzinfo=LONDON), fixed)
                count += 1
        if days_ago % 3 == 0 and "x" in accounts:
            local = dt.datetime.combine(day, dt.time(rng.randint(9, 21), rng.randint(0, 59)))
            if local.replace(tzinfo=LONDON) < now - dt.timedelta(minutes=20):
                _spam(ctx, count, local.replace(tzinfo=LONDON))
                count += 1
    for topic, hours_ago, taken in OPEN_WORK:
        department = ctx.departments.get(TOPICS[topic][3] or "")
        if department is None:
            continue
        network = rng.choices(networks, weights)[0]
        opened = now - dt.timedelta(hours=hours_ago)
        if not (taken and department.name == "Fraud"):  # Fraud's taken ones have paused clocks
            opened = _calm(department, TOPICS[topic][4], opened, now=now)
        t0 = opened - dt.timedelta(minutes=rng.randint(12, 30))
        _conversation(ctx, count, network, topic, t0, open_escalation=opened, taken=taken)
        count += 1
    _notifications_read(after=notifications_before)
    rollup_refresh_mentions(now=now, full=True)
    return count


def _customer(ctx: _Seed, n: int, network: str) -> base.FetchedAuthor:
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
    time the step happened in the history (the services stamp "now").

    Inside demo_seed's transaction nobody else writes (the web server, worker and beat start
    after it): every row newer than the block's start is this step's, found by id alone.
    `thread_key` names the conversation the step is about, for the reader.
    """
    last = [_last_id(model.objects) for model in (ConversationEvent, EscalationEvent, Notification)]
    yield
    ConversationEvent.objects.filter(id__gt=last[0]).update(created_at=at)
    EscalationEvent.objects.filter(id__gt=last[1]).update(created_at=at)
    Notification.objects.filter(id__gt=last[2]).update(created_at=at)


def _notifications_read(*, after: int) -> None:
    """The history's notifications were e-mailed when they happened, and read, except those about
    escalations still open: those are the specialists' unread work."""
    history = Notification.objects.filter(id__gt=after)
    history.update(emailed_at=F("created_at"))
    still_open = [
        f"/escalations/{pk}/"
        for pk in Escalation.objects.filter(state__in=Escalation.ACTIVE).values_list("pk", flat=True)
    ]
    history.exclude(url__in=still_open).update(read_at=F("created_at") + dt.timedelta(minutes=12))


def _response_delay(rng: random.Random, t0: dt.datetime) -> dt.timedelta:
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


def _start(ctx: _Seed, n: int, network: str, text: str, t0: dt.datetime, *, tag: str, reply_at: dt.datetime):
    """The customer's first message, taken and tagged by an agent before their first reply at
    `reply_at` (or before now); returns what the later steps need."""
    thread_key = f"{HISTORY_PREFIX}{network}-{n}"
    customer = _customer(ctx, n, network)
    conversation_key = customer_thread_key(thread_key, customer.external_id)

    def inbound(suffix: str, message: str, at: dt.datetime) -> Mention:
        item = base.FetchedItem(
            external_id=f"{thread_key}-{suffix}",
            kind=KIND[network],
            text=message,
            author=customer,
            created_at=at,
            thread_key=thread_key,
            raw={"demo_history": True},
        )
        return _ingest(ctx, network, item)

    with _happened_at(conversation_key, t0):
        first = inbound("in", text, t0)
    # The ingest met the customer today; the history met them with this message (or before).
    Author.objects.filter(pk=first.author_id, first_seen_at__gt=t0).update(first_seen_at=t0)
    conversation = Conversation.objects.get(network=network, thread_key=conversation_key)
    agent = ctx.agents[n % len(ctx.agents)]
    if tag:
        delay = (min(reply_at, ctx.now) - t0) / 3
        with _happened_at(conversation_key, t0 + delay):
            inbox_services.conversation_assign(
                actor=agent, conversation=conversation, assignee=agent, seen_version=None
            )
        with _happened_at(conversation_key, t0 + 2 * delay):
            inbox_services.conversation_tag_add(actor=agent, conversation=conversation, name=tag)
    return thread_key, customer, conversation_key, conversation, agent, inbound


def _conversation(
    ctx: _Seed,
    n: int,
    network: str,
    topic: str,
    t0: dt.datetime,
    *,
    open_escalation: dt.datetime | None = None,
    taken: bool = False,
) -> None:
    """One customer's conversation from their first message; `open_escalation` is when it is asked
    of the experts and left with them (taken by one when `taken`)."""
    rng = ctx.rng
    messages, holding, final, department_name, priority = TOPICS[topic]
    at = t0 + _response_delay(rng, t0)
    if open_escalation:
        at = t0 + (open_escalation - t0) * rng.uniform(0.3, 0.8)
    thread_key, customer, conversation_key, conversation, agent, inbound = _start(
        ctx, n, network, rng.choice(messages), t0, tag=TOPIC_TAGS[topic], reply_at=at
    )
    late = ctx.now - dt.timedelta(minutes=5)
    recent = ctx.now - t0 < IN_PROGRESS
    if at > late or (recent and not open_escalation and rng.random() < 0.25):
        return  # not answered yet: the backlog has a few, all from the last hours
    with _happened_at(conversation_key, at):
        _reply(ctx, network, conversation_key, f"{thread_key}-out1", holding, at)

    department = ctx.departments.get(department_name or "")
    expert = ctx.experts.get(department_name or "")
    escalation = None
    if (
        department is not None
        and expert is not None
        and (open_escalation or (not recent and rng.random() < 0.6))
    ):
        conversation.refresh_from_db()
        opened = open_escalation or at + dt.timedelta(minutes=rng.randint(2, 10))
        with _happened_at(conversation_key, opened):
            escalation = escalation_services.escalation_open(
                actor=agent,
                conversation=conversation,
                department=department,
                question=_question(topic, customer),
                priority=priority,
                now=opened,
            )
        if open_escalation:
            if taken:
                claimed = opened + min((ctx.now - opened) / 3, dt.timedelta(minutes=rng.randint(3, 30)))
                with _happened_at(conversation_key, claimed):
                    escalation = escalation_services.escalation_claim(actor=expert, escalation=escalation)
                if department.name == "Fraud":
                    # Fraud's clock is minutes: the expert answers at once that they need the payments.
                    with _happened_at(conversation_key, claimed + dt.timedelta(minutes=2)):
                        escalation_services.escalation_request_info(
                            actor=expert,
                            escalation=escalation,
                            question="Did the customer share any codes or card details, and which payments "
                            "do they not recognise? Ask them in a private message.",
                            now=claimed + dt.timedelta(minutes=2),
                        )
            return  # with the expert now
        due = escalation.response_due_at
        if rng.random() < 0.85:  # met: answered within the response target
            answered = opened + (due - opened) * rng.uniform(0.15, 0.85)
        else:  # breached: a busy day
            answered = due + dt.timedelta(minutes=rng.randint(20, 300))
        if answered > late - dt.timedelta(hours=2):
            # A deadline after the weekend: answered on the Friday evening or the weekend's shift.
            answered = opened + (late - dt.timedelta(hours=2) - opened) * rng.uniform(0.3, 0.9)
        with _happened_at(conversation_key, answered):
            escalation = escalation_services.escalation_answer(
                actor=expert,
                escalation=escalation,
                answer=_answer(topic),
                proposed_reply=final,
                now=answered,
            )
        at = answered + dt.timedelta(minutes=rng.randint(5, 60))
        if at > late:
            return
        with _happened_at(conversation_key, at):
            _reply(ctx, network, conversation_key, f"{thread_key}-out2", final, at)

    if recent and rng.random() < 0.5:
        # Answered, and the customer has not come back yet.
        if at + dt.timedelta(minutes=10) < late:
            with _happened_at(conversation_key, at + dt.timedelta(minutes=2)):
                inbox_services.conversation_set_status(
                    actor=agent, conversation=conversation, status=S.WAITING_CUSTOMER, seen_version=None
                )
        return
    if rng.random() < 0.35:
        at = at + dt.timedelta(minutes=rng.randint(10, 180))
        if at > late:
            return
        with _happened_at(conversation_key, at):
            thanks = inbound("thanks", rng.choice(THANKS), at)
            if escalation is not None:
                given = escalation_services.kudos_from_mentions(mention_ids=[thanks.pk])
                Kudos.objects.filter(pk__in=[k.pk for k in given]).update(created_at=at)
    resolved = at + dt.timedelta(minutes=rng.randint(5, 90))
    if resolved > late:
        return
    _resolve(conversation_key, conversation, agent, resolved)


def _calm(department: Department, priority: int, wanted: dt.datetime, *, now: dt.datetime) -> dt.datetime:
    """`wanted`, or the latest time before now when an escalation opened then would not yet have
    warned of its first-response deadline: the demo starts with work in hand, not with alarms."""
    hours = escalation_selectors.working_hours(department)
    response, _resolution = escalation_selectors.sla_minutes(department, priority)

    def calm(opened: dt.datetime) -> bool:
        return add_working(opened, response * 60 * escalation_services.WARN_AT, hours) > now + CALM

    if calm(wanted):
        return wanted
    early, late = wanted, now - dt.timedelta(minutes=10)
    for _ in range(12):
        middle = early + (late - early) / 2
        early, late = (early, middle) if calm(middle) else (middle, late)
    return late


def _resolve(conversation_key: str, conversation: Conversation, agent: User, at: dt.datetime) -> None:
    with _happened_at(conversation_key, at):
        conversation = inbox_services.conversation_resolve(
            actor=agent, conversation=conversation, seen_version=None
        )
    # The service stamps "now"; the history resolved it back then.
    Conversation.objects.filter(pk=conversation.pk).update(resolved_at=at)


def _outage_conversation(ctx: _Seed, n: int, network: str, t0: dt.datetime, fixed: dt.datetime) -> None:
    """A customer locked out on the outage morning: told it is being fixed, then that it is."""
    rng = ctx.rng
    at = t0 + dt.timedelta(minutes=rng.randint(3, 30))
    thread_key, _, conversation_key, conversation, agent, inbound = _start(
        ctx, n, network, rng.choice(OUTAGE_MESSAGES), t0, tag="app", reply_at=at
    )
    with _happened_at(conversation_key, at):
        _reply(ctx, network, conversation_key, f"{thread_key}-out1", OUTAGE_HOLDING, at)
    at = fixed + dt.timedelta(minutes=rng.randint(1, 25))
    with _happened_at(conversation_key, at):
        _reply(ctx, network, conversation_key, f"{thread_key}-out2", OUTAGE_FIXED, at)
    if rng.random() < 0.3:
        at += dt.timedelta(minutes=rng.randint(5, 60))
        with _happened_at(conversation_key, at):
            inbound("thanks", rng.choice(THANKS), at)
    _resolve(conversation_key, conversation, agent, at + dt.timedelta(minutes=rng.randint(5, 40)))


def _spam(ctx: _Seed, n: int, t0: dt.datetime) -> None:
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
    with _happened_at(customer_thread_key(thread_key, bot.x_id), t0):
        mention = _ingest(ctx, "x", item)
    Author.objects.filter(pk=mention.author_id, first_seen_at__gt=t0).update(first_seen_at=t0)


def _question(topic: str, customer: base.FetchedAuthor) -> str:
    who = f"@{customer.handle}" if customer.handle else customer.name
    return {
        "declined": f"{who}'s card keeps being declined although there is money in the account. "
        "Is there a block on it, and can it be lifted?",
        "fraud": f"{who} may have been defrauded (payments they did not make, or a scam message). Can you "
        "check the account and stop the card if needed?",
        "mortgage": f"{who} is waiting for news on their mortgage application. What is the status?",
        "payments": f"{who}'s payment has not arrived. Can you see where it is?",
    }.get(topic, f"Can you check {who}'s question?")


def _answer(topic: str) -> str:
    return {
        "declined": "A fraud check had blocked the card after an unusual payment. Lifted; it works again.",
        "fraud": "Card stopped, the three payments are disputed and will be refunded within two days.",
        "mortgage": "The valuation came back; the offer goes out today. The customer gets a secure message.",
        "payments": "The transfer was held for a security check on a new payee. Released; it has arrived.",
    }.get(topic, "Checked and sorted on our side.")
