"""The machine's ingest: two polls at once, as the worker runs them (`--concurrency 2`, Procfile).

`bench.ingest` times one stream of pages in one process: what one poll does. A worker runs as many
polls at once as its concurrency, one per account (an account's poll holds its lease), so the
machine's rate is that of several streams together. This runs `workers` processes, each polling
its own X account (the bank's, and a help account as many banks have) with its own traffic from
the same customers, and the same everything-on setup. Each process warms up as `bench.ingest`
does, says it is ready, and starts when all are; the rate is all their mentions over the time from
the first start to the last end.

    DATABASE_URL=postgres://postgres@127.0.0.1/bb_copy REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.ingest_parallel --count 2000 [--workers 2]

The processes share the authors (the same customers write to both accounts), so their author
upserts meet on the same rows: a run that ends shows that concurrent polls do not deadlock there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

READY = "ready"
# A second X account of the bank (a help account) for the second process, a third for a third.
HELP_ACCOUNT_ID = 1_585_092_736_154_239_100


@dataclass
class ParallelResult:
    workers: int
    items: int
    seconds: float  # from the first process's start to the last one's end
    per_worker: list[dict] = field(default_factory=list)

    @property
    def per_s(self) -> float:
        return self.items / self.seconds


def bench_accounts(workers: int) -> list:
    """The X accounts the processes poll: the bank's own first, then help accounts (created)."""
    from bench.ingest import bank_x_account
    from listening.models import SocialAccount

    accounts = [bank_x_account()]
    for index in range(1, workers):
        account, _ = SocialAccount.objects.get_or_create(
            network="x",
            external_id=str(HELP_ACCOUNT_ID + index),
            defaults={"handle": f"northbridgehelp{index}", "name": f"Northbridge Help {index}"},
        )
        accounts.append(account)
    return accounts


def run_parallel(*, count: int, workers: int = 2, log=print, seed: int = 107) -> ParallelResult:
    """`count` mentions in `workers` streams of `count // workers`, at once; the rate together."""
    from bench.ingest import everything_on

    everything_on()
    accounts = bench_accounts(workers)  # created here, not by the processes racing each other
    share = count // workers
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as folder:
        go = Path(folder) / "go"
        command = [sys.executable, "-m", "bench.ingest_parallel", "--worker", "--count", str(share)]
        processes = [
            subprocess.Popen(
                [*command, "--account", str(account.pk), "--seed", str(seed + index), "--go", str(go)],
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "DATABASE_URL": _this_database_url()},
            )
            for index, account in enumerate(accounts)
        ]
        try:
            for process in processes:
                line = process.stdout.readline().strip()
                if line != READY:
                    raise RuntimeError(f"an ingest process did not get ready: {line!r}")
            go.touch()
            results = []
            for process in processes:
                out, _ = process.communicate(timeout=1800)
                if process.returncode != 0:
                    raise RuntimeError(f"an ingest process failed (exit {process.returncode})")
                results.append(json.loads(out.strip().splitlines()[-1]))
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
    started = min(r["started"] for r in results)
    ended = max(r["ended"] for r in results)
    out = ParallelResult(
        workers=workers, items=sum(r["items"] for r in results), seconds=ended - started, per_worker=results
    )
    each = ", ".join(f"{r['items']:,} in {r['ended'] - r['started']:.1f} s" for r in results)
    log(f"  {workers} polls at once: {out.items:,} items in {out.seconds:.1f} s = {out.per_s:,.0f}/s")
    log(f"    each: {each}")
    return out


def _this_database_url() -> str:
    """The database this process works on (under tests, the test database, not DATABASE_URL's)."""
    from urllib.parse import quote

    from django.db import connection

    db = connection.settings_dict
    login = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        login += ":" + quote(db["PASSWORD"], safe="")
    where = f"{db['HOST'] or ''}:{db['PORT']}" if db.get("PORT") else db["HOST"] or ""
    return f"postgres://{login}{'@' if login else ''}{where}/{quote(db['NAME'], safe='')}"


def _worker(account_pk: int, count: int, seed: int, go: Path) -> dict:
    """One process's stream, after its warm-up and the start signal; what it did, as a dict."""
    from bench.ingest import _broker_warm, _urls_warm, wire_pages
    from listening import services
    from listening.connectors.base import AccountInfo, FetchResult
    from listening.connectors.x import XConnector
    from listening.enrichment import EnrichmentConfig, warm_up
    from listening.models import SocialAccount

    account = SocialAccount.objects.get(pk=account_pk)
    bank = {"user_id": account.external_id, "name": account.name or account.handle, "handle": account.handle}
    # Customers of their own, shared by the processes: new to the database, as in `bench.ingest`.
    pages = wire_pages(count, seed=seed, bank=bank, customers=1)
    connector = XConnector(
        AccountInfo(network="x", external_id=account.external_id, handle=account.handle, credentials={})
    )
    warm_up(EnrichmentConfig.from_settings())
    _urls_warm()
    _broker_warm(lambda message: print(message, file=sys.stderr))
    print(READY, flush=True)
    while not go.exists():
        time.sleep(0.005)
    started, cpu_started = time.time(), time.process_time()
    items = new = 0
    for body in pages:
        page = connector._tweet_page(json.loads(body), stream="mentions", since="")
        cursors = {"mentions": page.newest_id}
        result = FetchResult(items=page.items, quarantined=page.quarantined, cursors=cursors)
        items += len(page.items)
        new += len(services.mentions_ingest(account=account, result=result))
    ended = time.time()
    return {
        "account": account.handle,
        "items": items,
        "new_mentions": new,
        "started": started,
        "ended": ended,
        "cpu_s": round(time.process_time() - cpu_started, 3),
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m bench.ingest_parallel")
    parser.add_argument("--count", type=int, default=2000, help="mentions in all")
    parser.add_argument("--workers", type=int, default=2, help="polls at once")
    parser.add_argument("--seed", type=int, default=207, help="another seed, other tweet ids")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--account", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--go", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from bench.ingest import setup_on_bench_database

    setup_on_bench_database(parser)
    if args.worker:
        print(json.dumps(_worker(args.account, args.count, args.seed, Path(args.go))), flush=True)
        return 0
    run_parallel(count=args.count, workers=args.workers, seed=args.seed)
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
