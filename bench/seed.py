"""Realistic data at scale, written with COPY (never the ORM) into a freshly migrated database.

What a bank's year of social traffic looks like, roughly:

- about a third of the mentions belong to conversations the team works on (customer messages
  and the bank's replies); the other two thirds are listening hits that never open one;
- networks: X 60 %, Facebook 30 %, LinkedIn 10 %;
- threads: most are one or two messages, a long tail up to ~60, plus one 500-message thread
  (the conversation page's worst case);
- statuses: most conversations are resolved, a few thousand are active at 1M;
- assignees: a team of agents, unassigned mostly for new conversations;
- tags: about half of the conversations carry one or two;
- texts come from the sandbox's own customer generator, enriched once per distinct text by the
  real enrichment (so personal-data findings, sentiment, priority and spam flags are real).

Columns are taken from the models, and a field the seeder does not know gets its model
default, so a new column added by the inbox does not break the benchmark.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.db import connection, models

SEED = 20261122
NETWORK_WEIGHTS = (("x", 60), ("facebook", 30), ("linkedin", 10))
STATUS_WEIGHTS = (
    ("resolved", 72),
    ("spam", 4),
    ("new", 4),
    ("open", 9),
    ("waiting_customer", 6),
    ("waiting_expert", 5),
)
PRIORITY_WEIGHTS = ((0, 10), (1, 70), (2, 15), (3, 5))
# Thread length buckets: (low, high, weight).
THREAD_LENGTHS = ((1, 1, 45), (2, 2, 25), (3, 5, 20), (6, 20, 9), (21, 60, 1))
LONG_THREAD_KEY = "bench-long-thread"
LONG_THREAD_LENGTH = 500
AGENTS = 12
TAG_NAMES = (
    "card-declined",
    "fraud",
    "app-outage",
    "fees",
    "mortgage",
    "transfer",
    "complaint",
    "praise",
    "vulnerable",
    "escalated",
    "refund",
    "abroad",
    "contactless",
    "login",
    "chargeback",
    "overdraft",
    "savings",
    "isa",
    "loan",
    "branch",
    "press",
    "influencer",
    "pii",
    "duplicate",
    "follow-up",
    "callback",
    "cost-of-living",
    "accessibility",
    "business",
    "student",
)
BANK_REPLIES = (
    "Hi {name}, sorry to hear that. Please send us a DM with your postcode (never your card number) "
    "and we'll look into it straight away.",
    "Thanks for letting us know, {name}. Our app team is aware and working on a fix; "
    "status updates at northbridge.example/status.",
    "Hi {name}, that shouldn't happen. Could you DM us the date and amount? We'll check it for you.",
    "Glad we could help, {name}! Have a lovely day.",
    "Hi {name}, transfers can take up to two hours the first time. If it's still missing after "
    "that, DM us and we'll chase it.",
    "{name}, please don't share card numbers in public. We've hidden your post; DM us and we'll help.",
)
DAY = dt.timedelta(days=1)
# The mean of THREAD_LENGTHS (what a conversation scale's mention count works out to) and the
# listening hits a conversation scale adds per conversation.
MENTIONS_PER_CONVERSATION = 3.3
LISTENING_PER_CONVERSATION = 0.1


# --- COPY -------------------------------------------------------------------------------------


def _text_value(value) -> str:
    """One value in COPY's text format."""
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def copy_rows(table: str, columns: list[str], rows: Iterable[tuple], *, chunk: int = 20_000) -> int:
    """COPY `rows` into `table` in chunks; returns the number of rows."""
    count = 0
    buffer = io.StringIO()
    in_buffer = 0
    sql = f'COPY "{table}" ({", ".join(f"{c}" for c in columns)}) FROM STDIN'
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for row in rows:
            buffer.write("\t".join(_text_value(v) for v in row))
            buffer.write("\n")
            in_buffer += 1
            if in_buffer >= chunk:
                buffer.seek(0)
                raw.copy_expert(sql, buffer)
                count += in_buffer
                buffer, in_buffer = io.StringIO(), 0
        if in_buffer:
            buffer.seek(0)
            raw.copy_expert(sql, buffer)
            count += in_buffer
    return count


def model_columns(model: type[models.Model], values: dict, *, skip: tuple[str, ...] = ()) -> tuple:
    """(columns, defaults) for `model`: every concrete column, known values first, defaults for the rest."""
    columns, defaults = [], {}
    for f in model._meta.concrete_fields:
        if f.name in skip or f.attname in skip:
            continue
        columns.append(f.column)
        if f.has_default():
            default = f.get_default()
            defaults[f.column] = default
        elif f.null:
            defaults[f.column] = None
        elif isinstance(f, (models.CharField, models.TextField)):
            defaults[f.column] = ""
    return columns, defaults


class Table:
    """Rows as dicts keyed by attname, written through COPY in the model's column order."""

    def __init__(self, model: type[models.Model], sample: dict, *, skip: tuple[str, ...] = ()):
        self.model = model
        self.fields = [f for f in model._meta.concrete_fields if f.name not in skip and f.attname not in skip]
        self.columns, self.defaults = model_columns(model, sample, skip=skip)

    def row(self, values: dict) -> tuple:
        out = []
        for f in self.fields:
            if f.attname in values:
                out.append(values[f.attname])
            elif f.name in values:
                out.append(values[f.name])
            elif f.column in self.defaults:
                out.append(self.defaults[f.column])
            else:
                raise RuntimeError(f"bench seed does not know how to fill {self.model.__name__}.{f.name}")
        return tuple(out)

    def copy(self, rows: Iterable[dict], *, table: str | None = None) -> int:
        return copy_rows(table or self.model._meta.db_table, self.columns, (self.row(r) for r in rows))


def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """(name, definition) of the indexes of `table` that no constraint owns."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_class t ON t.oid = x.indrelid
            LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid
            WHERE t.relname = %s AND c.oid IS NULL
            """,
            [table],
        )
        return list(cursor.fetchall())


class IndexesDropped:
    """Drop a table's secondary indexes for a bulk load, and build them again after."""

    def __init__(self, *tables: str):
        self.tables = tables
        self.saved: list[tuple[str, str]] = []

    def __enter__(self):
        with connection.cursor() as cursor:
            for table in self.tables:
                for name, definition in secondary_indexes(table):
                    self.saved.append((name, definition))
                    cursor.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            for _name, definition in self.saved:
                cursor.execute(definition)


# --- Content ------------------------------------------------------------------------------------


@dataclass
class Text:
    text: str
    masked: str
    lang: str
    sentiment_score: float | None
    sentiment_label: str
    pii_findings: list
    has_pii: bool
    priority_hint: str
    intent: str
    is_spam: bool
    sentiment_confidence: float | None = None
    intent_confidence: float | None = None
    lang_confidence: float | None = None
    needs_reply: bool | None = None
    needs_reply_confidence: float | None = None


def text_pool(rng: random.Random, size: int) -> dict[str, list[Text]]:
    """Distinct customer texts by channel, enriched once each by the real enrichment."""
    from devtools.sandbox import content
    from listening.connectors.base import FetchedAuthor, FetchedItem
    from listening.enrichment import stored as enrichment_bridge

    raw: dict[str, list[tuple[str, str]]] = {
        "x": [],
        "facebook": [],
        "linkedin": [],
        "direct": [],
        "search": [],
    }
    for _ in range(size):
        for network in ("x", "facebook", "linkedin"):
            topic = content.pick_topic(rng)
            hostile = rng.random() < 0.02
            if rng.random() < 0.25:
                raw[network].append((content.compose_follow_up(rng, network=network), network))
            else:
                raw[network].append(
                    (content.compose(rng, topic=topic, network=network, hostile=hostile), network)
                )
        raw["direct"].append((content.compose_direct(rng, hostile=rng.random() < 0.03), "x"))
        raw["search"].append((content.compose_brand_talk(rng, topic=content.pick_topic(rng)), "x"))
    author = FetchedAuthor(external_id="1", handle="someone")
    now = dt.datetime.now(dt.UTC)
    pool: dict[str, list[Text]] = {}
    for key, texts in raw.items():
        items = [
            FetchedItem(
                external_id=str(i),
                kind="mention",
                text=t.replace("\x00", ""),
                author=author,
                created_at=now,
                thread_key=str(i),
                raw={},
                lang="en" if net == "x" and i % 3 else "",
            )
            for i, (t, net) in enumerate(texts)
        ]
        enriched = enrichment_bridge.enrich_items(items)
        pool[key] = [
            Text(
                text=item.text,
                masked=enrichment_bridge.masked_text(item.text, e.pii_findings) if e.has_pii else item.text,
                **dataclasses.asdict(e),
            )
            for item, e in zip(items, enriched, strict=True)
        ]
    return pool


def pick(rng: random.Random, weighted: tuple[tuple, ...]):
    values = [w[0] for w in weighted]
    weights = [w[-1] for w in weighted]
    return rng.choices(values, weights=weights)[0]


def thread_length(rng: random.Random) -> int:
    low, high = pick(rng, tuple(((lo, hi), w) for lo, hi, w in THREAD_LENGTHS))
    return rng.randint(low, high)


# --- The seed -----------------------------------------------------------------------------------


@dataclass
class Seeded:
    mentions: int
    conversations: int
    authors: int
    long_conversation_id: int
    agent_username: str
    seconds: float
    search_word: str = "declined"


def _users(rng: random.Random):
    from django.contrib.auth import get_user_model

    from bankbuzz.accounts import roles
    from bankbuzz.accounts.services import user_set_role
    from bench.login import PEOPLE, enrol

    user_model = get_user_model()
    people = []
    for index in range(AGENTS):
        user = user_model.objects.create_user(
            username=f"agent{index:02d}", password=None, first_name=f"Agent{index:02d}", last_name="Bench"
        )
        user_set_role(actor=None, user=user, role=roles.AGENT)
        people.append(user)
    for username, role in (
        ("lead01", roles.LEAD),
        ("manager01", roles.MANAGER),
        ("spec01", roles.SPECIALIST),
    ):
        user = user_model.objects.create_user(username=username, password=None)
        user_set_role(actor=None, user=user, role=role)
    # The people whose pages are measured log in through the forms, both factors (bench.login).
    for user in user_model.objects.filter(username__in=PEOPLE):
        enrol(user)
    return people


def _accounts():
    from devtools.sandbox import world
    from listening.models import SocialAccount

    made = {}
    for network, external_id, handle in (
        ("x", world.BANK_X["user_id"], world.BANK_X["handle"]),
        ("facebook", world.BANK_FACEBOOK_PAGE["page_id"], world.BANK_FACEBOOK_PAGE["username"]),
        ("linkedin", world.BANK_LINKEDIN_ORG["id"], world.BANK_LINKEDIN_ORG["vanity_name"]),
    ):
        made[network] = SocialAccount.objects.create(
            network=network,
            external_id=external_id,
            handle=handle,
            name=world.BANK_NAME,
            is_active=False,  # seeded history: nothing polls these in the bench
        )
    return made


def seed(
    total: int,
    *,
    log=print,
    pool_size: int | None = None,
    conversations_target: int | None = None,
    history_days: int = 365,
) -> Seeded:
    """Write about `total` mentions (a third in conversations) and everything around them.

    With `conversations_target`, write that many conversations instead (about 3.3 mentions each)
    plus a tenth as many listening hits, and `total` is ignored: the conversation scales.
    `history_days`: how far back resolved conversations and listening hits go.
    """
    if conversations_target is not None:
        total = round(conversations_target * (MENTIONS_PER_CONVERSATION + LISTENING_PER_CONVERSATION))
    from devtools.sandbox.content import FIRST_NAMES, LAST_NAMES
    from inbox.models import Conversation, ConversationEvent, Tag
    from listening.models import Author, Mention

    started = time.monotonic()
    rng = random.Random(SEED)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    agents = _users(rng)
    accounts = _accounts()
    tags = Tag.objects.bulk_create(Tag(name=name) for name in TAG_NAMES)
    pool = text_pool(rng, pool_size or (400 if total <= 10_000 else 1500))
    log(f"  users, accounts, tags and a pool of {sum(map(len, pool.values()))} enriched texts ready")

    # -- authors: a crowd where a few people write a lot (one author row per network) --
    n_authors = max(300, total // 3)
    bank_author_ids = {}
    author_rows = []
    authors_by_network: dict[str, list[tuple[int, str, str]]] = {"x": [], "facebook": [], "linkedin": []}
    for index in range(1, n_authors + 1):
        network = pick(rng, NETWORK_WEIGHTS)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        handle = f"{first.lower()}_{last.lower()}{index}"[:30].replace("'", "")
        handle = "".join(ch for ch in handle if ch.isascii() and (ch.isalnum() or ch == "_"))
        name = f"{first} {last}"
        authors_by_network[network].append((index, handle, name))
        author_rows.append(
            {
                "id": index,
                "network": network,
                "external_id": f"{network}-{1_300_000_000 + index}",
                "handle": handle,
                "name": name,
                "avatar_url": f"https://pbs.example/{handle}.png",
                "profile_url": f"https://{network}.example/{handle}",
                "followers": int(rng.lognormvariate(5.5, 1.6)),
                "verified": rng.random() < 0.01,
                "first_seen_at": now - rng.random() * 400 * DAY,
                "updated_at": now,
            }
        )
    for offset, (network, account) in enumerate(accounts.items(), start=1):
        author_id = n_authors + offset
        bank_author_ids[network] = author_id
        author_rows.append(
            {
                "id": author_id,
                "network": network,
                "external_id": account.external_id,
                "handle": account.handle,
                "name": account.name,
                "avatar_url": "",
                "profile_url": "",
                "followers": 48_000,
                "verified": True,
                "first_seen_at": now - 400 * DAY,
                "updated_at": now,
            }
        )
    author_table = Table(Author, author_rows[0])
    author_table.copy(author_rows)
    log(f"  {len(author_rows):,} authors")

    # Zipf-ish choice of authors: a few write a lot.
    def author_for(network: str) -> tuple[int, str, str]:
        crowd = authors_by_network[network]
        return crowd[min(len(crowd) - 1, int(rng.paretovariate(1.2)) - 1 + rng.randrange(len(crowd)) // 3)]

    mention_sample = {
        "id": 1,
        "network": "x",
        "external_id": "",
        "account_id": 1,
        "author_id": 1,
        "kind": "",
        "direction": "",
        "text": "",
        "url": "",
        "thread_key": "",
        "in_reply_to": "",
        "created_at": now,
        "received_at": now,
        "raw": {},
        "edit_history": [],
        "lang": "",
        "sentiment_score": None,
        "sentiment_label": "",
        "pii_findings": [],
        "has_pii": False,
        "priority_hint": "",
        "intent": "",
        "is_spam": False,
    }
    mention_table = Table(Mention, mention_sample)
    conv_fields = {f.name for f in Conversation._meta.concrete_fields}
    has_search = "search_vector" in conv_fields
    conversation_table = Table(Conversation, {"id": 1}, skip=("search_vector",) if has_search else ())
    event_table = Table(ConversationEvent, {"id": 1})
    through = Conversation.tags.through
    tag_table = Table(through, {"id": 1})

    mention_id = 0
    conversation_id = 0
    event_id = 0
    counters = {"mentions": 0}

    def mention_row(*, network, author, kind, direction, text: Text, thread_key, created_at, in_reply_to=""):
        nonlocal mention_id
        mention_id += 1
        author_id, handle, name = author
        external_id = f"{network}{9_000_000_000 + mention_id}"
        raw = {
            "tweet" if network == "x" else "item": {
                "id": external_id,
                "text": text.text,
                "author_id": str(author_id),
                "created_at": created_at.isoformat(),
                "conversation_id": thread_key,
                "lang": text.lang or "en",
                "edit_history_tweet_ids": [external_id],
            },
            "author": {"id": str(author_id), "username": handle, "name": name},
        }
        return {
            "id": mention_id,
            "network": network,
            "external_id": external_id,
            "account_id": accounts[network].pk,
            "author_id": author_id,
            "kind": kind,
            "direction": direction,
            "text": text.text,
            "url": f"https://{network}.example/{handle}/status/{external_id}",
            "thread_key": thread_key,
            "in_reply_to": in_reply_to,
            "created_at": created_at,
            "received_at": created_at + dt.timedelta(seconds=20),
            "raw": raw,
            "edit_history": [],
            "lang": text.lang,
            "sentiment_score": text.sentiment_score,
            "sentiment_label": text.sentiment_label,
            "pii_findings": text.pii_findings,
            "has_pii": text.has_pii,
            "priority_hint": text.priority_hint,
            "intent": text.intent,
            "is_spam": text.is_spam,
            "sentiment_confidence": text.sentiment_confidence,
            "intent_confidence": text.intent_confidence,
            "lang_confidence": text.lang_confidence,
            "needs_reply": text.needs_reply,
            "needs_reply_confidence": text.needs_reply_confidence,
        }

    bank_text_cache: dict[str, Text] = {}

    def bank_text(name: str) -> Text:
        template = rng.choice(BANK_REPLIES)
        body = template.format(name=name.split()[0])
        if body not in bank_text_cache:
            bank_text_cache[body] = Text(body, body, "en", None, "", [], False, "", "", False)
        return bank_text_cache[body]

    conversations: list[dict] = []
    events: list[dict] = []
    tag_links: list[dict] = []
    long_id = 0

    def thread(
        network: str,
        length: int,
        *,
        thread_key: str | None = None,
        status: str | None = None,
        end: dt.datetime | None = None,
        assignee_id=None,
    ) -> Iterator[dict]:
        """One conversation of `length` messages: yields its mentions, records the conversation."""
        nonlocal conversation_id, event_id, long_id
        conversation_id += 1
        author = author_for(network)
        status = status or pick(rng, STATUS_WEIGHTS)
        # Active conversations are recent; resolved ones spread over the year.
        age = rng.random() * (
            14 if status in ("new", "open", "waiting_customer", "waiting_expert") else history_days
        )
        end = end or now - age * DAY
        span = dt.timedelta(minutes=rng.randint(5, 60 * 24 * 3)) * min(length, 20) / 5
        start = end - span
        direct = network != "linkedin" and rng.random() < 0.15
        key = thread_key or (f"dm:{network}-{conversation_id}" if direct else f"{network}-t{conversation_id}")
        texts = pool["direct"] if direct else pool[network]
        first_text = None
        last_in_text = None
        first_response = None
        last_inbound = start
        bank = (bank_author_ids[network], accounts[network].handle, accounts[network].name)
        version = 1
        for position in range(length):
            at = start + (span * position / max(1, length - 1) if length > 1 else dt.timedelta())
            outbound = position > 0 and rng.random() < 0.4
            if outbound:
                text = bank_text(author[2])
                kind = "direct" if direct else ("reply" if network == "x" else "comment")
                yield mention_row(
                    network=network,
                    author=bank,
                    kind=kind,
                    direction="out",
                    text=text,
                    thread_key=key,
                    created_at=at,
                )
                first_response = first_response or at
                event_kind, event_text = "reply", "the bank replied"
            else:
                text = rng.choice(texts)
                first_text = first_text or text
                last_in_text = text
                last_inbound = at
                kind = "direct" if direct else ("mention" if position == 0 else "reply")
                if network != "x" and not direct:
                    kind = "comment"
                yield mention_row(
                    network=network,
                    author=author,
                    kind=kind,
                    direction="in",
                    text=text,
                    thread_key=key,
                    created_at=at,
                )
                event_kind = "opened" if position == 0 else "message"
                event_text = f"@{author[1]} wrote" if position == 0 else f"@{author[1]} wrote again"
            if position:
                version += 1
            event_id += 1
            events.append(
                {
                    "id": event_id,
                    "conversation_id": conversation_id,
                    "actor_id": None,
                    "kind": event_kind,
                    "text": event_text,
                    "data": {},
                    "version": version,
                    "created_at": at,
                }
            )
        if first_text is None:
            return
        if first_text.is_spam and rng.random() < 0.8:
            status = "spam"
        if status == "new":
            assignee = None
        elif assignee_id is not None:
            assignee = assignee_id
        else:
            assignee = rng.choice(agents).pk if rng.random() < 0.85 else None
        priority = max(pick(rng, PRIORITY_WEIGHTS), 3 if first_text.priority_hint == "urgent" else 0)
        resolved_at = end + dt.timedelta(minutes=rng.randint(1, 600)) if status == "resolved" else None
        if status in ("resolved", "waiting_customer") and first_response is None:
            first_response = start + dt.timedelta(minutes=rng.randint(3, 240))
        masked = last_in_text.masked
        conversations.append(
            {
                "id": conversation_id,
                "network": network,
                "thread_key": key,
                "account_id": accounts[network].pk,
                "customer_id": author[0],
                "status": status,
                "priority": priority,
                "assignee_id": assignee,
                "preview": masked[:280],
                "has_pii": first_text.has_pii or last_in_text.has_pii,
                "sentiment_label": last_in_text.sentiment_label,
                "lang": first_text.lang,
                "kind": "direct" if direct else ("mention" if network == "x" else "comment"),
                "message_count": length,
                "first_received_at": start,
                "first_response_at": first_response,
                "resolved_at": resolved_at,
                "last_inbound_at": last_inbound,
                "last_activity_at": max(end, last_inbound),
                "version": version,
                "search_handle": author[1].lower()[:100],
                "_who": f"{author[1]} {author[1].replace('_', ' ')} {author[2]}",
            }
        )
        if thread_key == LONG_THREAD_KEY:
            long_id = conversation_id
        roll = rng.random()
        chosen = rng.sample(tags, 2) if roll < 0.15 else [rng.choice(tags)] if roll < 0.55 else []
        for tag in chosen:
            tag_links.append({"id": len(tag_links) + 1, "conversation_id": conversation_id, "tag_id": tag.pk})

    def listening_hit(network: str) -> dict:
        author = author_for(network)
        text = rng.choice(pool["search"] if network == "x" else pool[network])
        at = now - rng.random() * history_days * DAY
        row = mention_row(
            network=network,
            author=author,
            kind="search" if network == "x" else "post",
            direction="in",
            text=text,
            thread_key=f"{network}-l{mention_id + 1}",
            created_at=at,
        )
        # Listening hits stay out of the inbox (used where the model has the flag).
        row["for_inbox"] = False
        return row

    def all_mentions() -> Iterator[dict]:
        yield from thread(
            "x",
            LONG_THREAD_LENGTH,
            thread_key=LONG_THREAD_KEY,
            status="open",
            end=now,
            assignee_id=agents[0].pk,
        )
        if conversations_target is not None:
            while conversation_id < conversations_target:
                yield from thread(pick(rng, NETWORK_WEIGHTS), thread_length(rng))
            for _ in range(round(conversations_target * LISTENING_PER_CONVERSATION)):
                yield listening_hit(pick(rng, NETWORK_WEIGHTS))
            return
        in_conversations = total // 3
        while mention_id < in_conversations:
            yield from thread(pick(rng, NETWORK_WEIGHTS), thread_length(rng))
        while mention_id < total:
            yield listening_hit(pick(rng, NETWORK_WEIGHTS))

    # Per-thread search text: the masked text of the newest 200 messages, as conversation_reindex does.
    search_docs: dict[str, list[str]] = {}
    mention_text_masked: dict[str, str] = {}

    def tracked(rows: Iterator[dict]) -> Iterator[dict]:
        for row in rows:
            counters["mentions"] += 1
            if not row["thread_key"].startswith(("x-l", "facebook-l", "linkedin-l")):
                masked = mention_text_masked.get(row["text"])
                if masked is None:
                    masked = row["text"]
                search_docs.setdefault(row["thread_key"], []).append(masked[:2000])
            yield row

    for texts in pool.values():
        for t in texts:
            mention_text_masked[t.text] = t.masked

    with IndexesDropped(Mention._meta.db_table):
        mention_table.copy(tracked(all_mentions()))
    log(f"  {counters['mentions']:,} mentions")

    with IndexesDropped(
        Conversation._meta.db_table, ConversationEvent._meta.db_table, through._meta.db_table
    ):
        if has_search:
            _copy_conversations_with_search(conversation_table, conversations, search_docs)
        else:
            conversation_table.copy(
                {k: v for k, v in c.items() if not k.startswith("_")} for c in conversations
            )
        event_table.copy(events)
        tag_table.copy(tag_links)
    log(f"  {len(conversations):,} conversations, {len(events):,} events, {len(tag_links):,} tag links")
    escalation_models = _seed_escalations(rng, conversations, agents=agents, now=now)
    if escalation_models:
        log(f"  escalations for {sum(1 for c in conversations if c.get('_escalated')):,} conversations")

    with connection.cursor() as cursor:
        for model in (Author, Mention, Conversation, ConversationEvent, through):
            table = model._meta.db_table
            # Our own table names, from the models.
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"'])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT setval(%s, (SELECT max(id) FROM " + f'"{table}"' + "))", [sequence])  # noqa: S608
        # VACUUM sets the visibility map (index-only scans); it cannot run inside a transaction.
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        for model in (Author, Mention, Conversation, ConversationEvent, through, Tag, *escalation_models):
            cursor.execute(f'{vacuum} "{model._meta.db_table}"')
    _refresh_rollups(log)
    return Seeded(
        mentions=counters["mentions"],
        conversations=len(conversations),
        authors=len(author_rows),
        long_conversation_id=long_id,
        agent_username=agents[0].username,
        seconds=time.monotonic() - started,
    )


def _refresh_rollups(log) -> None:
    """What beat keeps up to date in production (the dashboards' hourly rollup and the figures of
    the standard periods), done once here."""
    try:
        from dashboards.services import figures_refresh, rollup_refresh_mentions
    except ImportError:
        return
    started = time.monotonic()
    rollup_refresh_mentions(full=True)
    log(f"  dashboard rollups refreshed in {time.monotonic() - started:.1f} s")
    took = figures_refresh()
    log("  dashboard figures of " + ", ".join(f"{k} in {v:.1f} s" for k, v in took.items()))


DEPARTMENTS = (
    ("Cards", "declined\ncontactless\ncard blocked\nchargeback"),
    ("Fraud", "fraud\nscam\nstolen\nphishing\nnever been to"),
    ("Mortgages", "mortgage\nremortgage\nvaluation"),
    ("Payments", "transfer\npayment\nstanding order\nnot arrived"),
    ("Digital banking", "app\nlog in\nlogin\nonline banking"),
    ("Complaints", "complaint\nrefund\nombudsman"),
)
ESCALATION_QUESTIONS = (
    "Customer says the card was declined three times today; can you see a block on it?",
    "Possible fraud: a payment the customer does not recognise. What should we tell them in public?",
    "Mortgage application stuck at valuation for three weeks; is there an update we can share?",
    "Transfer not arrived after two days; can payments trace it?",
    "Customer locked out of the app after a password reset; known issue?",
)


def _seed_escalations(rng: random.Random, conversations: list[dict], *, agents, now) -> tuple:
    """Departments, routing rules and escalations (COPY), when the escalations app has them."""
    try:
        from escalations.models import Department, Escalation, RoutingRule
    except ImportError:
        return ()
    from django.contrib.auth import get_user_model

    specialist = get_user_model().objects.get(username="spec01")
    departments = []
    for name, phrases in DEPARTMENTS:
        department = Department.objects.create(name=name)
        departments.append(department)
        RoutingRule.objects.create(name=f"{name} words", phrases=phrases, department=department)
    for department in departments[:2]:
        department.members.add(specialist)
    rows = []
    for c in conversations:
        if c["status"] == "waiting_expert":
            state = "open" if rng.random() < 0.8 else "waiting_agent"
        elif c["status"] == "resolved" and rng.random() < 0.1:
            state = "closed"
        else:
            continue
        c["_escalated"] = True
        opened = c["last_inbound_at"] + dt.timedelta(minutes=rng.randint(5, 120))
        if state != "closed":
            opened = min(opened, now - dt.timedelta(minutes=rng.randint(5, 60 * 30)))
        response_due = opened + dt.timedelta(hours=4)
        resolution_due = opened + dt.timedelta(days=2)
        answered = state == "closed" or (state == "waiting_agent" and rng.random() < 0.5)
        rows.append(
            {
                "id": len(rows) + 1,
                "conversation_id": c["id"],
                "department_id": rng.choice(departments).pk,
                "question": rng.choice(ESCALATION_QUESTIONS),
                "priority": min(3, c["priority"]),
                "state": state,
                "requested_by_id": c["assignee_id"] or agents[0].pk,
                "assignee_id": specialist.pk if rng.random() < 0.3 else None,
                "answer": "Checked: the block is lifted." if answered else "",
                "proposed_reply": "",
                "info_request": "Which merchant was it?" if state == "waiting_agent" else "",
                "answered_by_id": specialist.pk if answered else None,
                "opened_at": opened,
                "first_response_at": opened + dt.timedelta(minutes=50) if state != "open" else None,
                "answered_at": opened + dt.timedelta(hours=3) if answered else None,
                "closed_at": opened + dt.timedelta(hours=5) if state == "closed" else None,
                "response_due_at": response_due,
                "response_warn_at": response_due - dt.timedelta(hours=1),
                "resolution_due_at": resolution_due,
                "resolution_warn_at": resolution_due - dt.timedelta(hours=8),
                "paused_at": now if state == "waiting_agent" else None,
                "due_at": (response_due if state == "open" else None),
            }
        )
    if rows:
        with IndexesDropped(Escalation._meta.db_table):
            Table(Escalation, rows[0]).copy(rows)
        with connection.cursor() as cursor:
            table = Escalation._meta.db_table
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"'])
            cursor.execute("SELECT setval(%s, %s)", [cursor.fetchone()[0], len(rows)])
    return (Escalation, Department)


def _copy_conversations_with_search(
    table: Table, conversations: list[dict], docs: dict[str, list[str]]
) -> None:
    """COPY into an unlogged staging table, then one INSERT ... SELECT computes the search vectors."""
    db_table = table.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE UNLOGGED TABLE bench_conversation_staging (LIKE "{db_table}")')
        cursor.execute("ALTER TABLE bench_conversation_staging DROP COLUMN search_vector")
        cursor.execute(
            "ALTER TABLE bench_conversation_staging ADD COLUMN bench_who text, ADD COLUMN bench_doc text"
        )

    def rows():
        for c in conversations:
            values = {k: v for k, v in c.items() if not k.startswith("_")}
            newest = docs.get(c["thread_key"], [])[-200:]
            yield (*table.row(values), c["_who"], "\n".join(reversed(newest)))

    copy_rows("bench_conversation_staging", [*table.columns, "bench_who", "bench_doc"], rows())
    columns = ", ".join(table.columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO "{db_table}" ({columns}, search_vector)
            SELECT {columns},
                   setweight(to_tsvector('simple', coalesce(bench_who, '')), 'A')
                || setweight(to_tsvector('english', coalesce(bench_doc, '')), 'B')
                || setweight(to_tsvector('simple', coalesce(bench_doc, '')), 'C')
            FROM bench_conversation_staging
            """  # noqa: S608 - our own column names
        )
        cursor.execute("DROP TABLE bench_conversation_staging")
