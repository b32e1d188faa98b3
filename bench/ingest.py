"""Ingest through the real pipeline, and plain COPY of the same rows, in the same run.

The pages are what the sandbox's X API sends for `GET /2/users/:id/mentions` (its own
`render_tweet` / `render_user`, the connector's field lists, newest first, 100 a page,
`meta.next_token`), as JSON bytes. Each page is decoded and parsed by the real X connector's
page parser, then `listening.services.mentions_ingest` stores it (enrichment, author and mention
upserts, query matches, cursor) and, in the same transaction, the inbox attaches the new mentions
to their conversations and tells the routing rules, kudos and webhooks (`inbox.events`): one
commit a page.
That is everything a poll does except the HTTP round trip to the network.

The timed run is a worker's steady state: before it, the bench does what a worker has done by
its first poll and nothing that a page does (no mention is stored): the language detector's
models and the sentiment lexicon loaded (`listening.enrichment.warm_up`), the URLconf's reverse
tables filled (`_urls_warm`), Celery's app finalized, its sending side and results' backend
loaded and the broker connected (`_broker_warm`). Every per-page cost stays in the timed run.

Alone, on a database that is seeded already (each run stores new mentions, so start from a fresh
copy of the seeded database, e.g. `createdb -T bankbuzz_bench_10k ...`, or pass another --seed):

    DATABASE_URL=postgres://postgres@127.0.0.1/bb_copy REDIS_URL=redis://127.0.0.1:6379/0 \
        python -m bench.ingest --count 1000 [--migrate] [--profile var/bench/ingest.prof]

The traffic: 60 % new customer threads, 30 % customers writing again in a thread of this run,
10 % the bank's own replies; authors drawn from a crowd where some write often.

Everything that listens to new mentions is on (`everything_on`): an active listening query on
every network, a routing rule that escalates fraud reports by itself (first by position) and a
webhook endpoint for new conversations and escalations, as a bank that uses them has. The
ingest rate and the plain COPY of the same rows are measured in the same run; `--bare` leaves
them off, for a comparison with older runs.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field

from django.db import connection
from django.utils import timezone

PAGE = 100


@dataclass
class IngestResult:
    items: int
    seconds: float
    parse_s: float = 0.0
    enrich_s: float = 0.0
    attach_s: float = 0.0
    escalate_s: float = 0.0
    new_mentions: int = 0
    conversations_touched: int = 0
    copy_seconds: float = 0.0
    queries_per_page: float = 0.0
    statements: int = 0  # every statement of the timed run (savepoints included)
    commits: int | None = None  # transactions PostgreSQL committed in the timed run (its statistics)
    cpu_s: float = 0.0  # CPU time of this process during the timed run
    cpu_parts: dict[str, float] = field(default_factory=dict)  # of it: parse, enrich, attach, escalate
    db_cpu_s: float | None = None  # CPU time of its PostgreSQL backend (local server only)
    notes: list[str] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.items / self.seconds

    @property
    def copy_per_s(self) -> float:
        return self.items / self.copy_seconds


def wire_pages(count: int, *, seed: int = 7, bank: dict | None = None, customers: int = 0) -> list[bytes]:
    """`count` mentions as JSON pages of the sandbox's X API, newest page first.

    `bank` (user_id, name, handle) is the account polled, whose replies are 10 % of the traffic:
    the sandbox's bank account unless another is given. The authors are the people of `customers`,
    the same (ids, names, followers) whatever the seed and the account, as a bank's customers
    write to each of its accounts; another number is other people.
    """
    from devtools.sandbox import content
    from devtools.sandbox.world import BANK_X

    bank = bank or BANK_X
    from devtools.sandbox.x_wire import render_tweet, render_user
    from listening.connectors.x import TWEET_FIELDS, USER_FIELDS

    rng = random.Random(seed)
    people = random.Random(f"customers {customers}")
    origin = "http://127.0.0.1:8001"
    users = {}
    for index in range(max(200, count // 3)):
        first, last = people.choice(content.FIRST_NAMES), people.choice(content.LAST_NAMES)
        user_id = str(1_400_000_000_000_000_000 + customers * 10**15 + index * 7_919)
        handle = "".join(ch for ch in f"{first}_{last}"[:11] if ch.isascii() and (ch.isalnum() or ch == "_"))
        users[user_id] = {
            "id": user_id,
            "name": f"{first} {last}",
            "username": f"{handle}{index}",
            "verified": False,
            "followers_count": int(people.lognormvariate(5.5, 1.6)),
        }
    users[bank["user_id"]] = {
        "id": bank["user_id"],
        "name": bank["name"],
        "username": bank["handle"],
        "verified": True,
        "followers_count": 48_000,
    }
    crowd = [u for u in users if u != bank["user_id"]]
    base_ms = int((time.time() - 3600) * 1000)
    tweets = []
    threads: list[tuple[str, str]] = []  # (conversation id, customer id)
    next_id = 1_900_000_000_000_000_000 + rng.randrange(10**12) * 4096
    for index in range(count):
        next_id += 4096
        tweet_id = str(next_id)
        roll = rng.random()
        references, conversation_id, author_id = [], tweet_id, rng.choice(crowd[: max(10, len(crowd) // 4)])
        if roll < 0.6 or not threads:
            author_id = rng.choice(crowd)
            text = content.compose(
                rng, topic=content.pick_topic(rng), network="x", hostile=rng.random() < 0.02
            )
            threads.append((tweet_id, author_id))
        elif roll < 0.9:
            conversation_id, author_id = rng.choice(threads[-500:])
            text = content.compose_follow_up(rng, network="x")
            references = [{"type": "replied_to", "id": conversation_id}]
        else:
            conversation_id, customer = rng.choice(threads[-500:])
            author_id = bank["user_id"]
            text = f"@{users[customer]['username']} Sorry to hear that. Please DM us and we'll look into it."
            references = [{"type": "replied_to", "id": conversation_id}]
        tweets.append(
            {
                "id": tweet_id,
                "text": text.replace("\x00", ""),
                "author_id": author_id,
                "created_ms": base_ms + index * 300,
                "conversation_id": conversation_id,
                "edit_history_tweet_ids": [tweet_id],
                "lang": "en",
                "referenced_tweets": references,
                "in_reply_to_user_id": "",
            }
        )
    fields, user_fields = set(TWEET_FIELDS), set(USER_FIELDS)
    newest_first = list(reversed(tweets))
    pages = []
    for start in range(0, len(newest_first), PAGE):
        chunk = newest_first[start : start + PAGE]
        seen = list(dict.fromkeys(t["author_id"] for t in chunk))
        meta = {"result_count": len(chunk), "newest_id": chunk[0]["id"], "oldest_id": chunk[-1]["id"]}
        if start + PAGE < len(newest_first):
            meta["next_token"] = f"token{start}"
        body = {
            "data": [render_tweet(t, fields) for t in chunk],
            "includes": {"users": [render_user(users[u], user_fields, origin) for u in seen]},
            "meta": meta,
        }
        pages.append(json.dumps(body, ensure_ascii=False).encode())
    # A poll that catches up reads newest first, but the oldest must not be attached after the
    # newest of its thread: the bench feeds pages oldest page first, as a caught-up poll would.
    return list(reversed(pages))


def everything_on() -> list[str]:
    """A listening query, an auto-escalating routing rule and a webhook endpoint, active.

    Returns what was switched on, for the log. Idempotent: a second run finds them.
    """
    from bankbuzz.api.models import WebhookEndpoint
    from bankbuzz.api.webhooks import encrypt_secret, new_secret
    from listening.models import ListeningQuery, Network

    switched = []
    ListeningQuery.objects.get_or_create(
        name="Bench: cards and payments",
        defaults={
            "text": '(card OR payment OR declined OR "log in") -test',
            "networks": sorted(Network.values),
            "is_active": True,
        },
    )
    switched.append("a listening query")
    escalations = _optional_module("escalations.models")
    if escalations is not None:
        department, _ = escalations.Department.objects.get_or_create(name="Bench: fraud team")
        escalations.RoutingRule.objects.get_or_create(
            name="Bench: fraud escalates",
            defaults={"position": 1, "intent": "fraud", "department": department, "auto_escalate": True},
        )
        switched.append("an auto-escalating rule (fraud)")
    if not WebhookEndpoint.objects.filter(name="Bench: webhooks").exists():
        WebhookEndpoint.objects.create(
            name="Bench: webhooks",
            url="https://hooks.bench.invalid/bankbuzz",
            events=["conversation.created", "escalation.opened"],
            secret_encrypted=encrypt_secret(new_secret()),
        )
    switched.append("a webhook endpoint")
    return switched


def run_ingest(*, count: int, log=print, seed: int = 7, everything: bool = True) -> IngestResult:
    import inbox.receivers
    from listening import services
    from listening.connectors.base import AccountInfo, FetchResult
    from listening.connectors.x import XConnector
    from listening.enrichment import EnrichmentConfig, warm_up
    from listening.enrichment import stored as enrichment_bridge

    pages = wire_pages(count, seed=seed)
    if everything:
        log(f"  on: {', '.join(everything_on())}")
    account = bank_x_account()
    info = AccountInfo(network="x", external_id=account.external_id, handle=account.handle, credentials={})
    connector = XConnector(info)
    # A worker's start: the language models loaded, the URLconf read, Celery ready (see the docstring).
    warm_up(EnrichmentConfig.from_settings())
    _urls_warm()
    _broker_warm(log)

    timers = {"enrich": 0.0, "attach": 0.0, "escalate": 0.0}
    cpu = {"enrich": 0.0, "attach": 0.0, "escalate": 0.0, "parse": 0.0}
    touched = []
    real_enrich = enrichment_bridge.enrich_items
    real_attach = inbox.receivers.conversations_attach_mentions

    def timed_enrich(items):
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            return real_enrich(items)
        finally:
            timers["enrich"] += time.perf_counter() - started
            cpu["enrich"] += time.process_time() - cpu_started

    def timed_attach(*, mention_ids):
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            result = real_attach(mention_ids=mention_ids)
            touched.extend(result)
            return result
        finally:
            timers["attach"] += time.perf_counter() - started
            cpu["attach"] += time.process_time() - cpu_started

    enrichment_bridge.enrich_items = timed_enrich
    inbox.receivers.conversations_attach_mentions = timed_attach
    # The escalations app (routing rules, kudos) listens to the inbox's signal when it exists.
    escalation_receivers = _optional_module("escalations.receivers")
    real_escalate = {}
    for name in ("escalations_auto_open", "kudos_from_mentions"):
        if escalation_receivers is not None and hasattr(escalation_receivers, name):
            real_escalate[name] = getattr(escalation_receivers, name)
            setattr(escalation_receivers, name, _timed(real_escalate[name], timers, cpu, "escalate"))
    parse_s = 0.0
    new = 0
    items_total = 0
    queries = 0
    statements = [0]

    def count_statements(execute, sql, params, many, context):
        statements[0] += 1
        return execute(sql, params, many, context)

    try:
        from django.test.utils import CaptureQueriesContext

        connection.ensure_connection()
        commits_started = _commits()
        db_cpu_started = _backend_cpu_seconds()
        cpu_started = time.process_time()
        started = time.perf_counter()
        with connection.execute_wrapper(count_statements):
            for number, body in enumerate(pages):
                t0, cpu0 = time.perf_counter(), time.process_time()
                page = connector._tweet_page(json.loads(body), stream="mentions", since="")
                result = FetchResult(
                    items=page.items, quarantined=page.quarantined, cursors={"mentions": page.newest_id}
                )
                parse_s += time.perf_counter() - t0
                cpu["parse"] += time.process_time() - cpu0
                items_total += len(page.items)
                if number == len(pages) // 2:
                    with CaptureQueriesContext(connection) as captured:
                        new += len(services.mentions_ingest(account=account, result=result))
                    queries = len(captured.captured_queries)
                else:
                    new += len(services.mentions_ingest(account=account, result=result))
            seconds = time.perf_counter() - started
            cpu_s = time.process_time() - cpu_started
        db_cpu_ended = _backend_cpu_seconds()
        commits_ended = _commits()
    finally:
        enrichment_bridge.enrich_items = real_enrich
        inbox.receivers.conversations_attach_mentions = real_attach
        for name, function in real_escalate.items():
            setattr(escalation_receivers, name, function)
    out = IngestResult(
        escalate_s=timers["escalate"],
        items=items_total,
        seconds=seconds,
        parse_s=parse_s,
        enrich_s=timers["enrich"],
        attach_s=timers["attach"],
        new_mentions=new,
        conversations_touched=len(set(touched)),
        queries_per_page=queries,
        statements=statements[0],
        cpu_s=cpu_s,
        cpu_parts={key: round(value, 3) for key, value in cpu.items()},
        db_cpu_s=None if db_cpu_started is None or db_cpu_ended is None else db_cpu_ended - db_cpu_started,
        # Less the one transaction of each reading of the counter.
        commits=None
        if commits_started is None or commits_ended is None
        else commits_ended - commits_started - 1,
    )
    db_cpu = ""
    if out.db_cpu_s is not None:
        # What a machine with a core free for each would do: the wall time on a loaded one is longer.
        db_cpu = (
            f", PostgreSQL backend CPU {out.db_cpu_s:.2f} s"
            f" = {out.items / (out.cpu_s + out.db_cpu_s):,.0f}/s on CPU time alone"
        )
    log(
        f"  ingest: {out.items:,} items in {out.seconds:.1f} s = {out.per_s:,.0f}/s "
        f"(parse {out.parse_s:.1f} s, enrich {out.enrich_s:.1f} s, inbox attach {out.attach_s:.1f} s, "
        f"escalations receivers {out.escalate_s:.1f} s, "
        f"{queries} queries for one page of {PAGE}; {out.statements:,} statements and "
        f"{out.commits if out.commits is not None else '?'} commits in all; "
        f"CPU {out.cpu_s:.2f} s in Python{db_cpu}; Python CPU of parse {cpu['parse']:.2f} s, "
        f"enrich {cpu['enrich']:.2f} s, attach {cpu['attach']:.2f} s, escalations {cpu['escalate']:.2f} s)"
    )
    out.copy_seconds = run_copy(pages, connector=connector, account=account)
    log(f"  COPY of the same rows: {out.copy_seconds:.2f} s = {out.copy_per_s:,.0f}/s")
    return out


def bank_x_account():
    """The bank's X account the seed connected (the first; `bench.ingest_parallel` adds others)."""
    from listening.models import SocialAccount

    return SocialAccount.objects.filter(network="x").order_by("pk").first()


def _urls_warm() -> None:
    """The URLconf's reverse tables, every namespace's (receivers build API and page links), as a
    worker has them after its first task: `reverse("ns:name")` builds and fills a resolver for the
    namespace at its first call (`django.urls.base.reverse`, `get_ns_resolver`, cached)."""
    from django.urls import get_resolver
    from django.urls.resolvers import get_ns_resolver

    root = get_resolver()
    root.reverse_dict  # noqa: B018 - filled on first reading
    pending = [("", {}, root)]
    while pending:
        pattern, converters, resolver = pending.pop()
        for extra, sub in resolver.namespace_dict.values():
            sub_converters = {**converters, **sub.pattern.converters}
            ns_resolver = get_ns_resolver(pattern + extra, sub, tuple(sub_converters.items()))
            ns_resolver.reverse_dict  # noqa: B018
            pending.append((pattern + extra, sub_converters, sub))


def _broker_warm(log) -> None:
    """What a worker has done before its first poll: Celery's app finalized (its tasks
    registered), the sending side of its client and its results' backend loaded, the broker
    connected.

    Without it the first page pays for importing the Redis transport and Celery's canvas and
    results (and, without bytecode caches, compiling them), and for registering every task: a
    one-off of a process, not a cost of ingest. Nothing is sent.
    """
    try:
        import importlib

        import bankbuzz.api.tasks  # noqa: F401 - the webhook task the pages queue
        from bankbuzz.celery import app

        for name in ("celery.canvas", "celery.result"):  # what apply_async imports at its first call
            importlib.import_module(name)

        app.finalize(auto=True)
        app.amqp.router  # noqa: B018 - the routes, read at the first message
        app.backend  # noqa: B018 - the results' backend, which a sent task's result refers to
        with app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=1)
    except Exception as exc:
        log(f"  (broker not reachable before the run: {type(exc).__name__})")


def _commits() -> int | None:
    """Transactions committed in this database so far (this connection's own included)."""
    from django.db import DatabaseError

    try:
        with connection.cursor() as cursor:
            # This backend's counts reach the statistics at once, not a second later.
            cursor.execute("SELECT pg_stat_force_next_flush()")
            cursor.execute("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            return cursor.fetchone()[0]
    except DatabaseError:
        return None


def _backend_cpu_seconds() -> float | None:
    """CPU seconds (user + system) of this connection's PostgreSQL backend, when it runs here."""
    import os
    from pathlib import Path

    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _optional_module(name: str):
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _timed(function, timers: dict, cpu: dict, key: str):
    def wrapper(*args, **kwargs):
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            timers[key] += time.perf_counter() - started
            cpu[key] += time.process_time() - cpu_started

    return wrapper


def run_copy(pages: list[bytes], *, connector, account) -> float:
    """COPY the same mentions (same columns, same enrichment) into the mention table, timed."""
    from bench.seed import Table, copy_rows
    from listening.enrichment import stored as enrichment_bridge
    from listening.models import Author, Mention
    from listening.services.storing import jsonable

    items = []
    for body in pages:
        items.extend(connector._tweet_page(json.loads(body), stream="mentions", since="").items)
    enriched = enrichment_bridge.enrich_items(items)
    author_ids = dict(
        Author.objects.filter(network="x", external_id__in={i.author.external_id for i in items}).values_list(
            "external_id", "id"
        )
    )
    now = timezone.now()
    rows = [
        {
            "network": "x",
            "external_id": f"copy{item.external_id}",
            "account_id": account.pk,
            "author_id": author_ids[item.author.external_id],
            "kind": item.kind,
            "direction": item.direction,
            "text": item.text,
            "url": item.url,
            "thread_key": item.thread_key,
            "in_reply_to": item.in_reply_to,
            "created_at": item.created_at,
            "received_at": now,
            "raw": jsonable(item.raw),
            "edit_history": [],
            "lang": extra.lang or item.lang[:8],
            "sentiment_score": extra.sentiment_score,
            "sentiment_label": extra.sentiment_label,
            "pii_findings": extra.pii_findings,
            "has_pii": extra.has_pii,
            "priority_hint": extra.priority_hint,
            "intent": extra.intent,
            "is_spam": extra.is_spam,
        }
        for item, extra in zip(items, enriched, strict=True)
    ]
    # Columns from the model (the id from its sequence), so a column added later gets its default.
    table = Table(Mention, rows[0], skip=("id",))
    tuples = [table.row(row) for row in rows]
    started = time.perf_counter()
    copy_rows(Mention._meta.db_table, table.columns, tuples)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {Mention._meta.db_table} WHERE external_id LIKE 'copy%%'")  # noqa: S608
    return seconds


def setup_on_bench_database(parser) -> None:
    """Django on the seeded bench database of DATABASE_URL, with `bench_env`'s settings unless
    DJANGO_SETTINGS_MODULE is set (a command line of the bench run alone)."""
    import os

    if not os.environ.get("DATABASE_URL"):
        parser.error("DATABASE_URL must name a seeded bench database")
    if "DJANGO_SETTINGS_MODULE" not in os.environ:
        from bench.__main__ import bench_env

        os.environ.update(bench_env(os.environ["DATABASE_URL"]))
    import django

    django.setup()


def main(argv: list[str] | None = None) -> int:
    """Run the ingest measurement alone on the seeded database of DATABASE_URL."""
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m bench.ingest")
    parser.add_argument("--count", type=int, default=600, help="mentions (the 10k scale uses 600)")
    # `bench.scale` ingests seed 7 after seeding, so a database `make bench` left behind holds those.
    parser.add_argument("--seed", type=int, default=8, help="another seed, other tweet ids")
    parser.add_argument("--migrate", action="store_true", help="apply migrations first")
    parser.add_argument("--profile", help="write a cProfile of the pipeline run to this file")
    parser.add_argument("--bare", action="store_true", help="no listening query, rule or webhook")
    args = parser.parse_args(argv)
    setup_on_bench_database(parser)
    if args.migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
        try:
            run_ingest(count=args.count, seed=args.seed, everything=not args.bare)
        finally:
            profiler.disable()
            profiler.dump_stats(args.profile)
    else:
        run_ingest(count=args.count, seed=args.seed, everything=not args.bare)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
