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

import bisect
import dataclasses
import datetime as dt
import io
import itertools
import json
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, models

from bench.seedcomplaints import LABELLED as COMPLAINT_LABELS
from bench.seedcomplaints import SAMPLE as COMPLAINT_SAMPLE
from bench.seedcomplaints import Candidate, seed_complaints
from bench.seedcopy import (
    TEXT_KEYS,
    LoadWindow,
    copy_escape,
    copy_file,
    copy_lines,
    json_value,
    line_function,
    line_template,
    run_two_at_a_time,
    spool,
    text_columns,
)

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
TWENTY_SECONDS = dt.timedelta(seconds=20)
ACTIVE_STATUSES = ("new", "open", "waiting_customer", "waiting_expert")
NULL = r"\N"
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
    # The COPY text of its columns (`bench.seedcopy.text_columns`), set by the seed.
    cols: Any = dataclasses.field(default=None, repr=False, compare=False)


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


def picker(rng: random.Random, weighted: tuple[tuple, ...]):
    """A weighted choice among `weighted` ((value, ..., weight) tuples) as a function of no
    arguments: the draws of `rng.choices(values, weights)[0]`, the weights summed once."""
    values = [w[0] for w in weighted]
    cumulative = list(itertools.accumulate(w[-1] for w in weighted))
    total, last, draw = cumulative[-1] + 0.0, len(values) - 1, rng.random
    return lambda: values[bisect.bisect(cumulative, draw() * total, 0, last)]


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
    through = Conversation.tags.through
    loaded = (Author, Mention, Conversation, ConversationEvent, through)
    phase = _Phases(log)
    with LoadWindow(*(model._meta.db_table for model in loaded), log=log):
        state = _Generator(rng, now=now, total=total, history_days=history_days, pool=pool, log=log)
        state.agents, state.accounts, state.tags = agents, accounts, tags
        state.conversations_target = conversations_target
        phase(f"{state.copy_authors():,} authors")
        phase(f"{state.copy_mentions():,} mentions")
        phase(f"{state.copy_conversations():,} conversations (with their search vectors)")
        phase(f"{state.copy_events():,} events, {state.copy_tag_links():,} tag links")
    phase("indexes and foreign keys")
    escalation_models, escalated = _seed_escalations(rng, state.escalation_candidates, agents=agents, now=now)
    if escalation_models:
        phase(f"escalations for {escalated:,} conversations")
    complaint_models, complaints, still_open = seed_complaints(
        state.complaint_candidates, rng=state.complaint_rng, now=now, agents=agents
    )
    phase(f"{complaints:,} complaints ({still_open:,} open) with their letters")

    with connection.cursor() as cursor:
        for model in loaded:
            table = model._meta.db_table
            # Our own table names, from the models.
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"'])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT setval(%s, (SELECT max(id) FROM " + f'"{table}"' + "))", [sequence])  # noqa: S608
        # VACUUM sets the visibility map (index-only scans); it cannot run inside a transaction.
        vacuum = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        for model in (*loaded, Tag, *escalation_models, *complaint_models):
            cursor.execute(f'{vacuum} "{model._meta.db_table}"')
    phase(vacuum)
    _refresh_rollups(log)
    return Seeded(
        mentions=state.mentions,
        conversations=state.conversation_id,
        authors=state.authors,
        long_conversation_id=state.long_id,
        agent_username=agents[0].username,
        seconds=time.monotonic() - started,
    )


class _Phases:
    """Log a line per phase of the seed with its seconds."""

    def __init__(self, log):
        self.log, self.mark, self.cpu = log, time.monotonic(), time.process_time()

    def __call__(self, what: str) -> None:
        now, cpu = time.monotonic(), time.process_time()
        self.log(f"  {what} in {now - self.mark:.1f} s (this process's CPU {cpu - self.cpu:.1f} s)")
        self.mark, self.cpu = now, cpu


def _handle(first: str, last: str, index: int, cleaned: dict) -> str:
    """The crowd author's handle: `first_last<index>`, at most 30 characters, ASCII letters, digits, _."""
    raw = f"{first.lower()}_{last.lower()}"
    digits = str(index)
    if len(raw) + len(digits) > 30:
        handle = f"{raw}{digits}"[:30].replace("'", "")
        return "".join(ch for ch in handle if ch.isascii() and (ch.isalnum() or ch == "_"))
    prefix = cleaned.get(raw)
    if prefix is None:
        prefix = cleaned[raw] = "".join(ch for ch in raw if ch.isascii() and (ch.isalnum() or ch == "_"))
    return prefix + digits


class _Generator:
    """The seed's rows, in the order of the random draws the seed has always made (same data for a
    given SEED), written as COPY lines: authors and mentions stream into COPY, while the
    conversations, events and tag links of the threads are spooled to temporary files."""

    def __init__(self, rng, *, now, total, history_days, pool, log):
        self.rng, self.now, self.total, self.history_days, self.pool = rng, now, total, history_days, pool
        self.log = log
        self.agents: list = []
        self.accounts: dict = {}
        self.tags: list = []
        self.conversations_target: int | None = None
        self.mentions = self.authors = self.conversation_id = self.event_id = self.tag_link_id = 0
        self.long_id = 0
        self.escalation_candidates: list[tuple] = []
        # Complaints draw from a stream of their own: the rest of the seed stays the same data.
        self.complaint_rng = random.Random(SEED + 1)
        self.complaint_candidates: list[Candidate] = []
        self.authors_by_network: dict[str, list[tuple]] = {"x": [], "facebook": [], "linkedin": []}
        self.pick_network = picker(rng, NETWORK_WEIGHTS)
        self.pick_status = picker(rng, STATUS_WEIGHTS)
        self.pick_priority = picker(rng, PRIORITY_WEIGHTS)
        self.pick_length = picker(rng, tuple(((lo, hi), w) for lo, hi, w in THREAD_LENGTHS))
        masked = {t.text: t.masked for texts in pool.values() for t in texts}
        for texts in pool.values():
            for t in texts:
                t.cols = text_columns(t, masked)
        self.masked = masked
        self.bank_texts: dict[str, Text] = {}
        self.conversation_spool, self.event_spool, self.tag_spool = spool(), spool(), spool()

    # -- authors: a crowd where a few people write a lot (one author row per network) --

    def copy_authors(self) -> int:
        from devtools.sandbox.content import FIRST_NAMES, LAST_NAMES
        from listening.models import Author

        rng, now, by_network = self.rng, self.now, self.authors_by_network
        table = Table(Author, {"id": 1})
        keys = ("id", "network", "external_id", "handle", "name", "avatar_url", "profile_url", "followers")
        template = line_template(table, (*keys, "verified", "first_seen_at"), constants={"updated_at": now})
        line = line_function(template)
        n_authors = max(300, self.total // 3)
        self.bank_author = {}
        cleaned: dict[str, str] = {}
        names: dict[tuple, tuple[str, str]] = {}

        def lines():
            for index in range(1, n_authors + 1):
                network = self.pick_network()
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                handle = _handle(first, last, index, cleaned)
                name, json_name = names.get((first, last)) or names.setdefault(
                    (first, last), (f"{first} {last}", json_value(f"{first} {last}"))
                )
                raw_author = f'"author":{{"id":"{index}","username":"{handle}","name":{json_name}}}'
                by_network[network].append((index, handle, name, raw_author))
                yield line(
                    id=index,
                    network=network,
                    external_id=f"{network}-{1_300_000_000 + index}",
                    handle=handle,
                    name=copy_escape(name),
                    avatar_url=f"https://pbs.example/{handle}.png",
                    profile_url=f"https://{network}.example/{handle}",
                    followers=int(rng.lognormvariate(5.5, 1.6)),
                    verified="t" if rng.random() < 0.01 else "f",
                    first_seen_at=(now - rng.random() * 400 * DAY).isoformat(),
                )
            for offset, (network, account) in enumerate(self.accounts.items(), start=1):
                author_id = n_authors + offset
                handle, name = account.handle, account.name
                who = f'"username":{json_value(handle)},"name":{json_value(name)}'
                raw_author = f'"author":{{"id":"{author_id}",{who}}}'
                self.bank_author[network] = (author_id, handle, name, raw_author)
                yield line(
                    id=author_id,
                    network=network,
                    external_id=copy_escape(account.external_id),
                    handle=copy_escape(handle),
                    name=copy_escape(name),
                    avatar_url="",
                    profile_url="",
                    followers=48_000,
                    verified="t",
                    first_seen_at=(now - 400 * DAY).isoformat(),
                )

        self.authors = copy_lines(table.model._meta.db_table, table.columns, lines())
        return self.authors

    # Zipf-ish choice of authors: a few write a lot.
    def author_for(self, network: str) -> tuple:
        crowd = self.authors_by_network[network]
        rng = self.rng
        return crowd[min(len(crowd) - 1, int(rng.paretovariate(1.2)) - 1 + rng.randrange(len(crowd)) // 3)]

    # -- mentions --

    def copy_mentions(self) -> int:
        from listening.models import Mention

        table = Table(Mention, {"id": 1})
        keys = ("id", "network", "external_id", "account_id", "author_id", "kind", "direction", "url")
        keys += ("thread_key", "created_at", "received_at", "raw", "for_inbox")
        constants = {"in_reply_to": "", "edit_history": []}
        self.mention_line = line_function(
            line_template(table, keys, text_keys=TEXT_KEYS, constants=constants)
        )
        field = next((f for f in Mention._meta.concrete_fields if f.attname == "for_inbox"), None)
        self.in_inbox = _text_value(field.get_default()) if field else ""
        self.account_ids = {network: account.pk for network, account in self.accounts.items()}
        self.mentions = copy_lines(table.model._meta.db_table, table.columns, self.all_mentions())
        return self.mentions

    def mention(self, network, author, kind, direction, text: Text, thread_key, at, iso, *, for_inbox) -> str:
        self.mentions += 1
        external_id = f"{network}{9_000_000_000 + self.mentions}"
        cols = text.cols
        raw = (
            f'{{"{"tweet" if network == "x" else "item"}":{{"id":"{external_id}","text":{cols.json},'
            f'"author_id":"{author[0]}","created_at":"{iso}","conversation_id":"{thread_key}",'
            f'"lang":{cols.lang_json},"edit_history_tweet_ids":["{external_id}"]}},{author[3]}}}'
        )
        return self.mention_line(
            id=self.mentions,
            network=network,
            external_id=external_id,
            account_id=self.account_ids[network],
            author_id=author[0],
            kind=kind,
            direction=direction,
            url=f"https://{network}.example/{author[1]}/status/{external_id}",
            thread_key=thread_key,
            created_at=iso,
            received_at=(at + TWENTY_SECONDS).isoformat(),
            raw=raw,
            for_inbox=for_inbox,
            t=cols,
        )

    def bank_text(self, name: str) -> Text:
        template = self.rng.choice(BANK_REPLIES)
        body = template.format(name=name.split()[0])
        text = self.bank_texts.get(body)
        if text is None:
            text = self.bank_texts[body] = Text(body, body, "en", None, "", [], False, "", "", False)
            text.cols = text_columns(text, self.masked)
        return text

    def all_mentions(self) -> Iterator[str]:
        from inbox.models import ConversationEvent

        self.event_line = line_function(
            line_template(
                Table(ConversationEvent, {"id": 1}),
                ("id", "conversation_id", "kind", "text", "version", "created_at"),
                constants={"actor_id": None, "data": {}},
            )
        )
        self.conversation_line = self.conversation_template()
        rng, pick_network = self.rng, self.pick_network
        yield from self.thread(
            "x",
            LONG_THREAD_LENGTH,
            thread_key=LONG_THREAD_KEY,
            status="open",
            end=self.now,
            assignee_id=self.agents[0].pk,
        )
        if self.conversations_target is not None:
            while self.conversation_id < self.conversations_target:
                network = pick_network()
                low, high = self.pick_length()
                yield from self.thread(network, rng.randint(low, high))
            for _ in range(round(self.conversations_target * LISTENING_PER_CONVERSATION)):
                yield self.listening_hit(pick_network())
            return
        in_conversations = self.total // 3
        while self.mentions < in_conversations:
            network = pick_network()
            low, high = self.pick_length()
            yield from self.thread(network, rng.randint(low, high))
        while self.mentions < self.total:
            yield self.listening_hit(pick_network())

    def listening_hit(self, network: str) -> str:
        author = self.author_for(network)
        rng = self.rng
        text = rng.choice(self.pool["search"] if network == "x" else self.pool[network])
        at = self.now - rng.random() * self.history_days * DAY
        kind = "search" if network == "x" else "post"
        thread_key = f"{network}-l{self.mentions + 1}"
        # Listening hits stay out of the inbox (used where the model has the flag).
        return self.mention(network, author, kind, "in", text, thread_key, at, at.isoformat(), for_inbox="f")

    def conversation_template(self):
        from inbox.models import Conversation

        has_search = "search_vector" in {f.name for f in Conversation._meta.concrete_fields}
        table = Table(Conversation, {"id": 1}, skip=("search_vector",) if has_search else ())
        self.conversation_table, self.has_search = table, has_search
        keys = (
            "id",
            "network",
            "thread_key",
            "account_id",
            "customer_id",
            "status",
            "priority",
            "assignee_id",
        )
        keys += (
            "preview",
            "has_pii",
            "sentiment_label",
            "lang",
            "kind",
            "message_count",
            "first_received_at",
        )
        keys += ("first_response_at", "resolved_at", "last_inbound_at", "last_activity_at", "version")
        keys += ("search_handle",)
        template = line_template(table, keys)
        if has_search:
            template = template[:-1] + "\t{who}\t{doc}\t{tags}\n"
        return line_function(template)

    def thread(
        self, network, length, *, thread_key=None, status=None, end=None, assignee_id=None
    ) -> Iterator[str]:
        """One conversation of `length` messages: yields its mentions, spools the conversation."""
        rng, now = self.rng, self.now
        self.conversation_id += 1
        conversation_id = self.conversation_id
        author = self.author_for(network)
        status = status or self.pick_status()
        # Active conversations are recent; resolved ones spread over the year.
        age = rng.random() * (14 if status in ACTIVE_STATUSES else self.history_days)
        end = end or now - age * DAY
        span = dt.timedelta(minutes=rng.randint(5, 60 * 24 * 3)) * min(length, 20) / 5
        start = end - span
        direct = network != "linkedin" and rng.random() < 0.15
        key = thread_key or (f"dm:{network}-{conversation_id}" if direct else f"{network}-t{conversation_id}")
        texts = self.pool["direct"] if direct else self.pool[network]
        first_text = last_in_text = first_response = None
        last_inbound = start
        bank = self.bank_author[network]
        version = 1
        docs = []
        write_event, event_line = self.event_spool.write, self.event_line
        out_kind = "direct" if direct else ("reply" if network == "x" else "comment")
        track = self.complaint_rng.random() < COMPLAINT_SAMPLE and thread_key != LONG_THREAD_KEY
        labelled: list[tuple[int, Text, dt.datetime]] = []
        wrote, wrote_again = f"@{author[1]} wrote", f"@{author[1]} wrote again"
        for position in range(length):
            at = start + (span * position / max(1, length - 1) if length > 1 else dt.timedelta())
            iso = at.isoformat()
            outbound = position > 0 and rng.random() < 0.4
            if outbound:
                text = self.bank_text(author[2])
                yield self.mention(
                    network, bank, out_kind, "out", text, key, at, iso, for_inbox=self.in_inbox
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
                if track and text.intent in COMPLAINT_LABELS:
                    labelled.append((self.mentions + 1, text, at))
                yield self.mention(network, author, kind, "in", text, key, at, iso, for_inbox=self.in_inbox)
                event_kind = "opened" if position == 0 else "message"
                event_text = wrote if position == 0 else wrote_again
            docs.append(text.cols.doc)
            if position:
                version += 1
            self.event_id += 1
            write_event(
                event_line(
                    id=self.event_id,
                    conversation_id=conversation_id,
                    kind=event_kind,
                    text=event_text,
                    version=version,
                    created_at=iso,
                )
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
            assignee = rng.choice(self.agents).pk if rng.random() < 0.85 else None
        priority = max(self.pick_priority(), 3 if first_text.priority_hint == "urgent" else 0)
        resolved_at = end + dt.timedelta(minutes=rng.randint(1, 600)) if status == "resolved" else None
        if status in ("resolved", "waiting_customer") and first_response is None:
            first_response = start + dt.timedelta(minutes=rng.randint(3, 240))
        if status in ("resolved", "waiting_expert"):
            self.escalation_candidates.append((conversation_id, status, last_inbound, priority, assignee))
        if labelled and status != "spam" and labelled[0][1].sentiment_label == "negative":
            self.complaint_candidates.append(
                Candidate(
                    conversation_id=conversation_id,
                    network=network,
                    customer_id=author[0],
                    account_id=self.account_ids[network],
                    assignee_id=assignee,
                    first_text=labelled[0][1].masked,
                    received_at=labelled[0][2],
                    mention_ids=[mention_id for mention_id, _text, _at in labelled],
                )
            )
        handle = author[1]
        roll = rng.random()
        chosen = rng.sample(self.tags, 2) if roll < 0.15 else [rng.choice(self.tags)] if roll < 0.55 else []
        for tag in chosen:
            self.tag_link_id += 1
            self.tag_spool.write(f"{self.tag_link_id}\t{conversation_id}\t{tag.pk}\n")
        self.conversation_spool.write(
            self.conversation_line(
                id=conversation_id,
                network=network,
                thread_key=key,
                account_id=self.account_ids[network],
                customer_id=author[0],
                status=status,
                priority=priority,
                assignee_id=NULL if assignee is None else assignee,
                preview=last_in_text.cols.preview,
                has_pii="t" if first_text.has_pii or last_in_text.has_pii else "f",
                sentiment_label=last_in_text.cols.sentiment_label,
                lang=first_text.cols.lang,
                kind="direct" if direct else ("mention" if network == "x" else "comment"),
                message_count=length,
                first_received_at=start.isoformat(),
                first_response_at=NULL if first_response is None else first_response.isoformat(),
                resolved_at=NULL if resolved_at is None else resolved_at.isoformat(),
                last_inbound_at=last_inbound.isoformat(),
                last_activity_at=max(end, last_inbound).isoformat(),
                version=version,
                search_handle=copy_escape(handle.lower()[:100]),
                who=copy_escape(f"{handle} {handle.replace('_', ' ')} {author[2]}"),
                # The search text: the masked text of the newest 200 messages, as conversation_reindex does.
                doc="\\n".join(reversed(docs[-200:])),
                # The tag ids the links' triggers would write (they are off for the links' COPY).
                tags="{" + ",".join(str(pk) for pk in sorted(tag.pk for tag in chosen)) + "}",
            )
        )
        if thread_key == LONG_THREAD_KEY:
            self.long_id = conversation_id

    # -- the spooled tables --

    def copy_conversations(self) -> int:
        table = self.conversation_table
        db_table = table.model._meta.db_table
        if not self.has_search:
            copy_file(db_table, table.columns, self.conversation_spool)
            self.conversation_spool.close()
            return self.conversation_id
        _copy_conversations_with_search(table, self.conversation_spool, self.log)
        return self.conversation_id

    def copy_events(self) -> int:
        from inbox.models import ConversationEvent

        table = Table(ConversationEvent, {"id": 1})
        copy_file(table.model._meta.db_table, table.columns, self.event_spool)
        self.event_spool.close()
        return self.event_id

    def copy_tag_links(self) -> int:
        from inbox.models import Conversation

        through = Conversation.tags.through
        table = through._meta.db_table
        columns = [through._meta.pk.column, "conversation_id", "tag_id"]
        if not self.has_search:
            copy_file(table, columns, self.tag_spool)  # the triggers fill in the conversations' tag_ids
            self.tag_spool.close()
            return self.tag_link_id
        # The conversations came with their tag_ids (`_copy_conversations_with_search`): the
        # links' triggers would rewrite 550,000 rows of a million for nothing.
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        try:
            copy_file(table, columns, self.tag_spool)
        finally:
            with connection.cursor() as cursor:
                cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
        self.tag_spool.close()
        return self.tag_link_id


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


def _seed_escalations(rng: random.Random, candidates: list[tuple], *, agents, now) -> tuple[tuple, int]:
    """Departments, routing rules and escalations (COPY), when the escalations app has them.

    `candidates`: (id, status, last_inbound_at, priority, assignee_id) of the resolved and
    waiting-on-expert conversations, in order. Returns the models written and the escalations.
    """
    try:
        from escalations.models import Department, Escalation, RoutingRule
    except ImportError:
        return (), 0
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
    for conversation_id, status, last_inbound_at, priority, assignee_id in candidates:
        if status == "waiting_expert":
            state = "open" if rng.random() < 0.8 else "waiting_agent"
        elif status == "resolved" and rng.random() < 0.1:
            state = "closed"
        else:
            continue
        opened = last_inbound_at + dt.timedelta(minutes=rng.randint(5, 120))
        if state != "closed":
            opened = min(opened, now - dt.timedelta(minutes=rng.randint(5, 60 * 30)))
        response_due = opened + dt.timedelta(hours=4)
        resolution_due = opened + dt.timedelta(days=2)
        answered = state == "closed" or (state == "waiting_agent" and rng.random() < 0.5)
        rows.append(
            {
                "id": len(rows) + 1,
                "conversation_id": conversation_id,
                "department_id": rng.choice(departments).pk,
                "question": rng.choice(ESCALATION_QUESTIONS),
                "priority": min(3, priority),
                "state": state,
                "requested_by_id": assignee_id or agents[0].pk,
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
        with LoadWindow(Escalation._meta.db_table, log=lambda _message: None):
            Table(Escalation, rows[0]).copy(rows)
        with connection.cursor() as cursor:
            table = Escalation._meta.db_table
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [f'"{table}"'])
            cursor.execute("SELECT setval(%s, %s)", [cursor.fetchone()[0], len(rows)])
    return (Escalation, Department), len(rows)


def _copy_conversations_with_search(table: Table, conversations, log) -> None:
    """COPY the spooled conversation lines (with who wrote and the thread's masked text) into an
    unlogged staging table, then compute the search vectors in SQL as
    `inbox.services.conversation_reindex` does: the text part once per distinct thread text (most
    one-message threads share their text with others), in two halves on two connections."""
    started = time.monotonic()
    db_table = table.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE UNLOGGED TABLE bench_conversation_staging (LIKE "{db_table}")')
        cursor.execute(
            "ALTER TABLE bench_conversation_staging DROP COLUMN search_vector, DROP COLUMN tag_ids"
        )
        cursor.execute(
            "ALTER TABLE bench_conversation_staging ADD COLUMN bench_who text, ADD COLUMN bench_doc text,"
            " ADD COLUMN bench_tags bigint[]"
        )
        cursor.execute("CREATE UNLOGGED TABLE bench_doc_vector (doc text, vector tsvector)")
    staged = [*table.columns, "bench_who", "bench_doc", "bench_tags"]
    copy_file("bench_conversation_staging", staged, conversations)
    conversations.close()
    copied = time.monotonic()
    run_two_at_a_time(
        [
            f"""
            INSERT INTO bench_doc_vector (doc, vector)
            SELECT doc, setweight(to_tsvector('english', doc), 'B')
                     || setweight(to_tsvector('simple', doc), 'C')
            FROM (SELECT DISTINCT coalesce(bench_doc, '') AS doc FROM bench_conversation_staging) docs
            WHERE hashtext(doc) & 1 = {half}
            """  # noqa: S608 - our own tables
            for half in (0, 1)
        ]
    )
    vectors = time.monotonic()
    columns = ", ".join(table.columns)
    run_two_at_a_time(
        [
            f"""
            INSERT INTO "{db_table}" ({columns}, tag_ids, search_vector)
            SELECT {", ".join(f"s.{c}" for c in table.columns)}, s.bench_tags,
                   setweight(to_tsvector('simple', coalesce(s.bench_who, '')), 'A') || v.vector
            FROM bench_conversation_staging s
            JOIN bench_doc_vector v ON v.doc = coalesce(s.bench_doc, '')
            WHERE s.id % 2 = {half}
            """  # noqa: S608 - our own column names
            for half in (0, 1)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM bench_doc_vector")
        distinct = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_conversation_staging, bench_doc_vector")
    log(
        f"  (staging COPY {copied - started:.1f} s, {distinct:,} distinct thread texts' vectors"
        f" {vectors - copied:.1f} s, conversations with vectors {time.monotonic() - vectors:.1f} s)"
    )
