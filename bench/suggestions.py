"""The advice library's suggestions in the composer, timed as the pane calls them.

`learning.suggest.for_conversation` (2 queries: the customer's latest messages, then one
ranking over saved replies and articles) over `CONVERSATIONS` conversations drawn with a fixed
seed, each called `PASSES` times, after the demo's library is in the database
(`devtools.demo.learning.seed_library`, which adds only what is missing). Run by `bench.scale`
after the pages, and on its own on a seeded bench database:

    DATABASE_URL=.../bankbuzz_bench_10kconv python -m bench.suggestions

(which adds the library if it is missing, and prints the figures without writing them).
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from dataclasses import dataclass

from django.db import connection
from django.test.utils import CaptureQueriesContext

CONVERSATIONS = 60
PASSES = 2
SEED = 2026


@dataclass
class Timed:
    samples_ms: list[float]
    cpu_ms: list[float]
    queries: int
    shown: int  # calls that suggested at least one entry

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        from bench.pages import percentile

        return percentile(self.samples_ms, 0.95)


def sample_conversations(count: int = CONVERSATIONS, seed: int = SEED) -> list:
    """`count` conversations drawn with `seed` (the seeded ids run from 1 without gaps)."""
    from django.db.models import Max

    from inbox.models import Conversation

    last = Conversation.objects.aggregate(last=Max("pk"))["last"] or 0
    ids = random.Random(seed).sample(range(1, last + 1), min(count, last))
    found = Conversation.objects.in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def measure(*, conversations: int = CONVERSATIONS, passes: int = PASSES) -> Timed:
    from devtools.demo.learning import seed_library
    from learning.suggest import for_conversation

    seed_library()
    chosen = sample_conversations(conversations)
    if not chosen:
        raise RuntimeError("no conversations to suggest for: seed the database first")
    with CaptureQueriesContext(connection) as queries:
        for_conversation(chosen[0])
    samples, cpu, shown = [], [], 0
    for _ in range(passes):
        for conversation in chosen:
            thread_cpu, started = time.thread_time(), time.perf_counter()
            found = for_conversation(conversation)
            samples.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - thread_cpu) * 1000)
            shown += bool(found)
    return Timed(samples, cpu, len(queries.captured_queries), shown)


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    timed = measure()
    print(
        f"  suggestions            p50 {timed.p50:7.1f} ms  p95 {timed.p95:7.1f} ms  "
        f"(CPU {statistics.median(timed.cpu_ms):6.1f} ms)  {timed.queries:3d} queries  "
        f"{len(timed.samples_ms)} calls, {timed.shown} with a suggestion; load {os.getloadavg()[0]:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
