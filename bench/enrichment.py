"""`python -m bench.enrichment`: the cost of enriching one message, in batch, on one core.

Enriches the labelled messages of tests/fixtures/understanding (about 650, eight languages, no
network language tags: the dearer case) page by page, as ingestion does, pinned to one CPU,
after a warm-up. Prints the median time per message over the pages, the load average (the
machine is shared: a loaded machine reads slower) and the process's peak memory. The budget
is 1 ms a message (the median); `--check` exits non-zero above it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

BUDGET_MS = 1.0
FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "understanding"


def _texts() -> list[str]:
    texts = []
    for name in ("train.jsonl", "heldout.jsonl"):
        for line in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            if line.strip():
                texts.append(json.loads(line)["text"])
    return texts


def measure(*, rounds: int = 5, page: int = 100) -> dict:
    """Median ms per message over pages of `page` messages; `rounds` passes over the texts."""
    from listening.enrichment import EnrichmentConfig, enrich_batch, warm_up

    config = EnrichmentConfig()
    warm_up(config)
    texts = _texts()
    per_message = []
    for n in range(rounds):
        # Different text every round, so no cache anywhere can flatter the figure.
        varied = [f"{text} #{n}" for text in texts]
        for start in range(0, len(varied), page):
            chunk = varied[start : start + page]
            began = time.process_time()
            enrich_batch(chunk, config)
            per_message.append((time.process_time() - began) * 1000 / len(chunk))
    return {
        "messages": len(texts) * rounds,
        "languages": list(config.languages),
        "median_ms_per_message": round(statistics.median(per_message), 3),
        "p90_ms_per_message": round(statistics.quantiles(per_message, n=10)[-1], 3),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--check", action="store_true", help=f"exit 1 above {BUDGET_MS} ms a message")
    parser.add_argument("--out", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        # One core: the budget is per core, and a worker process uses one.
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    result = measure(rounds=args.rounds)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2))
    print(
        f"enrichment: {result['median_ms_per_message']:.3f} ms a message (median, CPU time, one core; "
        f"p90 {result['p90_ms_per_message']:.3f} ms) over {result['messages']} messages; "
        f"budget {BUDGET_MS} ms; load average {' '.join(map(str, result['load_average']))}; "
        f"peak RSS {result['peak_rss_mb']} MB"
    )
    return 1 if args.check and result["median_ms_per_message"] > BUDGET_MS else 0


if __name__ == "__main__":
    sys.exit(main())
