"""PostgreSQL's own execution time of each page's queries (EXPLAIN ANALYZE), to tell DB from Python.

    DATABASE_URL=.../bankbuzz_bench_1m DJANGO_SETTINGS_MODULE=bench.settings python -m bench.explain

Each page is requested once; every SELECT it ran is run again under EXPLAIN (ANALYZE, BUFFERS).
The sum is the database's share of the page's server time, unaffected by Python or by other
processes waiting for the CPU; the slowest query of each page is printed with its plan.
"""

from __future__ import annotations

import json
import os
import sys

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext


def explain_page(
    client: Client, name: str, url: str, headers: dict
) -> tuple[float, list[tuple[float, str, str]]]:
    from bench.pages import timed_get

    with CaptureQueriesContext(connection) as captured:
        timed_get(client, name, url, headers)
    total, rows = 0.0, []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            plan = cursor.fetchone()[0]
            plan = plan[0] if isinstance(plan, list) else json.loads(plan)[0]
            ms = float(plan["Execution Time"]) + float(plan.get("Planning Time", 0))
            total += ms
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + sql)
            text = "\n".join(row[0] for row in cursor.fetchall())
            rows.append((ms, sql, text))
    rows.sort(key=lambda row: -row[0])
    return total, rows


def explain_pages(
    *, urls: dict[str, str], agent, specialist=None, manager=None, clients: dict[str, Client] | None = None
) -> dict[str, dict]:
    from bench.pages import PAGE_ROLE, clients_for, headers_for, timed_get

    clients = clients or clients_for(agent=agent, specialist=specialist, manager=manager)
    out = {}
    for name, url in urls.items():
        client = clients[PAGE_ROLE.get(name, "agent")]
        headers = headers_for(name)
        timed_get(client, name, url, headers)
        total, rows = explain_page(client, name, url, headers)
        slowest = rows[0] if rows else (0.0, "", "")
        out[name] = {
            "db_ms": round(total, 2),
            "slowest_ms": round(slowest[0], 2),
            "slowest_sql": slowest[1][:600],
        }
        out[name]["slowest_plan"] = slowest[2]
    return out


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from bench.pages import seeded_pages

    agent, urls, people = seeded_pages()
    pages = explain_pages(urls=urls, agent=agent, **people)
    only = set(sys.argv[1:])
    for name, info in pages.items():
        if only and name not in only:
            continue
        print(f"== {name}: database {info['db_ms']:.1f} ms, slowest query {info['slowest_ms']:.1f} ms")
        print("   " + info["slowest_sql"][:300])
        print("\n".join("     " + line for line in info["slowest_plan"].splitlines()[:14]))
    return 0


if __name__ == "__main__":
    from bench.checks import stopped

    sys.exit(stopped(main))
