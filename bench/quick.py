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
    from django.contrib.auth import get_user_model

    from bench.pages import HTMX, PAGE_ROLE, clients_for, measure, page_urls
    from bench.seed import LONG_THREAD_KEY
    from inbox.models import Conversation, Tag

    users = get_user_model().objects
    agent = users.get(username="agent00")
    long = Conversation.objects.get(thread_key=LONG_THREAD_KEY)
    tag = Tag.objects.order_by("pk").first()
    urls = page_urls(
        conversation_id=long.pk, search_word="declined", agent=agent, tag_id=tag.pk if tag else None
    )
    if args.pages:
        urls = {name: url for name, url in urls.items() if name in args.pages}
    people = {
        "specialist": users.filter(username="spec01").first(),
        "manager": users.filter(username="manager01").first(),
    }
    if args.profile:
        import cProfile
        import pstats

        clients = clients_for(agent=agent, **people)
        for name, url in urls.items():
            client = clients[PAGE_ROLE.get(name, "agent")]
            headers = HTMX if name in ("conversation", "inbox_poll") else {}
            for _ in range(3):
                client.get(url, **headers)
            profile = cProfile.Profile()
            profile.enable()
            client.get(url, **headers)
            profile.disable()
            print(f"== {name} {url}")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(45)
        return 0
    measure(agent=agent, urls=urls, rounds=args.rounds, **people)
    return 0


if __name__ == "__main__":
    sys.exit(main())
