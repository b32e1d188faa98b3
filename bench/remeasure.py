"""Measure some pages again on an already seeded bench database, and merge them into the results.

    DATABASE_URL=.../bankbuzz_bench_1m DJANGO_SETTINGS_MODULE=bench.settings \
        python -m bench.remeasure --scale 1m dashboard

For a page that appeared after the seed (the 1M seed takes ten minutes): migrates the database to
the current code, refreshes the dashboard rollups as beat would, times the pages named (or every
page) and writes their p50/p95 into `var/bench/results.json` under the scale.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.remeasure")
    parser.add_argument("--scale", required=True)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--results", default=str(ROOT / "var" / "bench" / "results.json"))
    parser.add_argument("pages", nargs="*")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from bench.explain import explain_pages
    from bench.pages import clients_for, measure, seeded_pages
    from bench.seed import _refresh_rollups

    call_command("migrate", verbosity=0, interactive=False)
    _refresh_rollups(print)
    agent, urls, people = seeded_pages(args.pages)
    clients = clients_for(agent=agent, **people)
    results = measure(agent=agent, urls=urls, rounds=args.rounds, clients=clients)
    plans = explain_pages(urls=urls, agent=agent, clients=clients)
    path = Path(args.results)
    data = json.loads(path.read_text()) if path.exists() else {}
    numbers = data.setdefault(args.scale, {})
    details_path = path.parent / "details.json"
    details = json.loads(details_path.read_text()) if details_path.exists() else {}
    info = details.setdefault("details", {}).setdefault(args.scale, {})
    for name, result in results.items():
        numbers[f"{name}_p50_ms"] = round(result.p50, 2)
        numbers[f"{name}_p95_ms"] = round(result.p95, 2)
        info.setdefault("queries", {})[name] = result.queries
        info.setdefault("cpu_p50_ms", {})[name] = round(statistics.median(result.cpu_ms), 1)
        info.setdefault("probe_ms", {})[name] = round(result.probe_ms, 1)
        info.setdefault("db_ms", {})[name] = plans[name]["db_ms"]
        info.setdefault("remeasured", {})[name] = f"load {os.getloadavg()[0]:.2f}"
        print(f"{name}: DB {plans[name]['db_ms']:.1f} ms; slowest:\n{plans[name]['slowest_plan'][:1500]}")
    info["missing_pages"] = [k for k in info.get("missing_pages", []) if f"{k}_p50_ms" not in numbers]
    path.write_text(json.dumps(data, indent=2))
    details_path.write_text(json.dumps(details, indent=2))
    return 0


if __name__ == "__main__":
    from bench.checks import stopped

    sys.exit(stopped(main))
