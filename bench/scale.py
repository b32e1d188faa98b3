"""One scale in its own process: migrate the bench database, seed it, time the pages and ingest.

    DATABASE_URL=postgres://.../bankbuzz_bench_10k python -m bench.scale --scale 10k --out var/bench/10k.json

Run by `python -m bench`, which creates the database and sets the environment (DEBUG off,
production-like settings). Writes a JSON object of numbers for `results.json`, plus details.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path


def log(message: str) -> None:
    print(message, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale")
    parser.add_argument("--scale", required=True)
    parser.add_argument("--mentions", type=int, help="override the scale's mention count (smoke tests)")
    parser.add_argument("--rounds", type=int, default=30, help="timed requests per page")
    parser.add_argument("--ingest", type=int, help="mentions to ingest through the pipeline")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed-only", action="store_true", help="migrate and seed, then stop (no timings)")
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bankbuzz.settings")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from bench import CONVERSATION_SCALES, SCALES
    from bench.ingest import run_ingest
    from bench.ingest_parallel import run_parallel
    from bench.pages import clients_for, measure, page_urls
    from bench.seed import seed
    from inbox.models import Tag

    conversations_target = None if args.mentions else CONVERSATION_SCALES.get(args.scale)
    total = args.mentions or SCALES[args.scale]
    ingest_count = args.ingest or (600 if total <= 10_000 else 2000)
    started = time.monotonic()
    call_command("migrate", verbosity=0, interactive=False)
    what = f"{conversations_target:,} conversations" if conversations_target else f"{total:,} mentions"
    log(f"[{args.scale}] migrated in {time.monotonic() - started:.1f} s; seeding {what} with COPY")
    if conversations_target:
        seeded = seed(0, log=log, conversations_target=conversations_target, history_days=730)
    else:
        seeded = seed(total, log=log)
    log(f"[{args.scale}] seeded in {seeded.seconds:.1f} s")
    if args.seed_only:
        seed_details = {"mentions": seeded.mentions, "conversations": seeded.conversations,
                        "seed_seconds": round(seeded.seconds, 1),
                        "load_average": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip
        Path(args.out).write_text(json.dumps({"numbers": {}, "details": seed_details}, indent=2))
        return 0

    agent = get_user_model().objects.get(username=seeded.agent_username)
    tag = Tag.objects.order_by("pk").first()
    urls = page_urls(
        conversation_id=seeded.long_conversation_id,
        search_word=seeded.search_word,
        agent=agent,
        tag_id=tag.pk if tag else None,
    )
    log(f"[{args.scale}] pages: server time over {args.rounds} requests each, as {agent.username} (agent)")
    specialist = get_user_model().objects.filter(username="spec01").first()
    manager = get_user_model().objects.filter(username="manager01").first()
    clients = clients_for(agent=agent, specialist=specialist, manager=manager)
    pages = measure(agent=agent, urls=urls, rounds=args.rounds, log=log, clients=clients)

    from bench.explain import explain_pages

    plans = explain_pages(urls=urls, agent=agent, clients=clients)
    log(f"[{args.scale}] database time per page (EXPLAIN ANALYZE of its queries):")
    for name, info in plans.items():
        log(f"  {name:<22} {info['db_ms']:7.1f} ms  (slowest query {info['slowest_ms']:.1f} ms)")

    from bench import suggestions

    suggested = suggestions.measure()
    log(
        f"[{args.scale}] library suggestions over {len(suggested.samples_ms)} calls: "
        f"p50 {suggested.p50:.1f} ms, p95 {suggested.p95:.1f} ms "
        f"(CPU {statistics.median(suggested.cpu_ms):.1f} ms), {suggested.queries} queries"
    )

    log(f"[{args.scale}] ingest of {ingest_count:,} mentions in the sandbox's X wire format")
    ingest = run_ingest(count=ingest_count, log=log)
    log(f"[{args.scale}] {ingest_count:,} other mentions by two polls at once (the worker's concurrency)")
    machine = run_parallel(count=ingest_count, workers=2, log=log)

    numbers: dict[str, float | int] = {
        "ingest_per_s": round(ingest.per_s, 1),
        "copy_per_s": round(ingest.copy_per_s, 1),
        "ingest_machine_per_s": round(machine.per_s, 1),
    }
    for name, result in pages.items():
        numbers[f"{name}_p50_ms"] = round(result.p50, 2)
        numbers[f"{name}_p95_ms"] = round(result.p95, 2)
    numbers["suggestions_p50_ms"] = round(suggested.p50, 2)
    numbers["suggestions_p95_ms"] = round(suggested.p95, 2)
    details = {
        "mentions": seeded.mentions,
        "conversations": seeded.conversations,
        "authors": seeded.authors,
        "seed_seconds": round(seeded.seconds, 1),
        "long_thread_conversation": seeded.long_conversation_id,
        "urls": {name: r.url for name, r in pages.items()},
        "queries": {name: r.queries for name, r in pages.items()} | {"suggestions": suggested.queries},
        "kib": {name: round(r.bytes / 1024) for name, r in pages.items()},
        "markers": {name: r.marker for name, r in pages.items()},
        "db_ms": {name: info["db_ms"] for name, info in plans.items()},
        "slowest_query": {name: [info["slowest_ms"], info["slowest_sql"]] for name, info in plans.items()},
        "cpu_p50_ms": {name: round(statistics.median(r.cpu_ms), 1) for name, r in pages.items()}
        | {"suggestions": round(statistics.median(suggested.cpu_ms), 1)},
        "probe_ms": {name: round(r.probe_ms, 1) for name, r in pages.items()},
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "rounds": args.rounds,
        "ingest": {
            "items": ingest.items,
            "seconds": round(ingest.seconds, 2),
            "parse_s": round(ingest.parse_s, 2),
            "enrich_s": round(ingest.enrich_s, 2),
            "attach_s": round(ingest.attach_s, 2),
            "escalate_s": round(ingest.escalate_s, 2),
            "store_s": round(
                ingest.seconds - ingest.parse_s - ingest.enrich_s - ingest.attach_s - ingest.escalate_s, 2
            ),
            "new_mentions": ingest.new_mentions,
            "conversations_touched": ingest.conversations_touched,
            "queries_per_page": ingest.queries_per_page,
            "copy_seconds": round(ingest.copy_seconds, 3),
            "machine": {
                "workers": machine.workers,
                "items": machine.items,
                "seconds": round(machine.seconds, 2),
            },
        },
        "missing_pages": [k for k in ("dashboard", "specialist_queue", "complaints_queue") if k not in urls],
        "seconds": round(time.monotonic() - started, 1),
    }
    Path(args.out).write_text(json.dumps({"numbers": numbers, "details": details}, indent=2))
    log(f"[{args.scale}] done in {details['seconds']} s")
    return 0


if __name__ == "__main__":
    from bench.checks import stopped

    sys.exit(stopped(main))
