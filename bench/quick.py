"""Time a few pages on an already seeded bench database, without touching results.json.

    DATABASE_URL=.../bankbuzz_bench_10k python -m bench.quick inbox_open conversation
    DATABASE_URL=... python -m bench.quick --profile inbox_open   # cProfile of one request

For the work between two `make bench` runs: the numbers are printed, nothing is written.
The database must be migrated to the current code (`manage.py migrate`).
"""

from __future__ import annotations

import argparse
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quick")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("pages", nargs="*")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench.checks import check_django
    from bench.pages import PAGE_ROLE, clients_for, headers_for, measure, seeded_pages, timed_get

    agent, urls, people = seeded_pages(args.pages)
    clients = clients_for(agent=agent, **people)
    if args.profile:
        import cProfile
        import pstats

        for name, url in urls.items():
            client = clients[PAGE_ROLE.get(name, "agent")]
            headers = headers_for(name)
            for _ in range(3):
                timed_get(client, name, url, headers)
            profile = cProfile.Profile()
            profile.enable()
            response = client.get(url, **headers)
            profile.disable()
            check_django(name, url, response)
            print(f"== {name} {url}")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        return 0
    measure(agent=agent, urls=urls, rounds=args.rounds, clients=clients)
    return 0


if __name__ == "__main__":
    from bench.checks import stopped

    sys.exit(stopped(main))
