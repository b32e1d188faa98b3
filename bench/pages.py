"""Server time of the pages, in process, through Django's test Client as a logged-in agent.

The page list is read from the code as it is when the bench runs: every saved view in
`inbox.selectors.SAVED_VIEWS`, one filter combination, one search, the list's live poll, a
conversation pane (htmx) and the same conversation as a direct link (full page), and the
dashboard, the specialist queue and the complaints queue (its open complaints, the soonest
deadline first, as the agents who work complaints open it) when their apps have URLs. Pages
that do not exist yet are reported as such and get no numbers.
"""

from __future__ import annotations

import gc
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, get_resolver, reverse

from bankbuzz.startup import freeze_startup
from bench.checks import check_django


@dataclass
class PageResult:
    name: str
    url: str
    samples_ms: list[float] = field(default_factory=list)
    # CPU time of this process per request: what the page costs in Python, whatever else runs.
    cpu_ms: list[float] = field(default_factory=list)
    queries: int = 0
    status: int = 0
    bytes: int = 0
    # What the body was checked for (bench.checks.Marker.key).
    marker: str = ""
    # The machine's speed while the page was timed (`speed_probe`, median of one a request).
    probe_ms: float = 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def app_page(namespace: str) -> str | None:
    """The index URL of an app's namespace ("dashboards:..."), or None while the app has no pages."""
    resolver = get_resolver()
    if namespace not in resolver.namespace_dict:
        return None
    _prefix, sub = resolver.namespace_dict[namespace]
    for name in ("index", "home", "list", "queue", "overview", "dashboard"):
        try:
            return reverse(f"{namespace}:{name}")
        except NoReverseMatch:
            continue
    for pattern in sub.url_patterns:
        if getattr(pattern, "name", None) and not pattern.pattern.regex.groups:
            try:
                return reverse(f"{namespace}:{pattern.name}")
            except NoReverseMatch:
                continue
    return None


def page_urls(*, conversation_id: int, search_word: str, agent, tag_id: int | None) -> dict[str, str]:
    from inbox import selectors

    urls = {f"inbox_{key}": f"/inbox/?view={key}" for key in selectors.SAVED_VIEWS}
    # One filter combination an agent really uses: unassigned negative posts on X in the open view.
    urls["inbox_filter"] = "/inbox/?view=open&network=x&sentiment=negative&assignee=none"
    if tag_id is not None:
        urls["inbox_filter_tag"] = f"/inbox/?view=open&tag={tag_id}&sort=waiting"
    urls["search"] = f"/inbox/?view=open&q={search_word}"
    urls["search_all"] = f"/inbox/?view=resolved&q={search_word}"
    urls["inbox_poll"] = "/inbox/poll/?view=open&since=2026-01-01T00:00:00%2B00:00"
    urls["conversation"] = f"/inbox/c/{conversation_id}/"
    urls["conversation_full"] = f"/inbox/c/{conversation_id}/"
    # The customer card's lower part, which the pane asks for once it is shown (complaints,
    # experts, holds, the customer's other conversations): a request of its own, with its budget.
    urls["conversation_side"] = f"/inbox/c/{conversation_id}/side/"
    for key, namespace in (
        ("dashboard", "dashboards"),
        ("specialist_queue", "escalations"),
        ("complaints_queue", "complaints"),
    ):
        url = app_page(namespace)
        if url:
            urls[key] = url
    if "dashboard" in urls:
        # The default view is the last 30 days; the last 90 is the other one managers open.
        urls["dashboard_90d"] = urls["dashboard"] + "?range=90d"
    return urls


def seeded_pages(only=()) -> tuple[object, dict[str, str], dict[str, object]]:
    """On an already seeded bench database: the agent, the page URLs (those named in `only`, or
    all) and the people of the specialist's and the manager's pages, for `measure`."""
    from django.contrib.auth import get_user_model

    from bench.seed import LONG_THREAD_KEY
    from inbox.models import Conversation, Tag

    users = get_user_model().objects
    agent = users.get(username="agent00")
    long = Conversation.objects.get(thread_key=LONG_THREAD_KEY)
    tag = Tag.objects.order_by("pk").first()
    urls = page_urls(
        conversation_id=long.pk, search_word="declined", agent=agent, tag_id=tag.pk if tag else None
    )
    if only:
        urls = {name: url for name, url in urls.items() if name in only}
    people = {
        "specialist": users.filter(username="spec01").first(),
        "manager": users.filter(username="manager01").first(),
    }
    return agent, urls, people


HTMX = {"HTTP_HX_REQUEST": "true"}


def clients_for(*, agent, specialist=None, manager=None) -> dict[str, Client]:
    """A client per role, logged in through the login and second-factor forms (bench.login): the
    specialist queue as a specialist, the dashboard as a manager. Each person logs in once."""
    from bench.login import log_in

    by_user: dict[int, Client] = {}
    out = {}
    for role, user in (("agent", agent), ("specialist", specialist or agent), ("manager", manager or agent)):
        if user.pk not in by_user:
            by_user[user.pk] = Client()
            log_in(by_user[user.pk], user.username)
        out[role] = by_user[user.pk]
    return out


def timed_get(client: Client, name: str, url: str, headers: dict):
    """One request of page `name`, checked (bench.checks): the run stops on any other answer."""
    response = client.get(url, **headers)
    check_django(name, url, response)
    return response


# The complaints queue as an agent: agents and leads record and answer complaints
# (complaints.permissions.WRITERS), and agent00 is the seed's agent who logs in.
PAGE_ROLE = {
    "specialist_queue": "specialist",
    "complaints_queue": "agent",
    "dashboard": "manager",
    "dashboard_90d": "manager",
}


def headers_for(name: str) -> dict[str, str]:
    """The pane, its side and the list's poll are what htmx asks for; the others are whole pages."""
    return HTMX if name in ("conversation", "conversation_side", "inbox_poll") else {}


def speed_probe() -> float:
    """CPU milliseconds of a fixed piece of plain Python (a dict, strings, numbers: what a page
    does most). It does not depend on BankBuzz's code: run between a page's timed requests, its
    median is the machine's speed while that page was timed (and, since it allocates about a
    megabyte, the state of the process's memory after that page's requests). The same code has cost
    up to twice the CPU from one minute to the next on a shared host: a page's times in two runs
    compare only when its probes are alike (docs/benchmarks.md).
    It allocates nothing the garbage collector tracks (strings and numbers in one dict), so it
    leaves the collector's counts as they were for the request that follows."""
    started = time.thread_time()
    table = {}
    for number in range(20_000):
        table[f"key-{number}"] = number * 2
    "".join(str(value) for value in table.values())
    return (time.thread_time() - started) * 1000


@contextmanager
def as_a_web_worker():
    """The process as the server's workers are once started (bankbuzz/wsgi.py): what is built by now
    is frozen, out of the full garbage collections a timed request may trigger; thawed after."""
    freeze_startup()
    try:
        yield
    finally:
        gc.unfreeze()


def measure(
    *,
    agent,
    urls: dict[str, str],
    rounds: int,
    warmup: int = 3,
    log=print,
    specialist=None,
    manager=None,
    clients: dict[str, Client] | None = None,
) -> dict[str, PageResult]:
    clients = clients or clients_for(agent=agent, specialist=specialist, manager=manager)
    results = {}
    with as_a_web_worker():
        for name, url in urls.items():
            client = clients[PAGE_ROLE.get(name, "agent")]
            headers = headers_for(name)
            result = PageResult(name, url)
            for _ in range(warmup):
                response = timed_get(client, name, url, headers)
            result.status = response.status_code
            result.bytes = len(response.content)
            result.marker = check_django(name, url, response).key
            with CaptureQueriesContext(connection) as queries:
                timed_get(client, name, url, headers)
            result.queries = len(queries.captured_queries)
            reset_queries()
            probes = []
            # The conversation pages take about a second each on a busy 2-core machine: fewer rounds.
            for _ in range(rounds if not name.startswith("conversation") else max(1, rounds // 2)):
                probes.append(speed_probe())
                cpu = time.thread_time()
                started = time.perf_counter()
                response = client.get(url, **headers)
                result.samples_ms.append((time.perf_counter() - started) * 1000)
                result.cpu_ms.append((time.thread_time() - cpu) * 1000)
                check_django(name, url, response)
            result.probe_ms = statistics.median(probes)
            results[name] = result
            log(
                f"  {name:<22} p50 {result.p50:7.1f} ms  p95 {result.p95:7.1f} ms  "
                f"(CPU {statistics.median(result.cpu_ms):6.1f} ms)  {result.queries:3d} queries  "
                f"{result.bytes / 1024:6.0f} KiB  probe {result.probe_ms:5.1f} ms  {url}"
            )
    return results


def explain(sql_label: str, qs, *, log=print) -> str:
    """EXPLAIN ANALYZE of a queryset (for the report of a slow page)."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    log(f"  EXPLAIN {sql_label}:\n" + "\n".join("    " + line for line in plan.splitlines()[:25]))
    return plan
